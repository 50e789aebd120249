// libFuzzer target: the HTTP request parser on a byte stream of pipelined
// requests (heads and Content-Length or chunked bodies), fed in pieces (the
// first input byte picks the piece size), reset after each request.
// Invariants checked with __builtin_trap(): feed() consumes at most what it
// is given, and stopping short or not progressing means done or bad (never
// both); a stopped parser consumes nothing; the answers are consistent (bad
// closes and names a reason only for its statuses, only 200 has a body,
// body within limits, an upload's body is its text, the body read is no
// larger than the bytes consumed and within 1 GiB); 100 Continue is owed
// only once the head is over; the same stream fed whole gives the same
// answers; write_head stays within its capacity and fits a normal buffer;
// upload_text is as long as announced; fill_body writes exactly its bytes.
//
// The same stream is also read as pipelined responses by HttpRespParser,
// whole and in two differently cut ways (pieces of the size above, and
// pieces of a second size derived from the input): an incremental parser
// must not depend on how its input is cut, so each response's done, bad,
// status, Content-Length and bytes consumed must agree; feed() obeys the
// same contract as above; a done response's length is within 2^40.
#include "service/http.hpp"
#include "service/http_resp.hpp"

#include <cstring>
#include <vector>

using namespace pmx::service;

namespace {

constexpr uint32_t kDefault = 100000;

void check_request(const HttpRequest& r, bool bad, size_t consumed) {
  if (bad && (!r.close || r.body_len != 0 || r.upload)) __builtin_trap();
  if (bad && r.status != 400 && r.status != 413 && r.status != 414 && r.status != 431 &&
      r.status != 501 && r.status != 505)
    __builtin_trap();
  if (!bad && r.status != 200 && r.status != 404 && r.status != 405) __builtin_trap();
  if (!bad && r.why != HttpReject::kNone) __builtin_trap();
  if (r.status == 413 && r.why != HttpReject::kBodyTooLarge) __builtin_trap();
  if (r.status == 501 && r.why != HttpReject::kBadTransferCoding) __builtin_trap();
  if ((r.status == 414 || r.status == 431 || r.status == 505) && r.why != HttpReject::kNone)
    __builtin_trap();
  if (r.status != 200 && r.body_len != 0) __builtin_trap();
  if (r.body_len > kHttpMaxBody) __builtin_trap();
  if (r.received > consumed || r.received > kHttpMaxReqBody) __builtin_trap();
  if (r.upload) {
    char t[kHttpMaxUploadText];
    if (r.status != 200 || r.head || upload_text(t, sizeof t, r.received) != r.body_len ||
        r.body_len != upload_text_len(r.received))
      __builtin_trap();
  }
}

void check_head(const HttpRequest& r, uint8_t cap_byte) {
  char buf[512];
  std::memset(buf, 0x55, sizeof buf);
  const size_t cap = cap_byte;  // 0..255: often too small
  const size_t k = write_head(buf, cap, r);
  if (k > cap) __builtin_trap();
  for (size_t i = cap; i < sizeof buf; ++i)
    if (buf[i] != 0x55) __builtin_trap();
  const size_t full = write_head(buf, sizeof buf, r);
  if (full == 0 || full > 200) __builtin_trap();
  if (k != 0 && k != full) __builtin_trap();
  if (std::memcmp(buf + full - 4, "\r\n\r\n", 4) != 0) __builtin_trap();
}

void check_body(uint64_t off, size_t n) {
  uint8_t out[64];
  std::memset(out, 0, sizeof out);
  n %= sizeof out;
  fill_body(out, n, off);
  for (size_t i = 0; i < sizeof out; ++i)
    if (out[i] != (i < n ? 'a' + (off + i) % 26 : 0)) __builtin_trap();
}

// Parses the stream in pieces of `piece` bytes; returns the answers.
std::vector<HttpRequest> run(const uint8_t* p, size_t n, size_t piece, uint8_t cap_byte) {
  std::vector<HttpRequest> out;
  HttpParser hp{};
  size_t at = 0, start = 0;
  while (at < n) {
    const size_t len = n - at < piece ? n - at : piece;
    const size_t k = hp.feed(p + at, len, kDefault);
    if (k > len) __builtin_trap();
    at += k;
    const bool done = hp.done(), bad = hp.bad();
    if (done && bad) __builtin_trap();
    if ((k < len || k == 0) && !done && !bad) __builtin_trap();
    if (hp.continue_due() && hp.in_head()) __builtin_trap();
    if (!done && !bad) continue;
    if (hp.feed(p + at, n - at, kDefault) != 0) __builtin_trap();
    const HttpRequest r = hp.req();
    check_request(r, bad, at - start);
    start = at;
    check_head(r, cap_byte);
    check_body(r.body_len, at);
    out.push_back(r);
    if (bad) break;
    hp.reset();
  }
  return out;
}

bool same(const HttpRequest& a, const HttpRequest& b) {
  return a.status == b.status && a.body_len == b.body_len && a.close == b.close &&
         a.head == b.head && a.http10 == b.http10 && a.upload == b.upload &&
         a.received == b.received && a.why == b.why;
}

struct RespOutcome {
  size_t used;  // bytes of the stream this response consumed
  bool done, bad;
  uint16_t status;
  uint64_t content_length;
  bool operator==(const RespOutcome&) const = default;
};

// Reads the stream as pipelined responses, in pieces of `piece` bytes; a
// done response is followed by a fresh parser, a bad one ends the stream.
std::vector<RespOutcome> run_resp(const uint8_t* p, size_t n, size_t piece) {
  std::vector<RespOutcome> out;
  HttpRespParser rp{};
  size_t at = 0, start = 0;
  while (at < n) {
    const size_t len = n - at < piece ? n - at : piece;
    const size_t k = rp.feed(p + at, len);
    if (k > len) __builtin_trap();
    at += k;
    const bool done = rp.done(), bad = rp.bad();
    if (done && bad) __builtin_trap();
    if ((k < len || k == 0) && !done && !bad) __builtin_trap();
    if (!done && !bad) continue;
    if (rp.feed(p + at, n - at) != 0) __builtin_trap();
    if (done && rp.content_length() > (uint64_t{1} << 40)) __builtin_trap();
    if (done && rp.status() > 999) __builtin_trap();
    if (done && at - start < rp.content_length()) __builtin_trap();
    out.push_back({at - start, done, bad, rp.status(), rp.content_length()});
    if (bad) break;
    rp.reset();
    start = at;
  }
  // An unfinished last response: what it has consumed so far.
  if (at > start) out.push_back({at - start, false, false, rp.status(), rp.content_length()});
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  // Piece sizes 1..32, then larger powers of two, then the whole stream.
  const uint8_t sel = data[0];
  const size_t piece = sel < 128 ? sel % 32 + 1 : sel < 240 ? size_t{1} << (sel % 16) : size;
  std::vector<uint8_t> in(data + 1, data + size);  // exact size: ASan sees overreads
  const auto pieces = run(in.data(), in.size(), piece, sel);
  const auto whole = run(in.data(), in.size(), in.size() + 1, static_cast<uint8_t>(sel * 7));
  if (pieces.size() != whole.size()) __builtin_trap();
  for (size_t i = 0; i < whole.size(); ++i)
    if (!same(pieces[i], whole[i])) __builtin_trap();

  const size_t cut =
      size > 2 ? (data[size - 1] | size_t{data[size / 2]} << 8) % (in.size()) + 1 : 1;
  const auto resp_whole = run_resp(in.data(), in.size(), in.size() + 1);
  if (run_resp(in.data(), in.size(), piece) != resp_whole) __builtin_trap();
  if (run_resp(in.data(), in.size(), cut) != resp_whole) __builtin_trap();
  return 0;
}
