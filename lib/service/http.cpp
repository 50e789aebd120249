// HTTP/1.1 request-head parser and response writer; see http.hpp for what
// is served and the choices made.
#include "service/http.hpp"

#include <array>
#include <cstring>
#include <string_view>

namespace pmx::service {
namespace {

// Byte classes, one table lookup each.
enum : uint8_t {
  kTchar = 1,       // token character (RFC 9110 §5.6.2)
  kTargetChar = 2,  // may appear in a request-target: VCHAR (RFC 9112 §3.2, RFC 3986 §2)
  kValueChar = 4,   // may appear in a field value: VCHAR, obs-text, SP, HT (RFC 9110 §5.5)
};

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool vchar = c > 0x20 && c < 0x7f;
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool tchar =
        alnum || std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
    t[c] = (tchar ? kTchar : 0) | (vchar ? kTargetChar : 0) |
           (vchar || c >= 0x80 || c == ' ' || c == '\t' ? kValueChar : 0);
  }
  return t;
}
constexpr std::array<uint8_t, 256> kClass = make_classes();

bool is(uint8_t c, uint8_t cls) { return kClass[c] & cls; }
bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }
uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

// Words matched while they stream past. Bit i of a candidate set stands for
// words[i]; a set starts full and loses a word on its first mismatching byte.
constexpr std::array<std::string_view, 2> kMethods = {"GET",
                                                      "HEAD"};  // case-sensitive (RFC 9110 §9.1)
constexpr std::array<std::string_view, 3> kFields = {"connection", "content-length",
                                                     "transfer-encoding"};     // lower case
constexpr std::array<std::string_view, 2> kOptions = {"close", "keep-alive"};  // lower case
constexpr std::string_view kBytesPrefix = "/bytes/";
constexpr std::string_view kVersionPrefix = "HTTP/";  // case-sensitive (RFC 9112 §2.3)

constexpr uint8_t kOptClose = 1;      // bit of kOptions[0]
constexpr uint8_t kOptKeepAlive = 2;  // bit of kOptions[1]

template <size_t N>
constexpr uint8_t all(const std::array<std::string_view, N>&) {
  return static_cast<uint8_t>((1u << N) - 1);
}

// Drops from cand the words whose byte at pos is not c.
template <size_t N>
uint8_t narrow(uint8_t cand, uint8_t pos, uint8_t c, const std::array<std::string_view, N>& words) {
  for (size_t i = 0; i < N; ++i)
    if (pos >= words[i].size() || static_cast<uint8_t>(words[i][pos]) != c) cand &= ~(1u << i);
  return cand;
}

// Index + 1 of the word of cand that is exactly pos bytes long, or 0.
template <size_t N>
uint8_t matched(uint8_t cand, uint8_t pos, const std::array<std::string_view, N>& words) {
  for (size_t i = 0; i < N; ++i)
    if ((cand >> i & 1) && pos == words[i].size()) return static_cast<uint8_t>(i + 1);
  return 0;
}

uint8_t inc_sat(uint8_t v) { return v == 255 ? v : v + 1; }

}  // namespace

size_t HttpParser::feed(const uint8_t* p, size_t n, uint32_t default_size) {
  const bool was_open = phase_ < kDone;
  size_t i = 0;
  while (i < n && phase_ < kDone) {
    if (phase_ == kFieldValue && field_ == kOtherField) {
      i += skip_field_value(p + i, n - i);
      if (i == n) break;
    }
    step(p[i++]);
  }
  if (was_open && phase_ == kDone) finish(default_size);
  return i;
}

// The values of fields nobody reads, in bulk: bytes allowed in a value, up to
// the end of the line or of the line length budget (the byte after that goes
// through step() and fails).
size_t HttpParser::skip_field_value(const uint8_t* p, size_t n) {
  const size_t room = kHttpMaxLine - line_;
  const size_t lim = n < room ? n : room;
  size_t k = 0;
  while (k < lim && is(p[k], kValueChar)) ++k;
  line_ = static_cast<uint16_t>(line_ + k);
  return k;
}

void HttpParser::step(uint8_t c) {
  switch (phase_) {
    case kStart:
      return on_start(c);
    case kStartLf:
      return on_lf(c, kStart);
    case kMethod:
      return on_method(c);
    case kTarget:
      return on_target(c);
    case kVersion:
      return on_version(c);
    case kLineLf:
      return on_lf(c, kFieldStart);
    case kFieldStart:
      return on_field_start(c);
    case kFieldName:
      return on_field_name(c);
    case kFieldValue:
      return on_field_value(c);
    case kEndLf:
      return on_lf(c, kDone);
    case kDone:
    case kBad:
      return;
  }
}

void HttpParser::fail(uint16_t status) {
  err_ = status;
  phase_ = kBad;
}

// Counts one byte of the current line (terminator excluded); past
// kHttpMaxLine the request fails with status.
bool HttpParser::count_line_byte(uint16_t status) {
  if (line_ >= kHttpMaxLine) {
    fail(status);
    return false;
  }
  ++line_;
  return true;
}

// RFC 9112 §2.2: a line ends in CRLF or a bare LF; a CR not followed by LF
// is invalid.
void HttpParser::on_lf(uint8_t c, Phase next) {
  if (c == '\n')
    phase_ = next;
  else
    fail(400);
}

// RFC 9112 §2.2: empty lines before the request line are ignored (at most
// kHttpMaxLine bytes of them).
void HttpParser::on_start(uint8_t c) {
  if (c == '\r' || c == '\n') {
    if (count_line_byte(400) && c == '\r') phase_ = kStartLf;
    return;
  }
  line_ = 0;
  pos_ = 0;
  cand_ = all(kMethods);
  phase_ = kMethod;
  on_method(c);
}

// method = token, then one SP (RFC 9112 §3.1). pos_ is the method length.
void HttpParser::on_method(uint8_t c) {
  if (c == ' ' && pos_ > 0) {
    const uint8_t m = matched(cand_, pos_, kMethods);
    method_ = m ? static_cast<Method>(m) : kOtherMethod;
    if (!count_line_byte(414)) return;
    pos_ = 0;
    target_ = kPrefix;
    num_ = 0;
    phase_ = kTarget;
    return;
  }
  if (!is(c, kTchar)) return fail(400);
  if (!count_line_byte(414)) return;
  cand_ = narrow(cand_, pos_, c, kMethods);
  pos_ = inc_sat(pos_);
}

// request-target, then one SP (RFC 9112 §3.2). While target_ is kPrefix,
// pos_ bytes of "/bytes/" matched; in kDigits, pos_ is 1 once a digit came.
void HttpParser::on_target(uint8_t c) {
  if (c == ' ') return end_target();
  if (!is(c, kTargetChar)) return fail(400);  // controls, NUL, DEL, obs-text
  if (!count_line_byte(414)) return;
  if (target_ == kPrefix) {
    if (pos_ < kBytesPrefix.size() && c == kBytesPrefix[pos_]) {
      if (++pos_ == kBytesPrefix.size()) {
        target_ = kDigits;
        pos_ = 0;
      }
    } else {
      target_ = kOtherTarget;
    }
  } else if (target_ == kDigits) {
    if (!is_digit(c)) {
      target_ = kOtherTarget;
      return;
    }
    // num_ <= kHttpMaxBody + 1 before, so no overflow; saturate past the limit.
    num_ = num_ * 10 + (c - '0');
    if (num_ > kHttpMaxBody) num_ = kHttpMaxBody + 1;
    pos_ = 1;
  }
}

void HttpParser::end_target() {
  if (target_ == kPrefix && pos_ == 0) return fail(400);  // empty target
  if (target_ == kPrefix && pos_ == 1)
    target_ = kRoot;
  else if (target_ == kDigits && pos_ == 1 && num_ <= kHttpMaxBody)
    target_ = kBytes;
  else
    target_ = kOtherTarget;
  if (!count_line_byte(414)) return;
  pos_ = 0;
  phase_ = kVersion;
}

// HTTP-version = "HTTP/" DIGIT "." DIGIT, then the line end (RFC 9112 §2.3,
// §3). pos_ counts its bytes; cand_ holds the major digit.
void HttpParser::on_version(uint8_t c) {
  if (pos_ == 8) {
    if (c == '\r' || c == '\n') return end_request_line(c);
    return fail(400);
  }
  bool ok;
  if (pos_ < kVersionPrefix.size())
    ok = c == kVersionPrefix[pos_];
  else if (pos_ == 6)
    ok = c == '.';
  else
    ok = is_digit(c);
  if (!ok) return fail(400);
  if (pos_ == 5) cand_ = c - '0';
  if (pos_ == 7) minor_ = c - '0';
  ++pos_;
  count_line_byte(414);
}

// RFC 9110 §2.5: a higher minor version of HTTP/1 is handled as HTTP/1.1;
// another major version is not supported, and its framing is unknown.
void HttpParser::end_request_line(uint8_t c) {
  if (cand_ != 1) return fail(505);
  phase_ = c == '\r' ? kLineLf : kFieldStart;
}

// A header line, or the empty line ending the head (RFC 9112 §2.1).
void HttpParser::on_field_start(uint8_t c) {
  if (c == '\r') {
    phase_ = kEndLf;
    return;
  }
  if (c == '\n') {
    phase_ = kDone;
    return;
  }
  // Whitespace here is obs-fold (RFC 9112 §5.2) or, before the first field,
  // a whitespace-preceded line (§2.2): both rejected.
  if (is_ows(c)) return fail(400);
  if (nfield_ == kHttpMaxHeaders) return fail(431);
  ++nfield_;
  line_ = 0;
  pos_ = 0;
  cand_ = all(kFields);
  phase_ = kFieldName;
  on_field_name(c);
}

// field-name = token, immediately followed by ':' (RFC 9112 §5.1: no
// whitespace before the colon). Matched case-insensitively (RFC 9110 §5.1).
void HttpParser::on_field_name(uint8_t c) {
  if (c == ':' && pos_ > 0) return end_field_name();
  if (!is(c, kTchar)) return fail(400);
  if (!count_line_byte(431)) return;
  cand_ = narrow(cand_, pos_, lower(c), kFields);
  pos_ = inc_sat(pos_);
}

void HttpParser::end_field_name() {
  if (!count_line_byte(431)) return;
  field_ = static_cast<Field>(matched(cand_, pos_, kFields));
  // We read no body: a request announcing one with Transfer-Encoding cannot
  // be framed (RFC 9112 §6.1, §6.3), so it ends the connection.
  if (field_ == kTransferEncoding) return fail(400);
  pos_ = 0;
  cand_ = all(kOptions);
  phase_ = kFieldValue;
}

// field-value up to the line end (RFC 9110 §5.5: CR, LF, NUL and other
// controls are invalid in it). OWS around it is not part of it (RFC 9112 §5).
void HttpParser::on_field_value(uint8_t c) {
  if (c == '\r' || c == '\n') {
    end_field_line();
    if (phase_ != kBad) phase_ = c == '\r' ? kLineLf : kFieldStart;
    return;
  }
  if (!is(c, kValueChar)) return fail(400);
  if (!count_line_byte(431)) return;
  if (field_ == kConnection)
    on_connection_value(c);
  else if (field_ == kContentLength)
    on_content_length_value(c);
}

void HttpParser::end_field_line() {
  if (field_ == kConnection) end_connection_token();
  if (field_ == kContentLength && pos_ == 0) fail(400);  // empty Content-Length
}

// Connection = #connection-option, a comma-separated list of tokens with
// OWS (RFC 9110 §5.6.1, §7.6.1), matched case-insensitively. pos_ is the
// length of the current element; cand_ the options it may still be.
void HttpParser::on_connection_value(uint8_t c) {
  if (c == ',') {
    end_connection_token();
    cand_ = all(kOptions);
    pos_ = 0;
    return;
  }
  if (is_ows(c)) {
    if (pos_ > 0) end_connection_token();
    return;
  }
  cand_ = narrow(cand_, pos_, lower(c), kOptions);
  pos_ = inc_sat(pos_);
}

// Whatever follows the element up to the next comma cannot match.
void HttpParser::end_connection_token() {
  const uint8_t m = matched(cand_, pos_, kOptions);
  if (m) conn_ |= static_cast<uint8_t>(1u << (m - 1));
  cand_ = 0;
}

// Content-Length = 1*DIGIT (RFC 9112 §6.2). Only a zero length is accepted:
// we read no body. pos_: 0 before the digits, 1 in them, 2 after them.
void HttpParser::on_content_length_value(uint8_t c) {
  if (is_ows(c)) {
    if (pos_ == 1) pos_ = 2;
    return;
  }
  if (c == '0' && pos_ < 2) {
    pos_ = 1;
    return;
  }
  fail(400);
}

// The head is complete: num_ becomes the body length.
void HttpParser::finish(uint32_t default_size) {
  if (target_ == kRoot)
    num_ = default_size;
  else if (target_ != kBytes)
    num_ = 0;
  if (method_ == kOtherMethod) num_ = 0;
}

HttpRequest HttpParser::req() const {
  HttpRequest r{};
  r.head = method_ == kHead;
  if (phase_ != kDone) {
    r.status = err_;
    r.close = true;
    return r;
  }
  if (method_ == kOtherMethod)
    r.status = 405;
  else
    r.status = target_ == kRoot || target_ == kBytes ? 200 : 404;
  r.body_len = num_;
  r.http10 = minor_ == 0;
  // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with
  // "keep-alive".
  r.close = (conn_ & kOptClose) || (r.http10 && !(conn_ & kOptKeepAlive));
  return r;
}

namespace {

// Appends to a fixed buffer; remembers running out of room.
class Out {
 public:
  Out(char* buf, size_t cap) : p_(buf), end_(buf + cap) {}
  void put(std::string_view s) {
    if (!ok_ || s.size() > static_cast<size_t>(end_ - p_)) {
      ok_ = false;
      return;
    }
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void put_u64(uint64_t v) {
    char d[20];
    size_t k = sizeof d;
    do d[--k] = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    put(std::string_view(d + k, sizeof d - k));
  }
  char* pos() const { return ok_ ? p_ : nullptr; }

 private:
  char* p_;
  char* end_;
  bool ok_ = true;
};

std::string_view status_line(uint16_t status) {
  switch (status) {
    case 200:
      return "HTTP/1.1 200 OK\r\n";
    case 400:
      return "HTTP/1.1 400 Bad Request\r\n";
    case 404:
      return "HTTP/1.1 404 Not Found\r\n";
    case 405:
      return "HTTP/1.1 405 Method Not Allowed\r\n";
    case 408:
      return "HTTP/1.1 408 Request Timeout\r\n";
    case 414:
      return "HTTP/1.1 414 URI Too Long\r\n";
    case 431:
      return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
    case 505:
      return "HTTP/1.1 505 HTTP Version Not Supported\r\n";
    default:
      return "HTTP/1.1 500 Internal Server Error\r\n";
  }
}

}  // namespace

size_t write_head(char* buf, size_t cap, const HttpRequest& r) {
  Out o(buf, cap);
  o.put(status_line(r.status));
  o.put("Content-Length: ");
  o.put_u64(r.status == 200 ? r.body_len : 0);
  o.put("\r\n");
  if (r.status == 200) o.put("Content-Type: application/octet-stream\r\n");
  if (r.status == 405) o.put("Allow: GET, HEAD\r\n");  // RFC 9110 §15.5.6: MUST
  if (r.close)
    o.put("Connection: close\r\n");  // RFC 9112 §9.6
  else if (r.http10)
    o.put("Connection: keep-alive\r\n");  // else an HTTP/1.0 client closes (RFC 9112 §9.3)
  o.put("\r\n");
  char* end = o.pos();
  return end ? static_cast<size_t>(end - buf) : 0;
}

void fill_body(uint8_t* out, size_t n, uint64_t off) {
  static constexpr char kTwice[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
  const char* from = kTwice + off % 26;
  // Each 26-byte chunk starts at the same letter as the one before it.
  while (n > 0) {
    const size_t k = n < 26 ? n : 26;
    std::memcpy(out, from, k);
    out += k;
    n -= k;
  }
}

}  // namespace pmx::service
