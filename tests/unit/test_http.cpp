#include "service/http.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace pmx::service {
namespace {

constexpr uint32_t kDefault = 1234;

// What one request head does to a fresh parser.
struct Outcome {
  size_t used;  // bytes consumed in total
  bool done;
  bool bad;
  HttpRequest req;  // when done or bad
};

bool operator==(const HttpRequest& a, const HttpRequest& b) {
  return a.status == b.status && a.body_len == b.body_len && a.close == b.close &&
         a.head == b.head && a.http10 == b.http10 && a.upload == b.upload &&
         a.received == b.received && a.why == b.why;
}

// An answer without an upload or a refusal reason.
HttpRequest rq(uint16_t status, uint64_t body_len, bool close, bool head, bool http10) {
  HttpRequest r{};
  r.status = status;
  r.body_len = body_len;
  r.close = close;
  r.head = head;
  r.http10 = http10;
  return r;
}
bool operator==(const Outcome& a, const Outcome& b) {
  return a.used == b.used && a.done == b.done && a.bad == b.bad &&
         (!(a.done || a.bad) || a.req == b.req);
}

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Feeds s cut at the given ascending positions. Checks the feed() contract
// on the way: a piece is consumed whole unless the parser stops in it, and
// once stopped it consumes nothing.
Outcome feed_pieces(std::string_view s, const std::vector<size_t>& cuts) {
  HttpParser p{};
  Outcome o{};
  size_t from = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t to = i < cuts.size() ? cuts[i] : s.size();
    const bool stopped = p.done() || p.bad();
    const size_t k = p.feed(bytes(s) + from, to - from, kDefault);
    EXPECT_LE(k, to - from);
    if (stopped) {
      EXPECT_EQ(k, 0u);
    }
    if (k < to - from) {
      EXPECT_TRUE(p.done() || p.bad());
    }
    o.used += k;
    from = to;
  }
  o.done = p.done();
  o.bad = p.bad();
  if (o.done || o.bad) o.req = p.req();
  EXPECT_FALSE(o.done && o.bad);
  return o;
}

// Parses s whole, byte by byte, and cut in two at every position (at a
// stride for long inputs); all must agree. Returns the outcome.
Outcome parse(std::string_view s) {
  const Outcome whole = feed_pieces(s, {});
  std::vector<size_t> every;
  for (size_t i = 1; i < s.size(); ++i) every.push_back(i);
  EXPECT_EQ(feed_pieces(s, every), whole) << "byte by byte: " << s.substr(0, 200);
  const size_t stride = s.size() > 1024 ? 97 : 1;
  for (size_t i = 0; i <= s.size(); i += stride)
    EXPECT_EQ(feed_pieces(s, {i}), whole) << "cut at " << i << ": " << s.substr(0, 200);
  return whole;
}

// A complete head: consumed exactly, done, and the request.
HttpRequest ok(std::string_view s) {
  const Outcome o = parse(s);
  EXPECT_TRUE(o.done) << s;
  EXPECT_EQ(o.used, s.size()) << s;
  return o.req;
}

// A malformed head: bad, with close set; returns the status.
uint16_t bad(std::string_view s) {
  const Outcome o = parse(s);
  EXPECT_TRUE(o.bad) << s;
  EXPECT_TRUE(o.req.close) << s;
  EXPECT_EQ(o.req.body_len, 0u) << s;
  return o.req.status;
}

TEST(HttpParser, Layout) {
  EXPECT_LE(sizeof(HttpParser), 32u);
  HttpParser p{};
  EXPECT_FALSE(p.done());
  EXPECT_FALSE(p.bad());
}

TEST(HttpParser, GetRoot) {
  const HttpRequest r = ok("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_len, kDefault);
  EXPECT_FALSE(r.close);
  EXPECT_FALSE(r.head);
  EXPECT_FALSE(r.http10);
}

TEST(HttpParser, GetBytes) {
  EXPECT_EQ(ok("GET /bytes/0 HTTP/1.1\r\n\r\n").body_len, 0u);
  EXPECT_EQ(ok("GET /bytes/7 HTTP/1.1\r\n\r\n").body_len, 7u);
  EXPECT_EQ(ok("GET /bytes/007 HTTP/1.1\r\n\r\n").body_len, 7u);
  EXPECT_EQ(ok("GET /bytes/1048576 HTTP/1.1\r\n\r\n").body_len, 1048576u);
  const HttpRequest max = ok("GET /bytes/1099511627776 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(max.status, 200);
  EXPECT_EQ(max.body_len, kHttpMaxBody);
}

TEST(HttpParser, NotFound) {
  for (const char* t : {"/x", "/bytes", "/bytes/", "/bytes/12a", "/bytes/-1",
                        "/bytes/1099511627777", "/bytes/99999999999999999999999999", "//", "/?",
                        "/bytes/1?x", "*", "http://h/", "/BYTES/1", "/bytes//1"}) {
    const HttpRequest r = ok(std::string("GET ") + t + " HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.status, 404) << t;
    EXPECT_EQ(r.body_len, 0u) << t;
    EXPECT_FALSE(r.close) << t;
  }
}

TEST(HttpParser, Head) {
  const HttpRequest r = ok("HEAD /bytes/99 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_len, 99u);
  EXPECT_TRUE(r.head);
  EXPECT_TRUE(ok("HEAD /nope HTTP/1.1\r\n\r\n").head);
}

TEST(HttpParser, OtherMethods) {
  for (const char* m :
       {"DELETE", "OPTIONS", "GETS", "GE", "HEA", "HEADS", "get", "head", "X", "M-SEARCH",
        "!#$%&'*+-.^_`|~", "POS", "POSTS", "PU", "PUTS", "post", "put"}) {
    const HttpRequest r = ok(std::string(m) + " / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.status, 405) << m;
    EXPECT_EQ(r.body_len, 0u) << m;
    EXPECT_FALSE(r.close) << m;
    EXPECT_FALSE(r.head) << m;
  }
}

TEST(HttpParser, Versions) {
  EXPECT_FALSE(ok("GET / HTTP/1.1\r\n\r\n").close);
  const HttpRequest r10 = ok("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r10.status, 200);
  EXPECT_TRUE(r10.close);
  EXPECT_TRUE(r10.http10);
  // RFC 9110 §2.5: a higher minor version is handled as HTTP/1.1.
  const HttpRequest r19 = ok("GET / HTTP/1.9\r\n\r\n");
  EXPECT_EQ(r19.status, 200);
  EXPECT_FALSE(r19.close);
  EXPECT_FALSE(r19.http10);
  for (const char* v : {"HTTP/2.0", "HTTP/0.9", "HTTP/3.1", "HTTP/9.9"}) {
    const std::string s = std::string("GET / ") + v + "\r\n\r\n";
    const Outcome o = parse(s);
    EXPECT_EQ(bad(s), 505) << v;
    EXPECT_EQ(o.used, s.size() - 3) << v;  // stops at the CR ending the request line
  }
  for (const char* v : {"http/1.1", "HTTP/1.1 ", "HTTP/11", "HTTP/1.", "HTTP/1.1x", "HTTP/a.1",
                        "HTTP/1,1", "HTTP/10.0", "HTTP 1.1", "HTTP", "", "HTTPS/1.1"})
    EXPECT_EQ(bad(std::string("GET / ") + v + "\r\n\r\n"), 400) << v;
}

TEST(HttpParser, ConnectionHeader) {
  EXPECT_TRUE(ok("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").close);
  EXPECT_TRUE(ok("GET / HTTP/1.1\r\nconnection:CLOSE\r\n\r\n").close);
  EXPECT_TRUE(ok("GET / HTTP/1.1\r\nCONNECTION: \t close \t\r\n\r\n").close);
  EXPECT_TRUE(ok("GET / HTTP/1.1\r\nConnection: foo, CLOSE\r\n\r\n").close);
  EXPECT_TRUE(ok("GET / HTTP/1.1\r\nConnection: ,,foo ,close,\r\n\r\n").close);
  EXPECT_TRUE(ok("GET / HTTP/1.1\r\nConnection: foo\r\nConnection: Close\r\n\r\n").close);
  EXPECT_FALSE(ok("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n").close);
  for (const char* v : {"closed", "clos", "xclose", "close-it", "foo close", "clo se", "Upgrade"})
    EXPECT_FALSE(ok(std::string("GET / HTTP/1.1\r\nConnection: ") + v + "\r\n\r\n").close) << v;
  // Other names only look alike.
  EXPECT_FALSE(ok("GET / HTTP/1.1\r\nConnectio: close\r\n\r\n").close);
  EXPECT_FALSE(ok("GET / HTTP/1.1\r\nConnections: close\r\n\r\n").close);
  EXPECT_FALSE(ok("GET / HTTP/1.1\r\nX-Connection: close\r\n\r\n").close);
  EXPECT_FALSE(ok("GET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\n").close);
}

TEST(HttpParser, Http10KeepAlive) {
  const HttpRequest r = ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  EXPECT_FALSE(r.close);
  EXPECT_TRUE(r.http10);
  EXPECT_FALSE(ok("GET / HTTP/1.0\r\nConnection: foo,keep-alive\r\n\r\n").close);
  EXPECT_TRUE(ok("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").close);
  EXPECT_TRUE(ok("GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n").close);
  EXPECT_TRUE(ok("GET / HTTP/1.0\r\nKeep-Alive: timeout=5\r\n\r\n").close);
  // 404 and 405 keep the connection when the version does.
  EXPECT_FALSE(ok("POST / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").close);
  EXPECT_FALSE(ok("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").close);
}

TEST(HttpParser, BareLf) {
  const HttpRequest r = ok("GET /bytes/5 HTTP/1.1\nHost: x\nConnection: close\n\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_len, 5u);
  EXPECT_TRUE(r.close);
  EXPECT_EQ(ok("GET / HTTP/1.1\r\nA: b\n\r\n").status, 200);
}

TEST(HttpParser, LeadingEmptyLines) {
  EXPECT_EQ(ok("\r\n\r\nGET / HTTP/1.1\r\n\r\n").status, 200);
  EXPECT_EQ(ok("\n\r\n\nGET / HTTP/1.1\r\n\r\n").status, 200);
  EXPECT_EQ(ok(std::string(8192, '\n') + "GET / HTTP/1.1\r\n\r\n").status, 200);
  EXPECT_EQ(bad(std::string(8193, '\n') + "GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(bad("\rGET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(bad(" GET / HTTP/1.1\r\n\r\n"), 400);
}

TEST(HttpParser, Unfinished) {
  for (const char* s :
       {"", "\r\n", "G", "GET", "GET ", "GET /", "GET / HTTP/1.1", "GET / HTTP/1.1\r",
        "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nA", "GET / HTTP/1.1\r\nA: b",
        "GET / HTTP/1.1\r\nA: b\r\n", "GET / HTTP/1.1\r\nA: b\r\n\r"}) {
    const Outcome o = parse(s);
    EXPECT_FALSE(o.done || o.bad) << s;
    EXPECT_EQ(o.used, std::string_view(s).size()) << s;
  }
}

TEST(HttpParser, MalformedRequestLine) {
  for (const char* s :
       {"GET  / HTTP/1.1\r\n\r\n", "GET /  HTTP/1.1\r\n\r\n", "GET\r\n\r\n", "GET /\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n", "GET\t/ HTTP/1.1\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n",
        "GET /\x01 HTTP/1.1\r\n\r\n", "GET /\x7f HTTP/1.1\r\n\r\n",
        "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", "GET /\t HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\r\n\r\n",
        "GET / HTTP/1.1\rX\n\r\n", "GET /\r HTTP/1.1\r\n\r\n"})
    EXPECT_EQ(bad(s), 400) << s;
  EXPECT_EQ(bad(std::string_view("GET /\0 HTTP/1.1\r\n\r\n", 20)), 400);
  EXPECT_EQ(bad(std::string_view("\0GET / HTTP/1.1\r\n\r\n", 19)), 400);
  // Stops right at the offending byte.
  EXPECT_EQ(parse("GET /\x01 HTTP/1.1\r\n\r\n").used, 6u);
}

TEST(HttpParser, MalformedHeaders) {
  for (const char* h : {"Host : x", " Host: x", "\tHost: x", ": x", "Ho st: x", "Host", "Host x",
                        "H(st: x", "A: b\r", "A: b\x01", "A: b\x7f", "A: \x1f"})
    EXPECT_EQ(bad(std::string("GET / HTTP/1.1\r\n") + h + "\r\n\r\n"), 400) << h;
  EXPECT_EQ(bad(std::string_view("GET / HTTP/1.1\r\nA: \0\r\n\r\n", 24)), 400);
  // Obs-fold (RFC 9112 §5.2).
  EXPECT_EQ(bad("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), 400);
  EXPECT_EQ(bad("GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n"), 400);
  // A CR in the final empty line must be followed by LF.
  EXPECT_EQ(bad("GET / HTTP/1.1\r\n\rX"), 400);
}

TEST(HttpParser, ValuesAccepted) {
  EXPECT_EQ(ok("GET / HTTP/1.1\r\nA:\r\n\r\n").status, 200);
  EXPECT_EQ(ok("GET / HTTP/1.1\r\nA: \t\r\n\r\n").status, 200);
  EXPECT_EQ(ok("GET / HTTP/1.1\r\nA: \xff\x80 \"q\" \t(c)\r\n\r\n").status, 200);
  EXPECT_EQ(ok("GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: x\r\n\r\n").status, 200);
}

// A refused request: its status and counted reason.
void refused(std::string_view s, uint16_t status, HttpReject why) {
  const Outcome o = parse(s);
  EXPECT_TRUE(o.bad) << s;
  EXPECT_EQ(o.req.status, status) << s;
  EXPECT_EQ(o.req.why, why) << s;
  EXPECT_TRUE(o.req.close) << s;
}

TEST(HttpParser, ContentLengthBody) {
  const HttpRequest r = ok("POST /upload HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.upload);
  EXPECT_EQ(r.received, 11u);
  EXPECT_EQ(r.body_len, std::string_view("received 11 bytes\n").size());
  EXPECT_FALSE(r.close);
  EXPECT_EQ(r.why, HttpReject::kNone);
  const HttpRequest put = ok("PUT /x?y HTTP/1.1\r\ncontent-length:  003 \r\n\r\nabc");
  EXPECT_TRUE(put.upload);
  EXPECT_EQ(put.received, 3u);
  const HttpRequest empty = ok("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(empty.upload);
  EXPECT_EQ(empty.received, 0u);
  EXPECT_EQ(ok("POST / HTTP/1.0\r\n\r\n").received, 0u);  // no body at all
  // Bodies of other methods are read and thrown away; the answer is as
  // without one.
  const HttpRequest get = ok("GET /bytes/9 HTTP/1.1\r\nContent-Length: 5\r\n\r\n\r\n\r\n\x01");
  EXPECT_EQ(get.status, 200);
  EXPECT_FALSE(get.upload);
  EXPECT_EQ(get.body_len, 9u);
  EXPECT_EQ(get.received, 5u);
  EXPECT_EQ(ok("HEAD / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx").body_len, kDefault);
  EXPECT_EQ(ok("DELETE / HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy").status, 405);
  EXPECT_EQ(ok("GET /nope HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy").status, 404);
  // Binary bytes of every value are body, not framing.
  std::string bin = "POST / HTTP/1.1\r\nContent-Length: 256\r\n\r\n";
  for (int i = 0; i < 256; ++i) bin += static_cast<char>(i);
  EXPECT_EQ(ok(bin).received, 256u);
  // The largest body allowed.
  const std::string max = "POST / HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n";
  HttpParser p{};
  EXPECT_EQ(p.feed(bytes(max), max.size(), kDefault), max.size());
  EXPECT_FALSE(p.done() || p.bad());
}

TEST(HttpParser, BodyIncomplete) {
  for (const char* s : {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc",
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5",
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a",
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n",
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r"}) {
    const Outcome o = parse(s);
    EXPECT_FALSE(o.done || o.bad) << s;
    EXPECT_EQ(o.used, std::string_view(s).size()) << s;
    HttpParser p{};
    p.feed(bytes(s), std::string_view(s).size(), kDefault);
    EXPECT_FALSE(p.in_head()) << s;  // the head timeout does not apply to the body
  }
}

TEST(HttpParser, ChunkedBody) {
  const HttpRequest r =
      ok("POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5;name=val;q=\"x y\"\r\nhello\r\n"
         "A \t; e\r\n0123456789\r\n"
         "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
         "000;last\r\nX-Trailer: t\r\nY:\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.upload);
  EXPECT_EQ(r.received, 5u + 10u + 26u);
  EXPECT_FALSE(r.close);
  EXPECT_EQ(ok("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").received, 0u);
  EXPECT_EQ(ok("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfF\r\n" +
               std::string(255, '\r') + "\r\n0\r\n\r\n")
                .received,
            255u);
  // The coding name is case-insensitive, in a list with OWS and empty
  // elements, possibly over several field lines (RFC 9110 §5.3).
  for (const char* te :
       {"Chunked", " \tCHUNKED \t", ", chunked,", "\r\nTransfer-Encoding: chunked"})
    EXPECT_EQ(ok(std::string("POST / HTTP/1.1\r\nTransfer-Encoding: ") + te +
                 "\r\n\r\n1\r\nx\r\n0\r\n\r\n")
                  .received,
              1u)
        << te;
  // A GET with a chunked body is answered as a GET.
  const HttpRequest get =
      ok("GET /bytes/3 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
  EXPECT_EQ(get.body_len, 3u);
  EXPECT_EQ(get.received, 2u);
}

TEST(HttpParser, ExpectContinue) {
  const std::string_view s =
      "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody";
  HttpParser p{};
  EXPECT_FALSE(p.continue_due());
  const size_t head = s.size() - 4;
  for (size_t i = 0; i + 1 < head; ++i) {
    EXPECT_EQ(p.feed(bytes(s) + i, 1, kDefault), 1u);
    EXPECT_FALSE(p.continue_due()) << i;
  }
  EXPECT_EQ(p.feed(bytes(s) + head - 1, 1, kDefault), 1u);
  EXPECT_TRUE(p.continue_due());  // the head ended: the client waits for 100
  EXPECT_FALSE(p.done());
  EXPECT_TRUE(p.take_continue());
  EXPECT_FALSE(p.continue_due());
  EXPECT_FALSE(p.take_continue());
  EXPECT_EQ(p.feed(bytes(s) + head, 4, kDefault), 4u);
  EXPECT_TRUE(p.done());
  EXPECT_FALSE(p.continue_due());
  EXPECT_EQ(p.req().received, 4u);

  // Whether a 100 is owed after the whole request came in one piece.
  auto due = [](std::string_view req) {
    HttpParser q{};
    EXPECT_EQ(q.feed(bytes(req), req.size(), kDefault), req.size()) << req;
    EXPECT_TRUE(q.done()) << req;
    return q.continue_due();
  };
  EXPECT_TRUE(due(s));  // owed even when the body came without waiting
  EXPECT_TRUE(
      due("PUT / HTTP/1.1\r\nexpect:100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n"
          "0\r\n\r\n"));
  EXPECT_TRUE(due("POST / HTTP/1.1\r\nExpect: foo, 100-continue\r\nContent-Length: 1\r\n\r\nx"));
  // Not for HTTP/1.0 (RFC 9110 §10.1.1), nor without a body, nor for
  // another expectation.
  EXPECT_FALSE(due("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"));
  EXPECT_FALSE(due("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_FALSE(due("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(due("POST / HTTP/1.1\r\nExpect: 100-continues\r\nContent-Length: 1\r\n\r\nx"));
  EXPECT_FALSE(due("POST / HTTP/1.1\r\nExpect: 100-continue x\r\nContent-Length: 1\r\n\r\nx"));
  // Refused before the body: no 100 (the client is told not to send it).
  HttpParser big{};
  const std::string_view b =
      "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2000000000\r\n\r\n";
  big.feed(bytes(b), b.size(), kDefault);
  EXPECT_TRUE(big.bad());
  EXPECT_FALSE(big.continue_due());
}

TEST(HttpParser, BadContentLength) {
  for (const char* v : {"0 0", "0,0", "1,1", "", " ", "-0", "+1", "0x", "x", "1 2", "1.0"})
    refused(std::string("POST / HTTP/1.1\r\nContent-Length: ") + v + "\r\n\r\n", 400,
            HttpReject::kBadContentLength);
  refused("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400,
          HttpReject::kBadContentLength);
  refused("POST / HTTP/1.1\r\nContent-Length: 0\r\ncontent-length: 2\r\n\r\nxy", 400,
          HttpReject::kBadContentLength);
  EXPECT_EQ(ok("GET / HTTP/1.1\r\nContent-Lengths: 5\r\n\r\n").received, 0u);
}

TEST(HttpParser, BodyTooLarge) {
  for (const char* v : {"1073741825", "2000000000", "99999999999999999999999999"}) {
    const std::string s = std::string("POST / HTTP/1.1\r\nContent-Length: ") + v + "\r\n\r\n";
    refused(s, 413, HttpReject::kBodyTooLarge);
  }
  // Refused at the digit that passes the bound, before the body.
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 1073741825\r\n\r\n").used, 43u);
  const std::string te = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  refused(te + "40000001\r\n", 413, HttpReject::kBodyTooLarge);
  refused(te + "FFFFFFFFFFFFFFFFFFFFFFFF\r\n", 413, HttpReject::kBodyTooLarge);
  // The bound is on the sum of the chunks.
  refused(te + "1\r\nx\r\n40000000\r\n", 413, HttpReject::kBodyTooLarge);
  const std::string fits = te + "1\r\nx\r\n3fffffff\r\n";
  HttpParser p{};
  EXPECT_EQ(p.feed(bytes(fits), fits.size(), kDefault), fits.size());
  EXPECT_FALSE(p.done() || p.bad());
  // Leading zeros are no size: limited by the line length only.
  EXPECT_EQ(ok(te + std::string(100, '0') + "1\r\nx\r\n0\r\n\r\n").received, 1u);
  refused(te + std::string(kHttpMaxLine + 1, '0') + "\r\n\r\n", 400, HttpReject::kBadChunk);
}

TEST(HttpParser, BadTransferCoding) {
  for (const char* v : {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "chunked;q=1",
                        "chunked x", "chunkeds", "", " , "})
    refused(std::string("POST / HTTP/1.1\r\nTransfer-Encoding: ") + v + "\r\n\r\n0\r\n\r\n", 501,
            HttpReject::kBadTransferCoding);
  refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
          501, HttpReject::kBadTransferCoding);
  // Both framings, or chunked in HTTP/1.0: possible smuggling (RFC 9112 §6.1, §6.3).
  refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400,
          HttpReject::kAmbiguousFraming);
  refused("POST / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
          HttpReject::kAmbiguousFraming);
  refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
          HttpReject::kAmbiguousFraming);
}

TEST(HttpParser, BadChunk) {
  const std::string te = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const char* b : {"\r\n",
                        "x\r\n",
                        "-1\r\n",
                        " 1\r\nx\r\n",
                        "1 x\r\n",
                        "1 \r\n",
                        "1\n",
                        "1\r\rx",
                        "1;\x01\r\n",
                        "1\r\nxy\r\n",
                        "1\r\nx\n",
                        "1\r\nx\r\r",
                        "0\r\n\n",
                        "0\r\n\r\r",
                        "0\r\n X: y\r\n\r\n",
                        "0\r\nX\r\n\r\n",
                        "0\r\n: y\r\n\r\n",
                        "0\r\nX y: z\r\n\r\n",
                        "0\r\nX: \x01\r\n\r\n",
                        "0\r\nX: y\n\r\n",
                        "0\r\nX: y\r\r"})
    refused(te + b, 400, HttpReject::kBadChunk);
  // Trailers: at most kHttpMaxHeaders lines of at most kHttpMaxLine bytes.
  std::string t = te + "0\r\n";
  for (uint32_t i = 0; i < kHttpMaxHeaders; ++i) t += "T: v\r\n";
  EXPECT_EQ(ok(t + "\r\n").received, 0u);
  refused(t + "T: v\r\n\r\n", 400, HttpReject::kBadChunk);
  const std::string line = "X: " + std::string(kHttpMaxLine - 3, 'v');
  EXPECT_EQ(ok(te + "0\r\n" + line + "\r\n\r\n").status, 200);
  refused(te + "0\r\n" + line + "v\r\n\r\n", 400, HttpReject::kBadChunk);
  const std::string ext = "1;" + std::string(kHttpMaxLine - 2, 'e');
  EXPECT_EQ(ok(te + ext + "\r\nx\r\n0\r\n\r\n").received, 1u);
  refused(te + ext + "e\r\nx\r\n0\r\n\r\n", 400, HttpReject::kBadChunk);
}

TEST(HttpParser, RequestLineLimit) {
  // The line without its terminator may be kHttpMaxLine bytes.
  const std::string pre = "GET /";
  const std::string post = " HTTP/1.1";
  const std::string fill(kHttpMaxLine - pre.size() - post.size(), 'a');
  EXPECT_EQ(ok(pre + fill + post + "\r\n\r\n").status, 404);
  EXPECT_EQ(bad(pre + fill + "a" + post + "\r\n\r\n"), 414);
  EXPECT_EQ(bad(std::string(kHttpMaxLine + 1, 'A') + " / HTTP/1.1\r\n\r\n"), 414);
}

TEST(HttpParser, HeaderLineLimit) {
  const std::string line = "X: " + std::string(kHttpMaxLine - 3, 'v');
  EXPECT_EQ(ok("GET / HTTP/1.1\r\n" + line + "\r\n\r\n").status, 200);
  EXPECT_EQ(bad("GET / HTTP/1.1\r\n" + line + "v\r\n\r\n"), 431);
  EXPECT_EQ(bad("GET / HTTP/1.1\r\n" + std::string(kHttpMaxLine + 1, 'X') + ": v\r\n\r\n"), 431);
  const std::string conn = "Connection: " + std::string(kHttpMaxLine - 12, ',');
  EXPECT_EQ(bad("GET / HTTP/1.1\r\n" + conn + "close\r\n\r\n"), 431);
}

TEST(HttpParser, HeaderCountLimit) {
  std::string s = "GET / HTTP/1.1\r\n";
  for (uint32_t i = 0; i < kHttpMaxHeaders; ++i) s += "A: b\r\n";
  EXPECT_EQ(ok(s + "\r\n").status, 200);
  EXPECT_EQ(bad(s + "A: b\r\n\r\n"), 431);
}

TEST(HttpParser, StopsAfterHead) {
  HttpParser p{};
  const std::string_view s = "GET / HTTP/1.1\r\n\r\nGET";
  EXPECT_EQ(p.feed(bytes(s), s.size(), kDefault), s.size() - 3);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.feed(bytes(s) + 18, 3, kDefault), 0u);
  p.reset();
  EXPECT_FALSE(p.done());
  EXPECT_EQ(p.feed(bytes(s) + 18, 3, kDefault), 3u);
}

TEST(HttpParser, DefaultSizeFromCompletingCall) {
  HttpParser p{};
  const std::string_view s = "GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(p.feed(bytes(s), 10, 1), 10u);
  EXPECT_EQ(p.feed(bytes(s) + 10, s.size() - 10, 77), s.size() - 10);
  EXPECT_EQ(p.req().body_len, 77u);
}

// Parses back-to-back requests from one buffer, in pieces of `piece` bytes.
std::vector<HttpRequest> pipeline(std::string_view s, size_t piece) {
  std::vector<HttpRequest> out;
  HttpParser p{};
  size_t at = 0;
  while (at < s.size()) {
    const size_t len = std::min(piece, s.size() - at);
    const size_t k = p.feed(bytes(s) + at, len, kDefault);
    at += k;
    if (p.done() || p.bad()) {
      out.push_back(p.req());
      if (p.bad()) break;
      p.reset();
    } else {
      EXPECT_EQ(k, len);
    }
  }
  return out;
}

TEST(HttpParser, Pipelined) {
  const std::string two = "GET /bytes/3 HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\n\r\n";
  const std::string three = "\r\n" + two + "GET /bytes/5 HTTP/1.1\nConnection: close\n\n";
  for (size_t piece : {size_t{1}, size_t{2}, size_t{7}, size_t{33}, three.size()}) {
    const auto r2 = pipeline(two, piece);
    ASSERT_EQ(r2.size(), 2u) << piece;
    EXPECT_EQ(r2[0].body_len, 3u);
    EXPECT_FALSE(r2[0].head);
    EXPECT_EQ(r2[1].body_len, kDefault);
    EXPECT_TRUE(r2[1].head);
    const auto r3 = pipeline(three, piece);
    ASSERT_EQ(r3.size(), 3u) << piece;
    EXPECT_EQ(r3[0].body_len, 3u);
    EXPECT_TRUE(r3[1].head);
    EXPECT_EQ(r3[2].body_len, 5u);
    EXPECT_TRUE(r3[2].close);
  }
}

TEST(HttpParser, PipelinedThenGarbage) {
  const auto r =
      pipeline("GET / HTTP/1.1\r\n\r\nDELETE /x HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\x01", 5);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[1].status, 405);
  EXPECT_EQ(r[2].status, 400);
  EXPECT_TRUE(r[2].close);
}

TEST(HttpParser, PipelinedAfterBodies) {
  const std::string s =
      "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nGETGET /bytes/4 HTTP/1.1\r\n\r\n"
      "PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nGET\r\n0\r\nT: x\r\n\r\n"
      "HEAD / HTTP/1.1\r\n\r\n";
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{33}, s.size()}) {
    const auto r = pipeline(s, piece);
    ASSERT_EQ(r.size(), 4u) << piece;
    EXPECT_TRUE(r[0].upload);
    EXPECT_EQ(r[0].received, 3u);
    EXPECT_EQ(r[1].status, 200);
    EXPECT_EQ(r[1].body_len, 4u);
    EXPECT_FALSE(r[1].upload);
    EXPECT_TRUE(r[2].upload);
    EXPECT_EQ(r[2].received, 3u);
    EXPECT_TRUE(r[3].head);
    for (const HttpRequest& q : r) EXPECT_FALSE(q.close);
  }
}

std::string head(const HttpRequest& r, size_t cap = 256) {
  std::vector<char> buf(cap);
  const size_t n = write_head(buf.data(), cap, r);
  return std::string(buf.data(), n);
}

TEST(HttpWriteHead, ExactBytes) {
  EXPECT_EQ(head(rq(200, 1234, false, false, false)),
            "HTTP/1.1 200 OK\r\nServer: portmux\r\nContent-Length: 1234\r\n"
            "Content-Type: text/plain\r\n\r\n");
  EXPECT_EQ(head(rq(200, 0, true, false, false)),
            "HTTP/1.1 200 OK\r\nServer: portmux\r\nContent-Length: 0\r\n"
            "Content-Type: text/plain\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head(rq(200, kHttpMaxBody, false, true, true)),
            "HTTP/1.1 200 OK\r\nServer: portmux\r\nContent-Length: 1099511627776\r\n"
            "Content-Type: text/plain\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(head(rq(404, 0, false, false, false)),
            "HTTP/1.1 404 Not Found\r\nServer: portmux\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(head(rq(405, 0, false, false, false)),
            "HTTP/1.1 405 Method Not Allowed\r\nServer: portmux\r\nContent-Length: 0\r\n"
            "Allow: GET, HEAD, POST, PUT\r\n\r\n");
  EXPECT_EQ(head(rq(400, 0, true, false, false)),
            "HTTP/1.1 400 Bad Request\r\nServer: portmux\r\nContent-Length: 0\r\nConnection: "
            "close\r\n\r\n");
  EXPECT_TRUE(head(rq(505, 0, true, false, false))
                  .starts_with("HTTP/1.1 505 HTTP Version Not Supported\r\n"));
  EXPECT_TRUE(head(rq(414, 0, true, false, false)).starts_with("HTTP/1.1 414 URI Too Long\r\n"));
  EXPECT_TRUE(head(rq(431, 0, true, false, false))
                  .starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
}

TEST(HttpWriteHead, FromParser) {
  HttpParser p{};
  const std::string_view s = "HEAD /bytes/42 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  p.feed(bytes(s), s.size(), kDefault);
  ASSERT_TRUE(p.done());
  EXPECT_EQ(head(p.req()),
            "HTTP/1.1 200 OK\r\nServer: portmux\r\nContent-Length: 42\r\n"
            "Content-Type: text/plain\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpWriteHead, CapacityTooSmall) {
  const HttpRequest r = rq(200, 1234, true, false, false);
  const std::string full = head(r);
  EXPECT_EQ(head(r, full.size()), full);
  for (size_t cap = 0; cap < full.size(); ++cap) EXPECT_EQ(head(r, cap), "") << cap;
}

std::string reference_body(size_t n, uint64_t off) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + (off + i) % 26);
  return s;
}

TEST(HttpFillBody, Offsets) {
  for (uint64_t off : {uint64_t{0}, uint64_t{1}, uint64_t{25}, uint64_t{26}, uint64_t{27},
                       uint64_t{51}, uint64_t{1000000007}, kHttpMaxBody - 3}) {
    for (size_t n : {0, 1, 25, 26, 27, 52, 53, 100, 1500}) {
      std::vector<uint8_t> out(n + 1, 0xee);
      fill_body(out.data(), n, off);
      EXPECT_EQ(std::string(out.begin(), out.begin() + n), reference_body(n, off))
          << off << " " << n;
      EXPECT_EQ(out[n], 0xee);  // nothing past n
    }
  }
  // Pieces of one body join up.
  std::vector<uint8_t> a(100);
  fill_body(a.data(), 30, 0);
  fill_body(a.data() + 30, 70, 30);
  EXPECT_EQ(std::string(a.begin(), a.end()), reference_body(100, 0));
}

}  // namespace
}  // namespace pmx::service
