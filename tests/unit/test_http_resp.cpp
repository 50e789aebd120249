// The generator's HTTP/1.1 response reader (lib/service/http_resp.cpp):
// framing by Content-Length, fed whole, byte by byte and cut anywhere; the
// status line and field checks; and what it refuses.
#include "service/http_resp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace pmx::service {
namespace {

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

struct Outcome {
  size_t used = 0;  // bytes consumed in total
  bool done = false;
  bool bad = false;
  uint16_t status = 0;
  uint64_t clen = 0;
};

bool operator==(const Outcome& a, const Outcome& b) {
  return a.used == b.used && a.done == b.done && a.bad == b.bad && a.status == b.status &&
         a.clen == b.clen;
}

std::ostream& operator<<(std::ostream& o, const Outcome& x) {
  return o << "{used " << x.used << (x.done ? " done" : "") << (x.bad ? " bad" : "") << " status "
           << x.status << " clen " << x.clen << "}";
}

Outcome outcome(const HttpRespParser& p, size_t used) {
  return {used, p.done(), p.bad(), p.status(), p.content_length()};
}

// Feeds s cut at the given ascending positions. Checks the feed() contract
// on the way: a piece is consumed whole unless the parser stops in it, and
// once stopped it consumes nothing more.
Outcome feed_pieces(std::string_view s, const std::vector<size_t>& cuts) {
  HttpRespParser p{};
  size_t used = 0, from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(s.size());
  for (const size_t to : ends) {
    const size_t len = to - from;
    const size_t k = p.feed(bytes(s.substr(from)), len);
    EXPECT_LE(k, len);
    EXPECT_FALSE(p.done() && p.bad());
    if (k < len) {
      EXPECT_TRUE(p.done() || p.bad()) << "stopped short at " << from + k;
    }
    used += k;
    if (p.done() || p.bad()) {
      EXPECT_EQ(p.feed(bytes(s.substr(used)), s.size() - used), 0u) << "fed after stopping";
      break;
    }
    from = to;
  }
  return outcome(p, used);
}

Outcome feed_whole(std::string_view s) { return feed_pieces(s, {}); }

Outcome feed_bytewise(std::string_view s) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < s.size(); ++i) cuts.push_back(i);
  return feed_pieces(s, cuts);
}

// The same outcome fed whole, byte by byte, and cut at every single position.
Outcome feed_every_way(std::string_view s) {
  const Outcome whole = feed_whole(s);
  EXPECT_EQ(feed_bytewise(s), whole) << "byte by byte: " << s;
  for (size_t i = 0; i <= s.size(); ++i) EXPECT_EQ(feed_pieces(s, {i}), whole) << "cut at " << i;
  return whole;
}

std::string response(std::string_view body, std::string_view status = "200 OK",
                     std::string_view eol = "\r\n") {
  std::string r = "HTTP/1.1 ";
  r += status;
  r += eol;
  r += "Server: portmux-test";
  r += eol;
  r += "Content-Length: " + std::to_string(body.size());
  r += eol;
  r += "Content-Type: text/plain";
  r += eol;
  r += eol;
  r += body;
  return r;
}

Outcome done_at(size_t used, uint16_t status, uint64_t clen) {
  return {used, true, false, status, clen};
}

bool is_bad(std::string_view s) {
  const Outcome o = feed_every_way(s);
  return o.bad && !o.done;
}

TEST(HttpResp, NormalResponseEveryWayStopsAtTheBodysEnd) {
  const std::string first = response("hello, world");
  const std::string second = response("second");
  const std::string both = first + second;
  // Whole, byte by byte and cut anywhere: done at the first body's last byte,
  // the pipelined second response left unread.
  EXPECT_EQ(feed_every_way(both), done_at(first.size(), 200, 12));
  EXPECT_EQ(feed_every_way(first), done_at(first.size(), 200, 12));
  // After reset() the second is read from where the first stopped.
  HttpRespParser p{};
  const size_t k = p.feed(bytes(both), both.size());
  ASSERT_EQ(k, first.size());
  p.reset();
  EXPECT_FALSE(p.done() || p.bad());
  EXPECT_EQ(p.feed(bytes(both) + k, both.size() - k), second.size());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.content_length(), 6u);
}

TEST(HttpResp, IncompleteResponseIsNeitherDoneNorBad) {
  const std::string r = response("0123456789");
  for (size_t n = 0; n < r.size(); ++n) {
    const Outcome o = feed_whole(std::string_view(r).substr(0, n));
    EXPECT_FALSE(o.done || o.bad) << "after " << n << " bytes: " << o;
    EXPECT_EQ(o.used, n);
  }
}

TEST(HttpResp, BareLfLineEnds) {
  const std::string r = response("abc", "200 OK", "\n");
  EXPECT_EQ(feed_every_way(r + "junk"), done_at(r.size(), 200, 3));
  // Mixed CRLF and LF.
  const std::string m = "HTTP/1.1 200 OK\nContent-Length: 2\r\nX: y\n\r\nab";
  EXPECT_EQ(feed_every_way(m), done_at(m.size(), 200, 2));
}

TEST(HttpResp, StatusLineWithoutReasonPhrase) {
  // RFC 9112 4: the reason phrase may be empty ("200 " CRLF); a sender that
  // also omits the SP is tolerated, with CRLF or with a bare LF.
  for (const char* status_line :
       {"HTTP/1.1 200 \r\n", "HTTP/1.1 200\r\n", "HTTP/1.1 200\n", "HTTP/1.1 200 \n"}) {
    const std::string r = std::string(status_line) + "Content-Length: 1\r\n\r\nx";
    EXPECT_EQ(feed_every_way(r), done_at(r.size(), 200, 1)) << status_line;
  }
}

TEST(HttpResp, FieldNamesAreCaseInsensitive) {
  for (const char* name :
       {"content-length", "CONTENT-LENGTH", "Content-Length", "cOnTeNt-LeNgTh"}) {
    const std::string r = std::string("HTTP/1.1 200 OK\r\n") + name + ": 4\r\n\r\nbody";
    EXPECT_EQ(feed_every_way(r), done_at(r.size(), 200, 4)) << name;
  }
}

TEST(HttpResp, ContentLengthWithSurroundingBlanks) {
  for (const char* v : {"7", " 7", "7 ", "  \t7\t  ", "\t7", "007"}) {
    const std::string r = std::string("HTTP/1.1 200 OK\r\nContent-Length:") + v + "\r\n\r\n1234567";
    EXPECT_EQ(feed_every_way(r + "tail"), done_at(r.size(), 200, 7)) << "'" << v << "'";
  }
}

TEST(HttpResp, ZeroLengthBodyIsDoneAtTheEmptyLine) {
  const std::string r = response("");
  EXPECT_EQ(feed_every_way(r + "HTTP/1.1 200 OK\r\n"), done_at(r.size(), 200, 0));
}

TEST(HttpResp, OtherStatusesAreParsed) {
  const std::string r = response("not here", "404 Not Found");
  EXPECT_EQ(feed_every_way(r), done_at(r.size(), 404, 8));
  const std::string h10 = "HTTP/1.0 503 Busy\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(feed_every_way(h10), done_at(h10.size(), 503, 0));
}

TEST(HttpResp, LargestLengthIsAccepted) {
  const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n";  // 2^40
  const Outcome o = feed_every_way(r);
  EXPECT_FALSE(o.done || o.bad);
  EXPECT_EQ(o.used, r.size());
  EXPECT_EQ(o.clen, uint64_t{1} << 40);
}

TEST(HttpResp, NotHttp1IsBad) {
  EXPECT_TRUE(is_bad("HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("HTTP/1.x 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("SSH-2.0-OpenSSH_9.6\r\n"));
  // Bad at the first byte that differs: nothing after it is read.
  EXPECT_EQ(feed_whole("HTTP/2.0 200 OK\r\n").used, 6u);
}

TEST(HttpResp, NonDigitStatusIsBad) {
  EXPECT_TRUE(is_bad("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(is_bad("HTTP/1.1 -20 OK\r\nContent-Length: 0\r\n\r\n"));
}

TEST(HttpResp, MissingContentLengthIsBad) {
  EXPECT_TRUE(
      is_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  EXPECT_TRUE(is_bad("HTTP/1.1 200 OK\r\n\r\n"));
  EXPECT_TRUE(is_bad("HTTP/1.1 200 OK\n\n"));
  // Refused at the empty line that ends the head.
  const std::string head = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n";
  EXPECT_EQ(feed_whole(head + "body").used, head.size());
}

TEST(HttpResp, LookalikeFieldsAreNotContentLength) {
  // Only a field named exactly Content-Length counts.
  EXPECT_TRUE(is_bad("HTTP/1.1 200 OK\r\nX-Content-Length: 5\r\n\r\nhello"));
  EXPECT_TRUE(is_bad("HTTP/1.1 200 OK\r\nContent-Lengths: 5\r\n\r\nhello"));
  EXPECT_TRUE(is_bad("HTTP/1.1 200 OK\r\nContent-Lengt: 5\r\n\r\nhello"));
  EXPECT_TRUE(is_bad("HTTP/1.1 200 OK\r\nContent-Length-X: 5\r\n\r\nhello"));
  // ... and such a field next to the real one neither counts nor clashes.
  const std::string r = "HTTP/1.1 200 OK\r\nX-Content-Length: 5\r\nContent-Length: 2\r\n\r\nhi";
  EXPECT_EQ(feed_every_way(r), done_at(r.size(), 200, 2));
  const std::string s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Content-Length: 99\r\n\r\nhi";
  EXPECT_EQ(feed_every_way(s), done_at(s.size(), 200, 2));
  // "content-length" inside a value is just a value.
  const std::string v = "HTTP/1.1 200 OK\r\nVary: content-length: 9\r\nContent-Length: 1\r\n\r\nx";
  EXPECT_EQ(feed_every_way(v), done_at(v.size(), 200, 1));
}

TEST(HttpResp, TwoContentLengthsAreBad) {
  EXPECT_TRUE(is_bad("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"));
  EXPECT_TRUE(is_bad("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\nabcd"));
}

TEST(HttpResp, BadContentLengthValues) {
  for (const char* v : {"", " ", "x", "5x", "-5", "+5", "5 5", "5,5", "0x10", "5\rx", "1.0"}) {
    const std::string r = std::string("HTTP/1.1 200 OK\r\nContent-Length:") + v + "\r\n\r\nhello";
    EXPECT_TRUE(is_bad(r)) << "'" << v << "'";
  }
}

TEST(HttpResp, OverflowingContentLengthIsBad) {
  // 2^40 + 1, and values that would wrap a uint64_t.
  for (const char* v :
       {"1099511627777", "99999999999999999999999999", "18446744073709551616", "10000000000000"}) {
    EXPECT_TRUE(is_bad(std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + v + "\r\n\r\n")) << v;
  }
}

TEST(HttpResp, LinesLongerThan8192BytesAreBad) {
  // Field lines of up to 8192 bytes are fine (8191 + CRLF, 8192 + LF) ...
  const std::string name = "X-Long: ";
  const std::string line_8191 = name + std::string(8191 - name.size(), 'a');
  for (const std::string& ok : {"HTTP/1.1 200 OK\r\n" + line_8191 + "\r\nContent-Length: 0\r\n\r\n",
                                "HTTP/1.1 200 OK\n" + line_8191 + "a\nContent-Length: 0\n\n"}) {
    EXPECT_EQ(feed_whole(ok), done_at(ok.size(), 200, 0));
    EXPECT_EQ(feed_bytewise(ok), done_at(ok.size(), 200, 0));
  }
  // ... 8193 bytes are not, with or without CR.
  const std::string line_8193 = line_8191 + "aa";
  EXPECT_TRUE(feed_whole("HTTP/1.1 200 OK\r\n" + line_8193 + "\r\nContent-Length: 0\r\n\r\n").bad);
  EXPECT_TRUE(feed_bytewise("HTTP/1.1 200 OK\n" + line_8193 + "\nContent-Length: 0\n\n").bad);
  // A status line whose reason phrase never ends.
  const std::string status = "HTTP/1.1 200 " + std::string(9000, 'r');
  const Outcome o = feed_whole(status);
  EXPECT_TRUE(o.bad);
  EXPECT_EQ(o.used, 8193u);
  // A long Content-Length line made of blanks.
  EXPECT_TRUE(
      feed_whole("HTTP/1.1 200 OK\r\nContent-Length:" + std::string(9000, ' ') + "1\r\n\r\nx").bad);
}

}  // namespace
}  // namespace pmx::service
