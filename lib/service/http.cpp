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
// Case-sensitive (RFC 9110 §9.1); the order is that of HttpParser::Method.
constexpr std::array<std::string_view, 4> kMethods = {"GET", "HEAD", "POST", "PUT"};
// Lower case; the order is that of HttpParser::Field.
constexpr std::array<std::string_view, 4> kFields = {"connection", "content-length",
                                                     "transfer-encoding", "expect"};
// The list elements looked for in Connection, Transfer-Encoding and Expect,
// lower case. kOptions' order is that of kOptClose, kOptKeepAlive.
constexpr std::array<std::string_view, 2> kOptions = {"close", "keep-alive"};
constexpr std::array<std::string_view, 1> kCodings = {"chunked"};
constexpr std::array<std::string_view, 1> kExpectations = {"100-continue"};
constexpr std::string_view kBytesPrefix = "/bytes/";
constexpr std::string_view kVersionPrefix = "HTTP/";  // case-sensitive (RFC 9112 §2.3)

// Set in a list element's candidates once OWS ended the element: a later
// byte of the same element makes it match nothing.
constexpr uint8_t kClosed = 0x80;

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

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

size_t digits(uint64_t v) {
  size_t k = 1;
  while ((v /= 10) != 0) ++k;
  return k;
}

}  // namespace

size_t HttpParser::feed(const uint8_t* p, size_t n, uint32_t default_size) {
  const bool was_open = phase_ < kDone;
  size_t i = 0;
  while (i < n && phase_ < kDone) {
    // One compare for the bytes of the request line and field names.
    if (phase_ >= kFieldValue) {
      if (phase_ == kBodyLen || phase_ == kChunkData) {
        i += take_body(n - i);
        continue;
      }
      if (phase_ == kFieldValue && field_ == kOtherField) {
        i += skip_field_value(p + i, n - i);
        if (i == n) break;
      }
    }
    step(p[i++]);
  }
  if (was_open && phase_ == kDone) finish(default_size);
  return i;
}

// Body bytes, in bulk: up to left_ of the n available, all discarded.
size_t HttpParser::take_body(size_t n) {
  const uint32_t k = n < left_ ? static_cast<uint32_t>(n) : left_;
  left_ -= k;
  got_ += k;  // the framing keeps got_ + left_ <= kHttpMaxReqBody
  if (left_ == 0) phase_ = phase_ == kBodyLen ? kDone : kChunkDataCr;
  return k;
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
      return c == '\n' ? end_head() : fail(400);
    case kChunkSize:
      return on_chunk_size(c);
    case kChunkExt:
      return on_chunk_ext(c);
    case kChunkLf:
      return on_chunk_lf(c);
    case kChunkDataCr:
      return c == '\r' ? void(phase_ = kChunkDataLf) : fail(400, HttpReject::kBadChunk);
    case kChunkDataLf:
      if (c != '\n') return fail(400, HttpReject::kBadChunk);
      phase_ = kChunkSize;
      line_ = 0;
      pos_ = 0;
      return;
    case kTrailerStart:
      return on_trailer_start(c);
    case kTrailerName:
      return on_trailer_name(c);
    case kTrailerValue:
      return on_trailer_value(c);
    case kTrailerLf:
      return c == '\n' ? void(phase_ = kTrailerStart) : fail(400, HttpReject::kBadChunk);
    case kTrailerEndLf:
      return c == '\n' ? void(phase_ = kDone) : fail(400, HttpReject::kBadChunk);
    case kBodyLen:  // taken in bulk by feed()
    case kChunkData:
    case kDone:
    case kBad:
      return;
  }
}

void HttpParser::fail(uint16_t status, HttpReject why) {
  err_ = status;
  why_ = why;
  phase_ = kBad;
}

// Counts one byte of the current line (terminator excluded); past
// kHttpMaxLine the request fails with status.
bool HttpParser::count_line_byte(uint16_t status, HttpReject why) {
  if (line_ >= kHttpMaxLine) {
    fail(status, why);
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
  if (cand_) cand_ = narrow(cand_, pos_, c, kMethods);
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
  if (c == '\n') return end_head();
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
  if (cand_) cand_ = narrow(cand_, pos_, lower(c), kFields);  // most names match none early
  pos_ = inc_sat(pos_);
}

void HttpParser::end_field_name() {
  if (!count_line_byte(431)) return;
  field_ = static_cast<Field>(matched(cand_, pos_, kFields));
  pos_ = 0;
  switch (field_) {
    case kContentLength:
      // RFC 9112 §6.3 rule 5: differing lengths are an unrecoverable error;
      // repeating one is not needed either, so any second one is refused.
      if (flags_ & kFlagCl) return fail(400, HttpReject::kBadContentLength);
      flags_ |= kFlagCl;
      break;
    case kConnection:
      cand_ = all(kOptions);
      break;
    case kTransferEncoding:
      flags_ |= kFlagTe;
      cand_ = all(kCodings);
      break;
    case kExpect:
      cand_ = all(kExpectations);
      break;
    case kOtherField:
      break;
  }
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
  if (field_ == kContentLength)
    on_content_length_value(c);
  else if (field_ != kOtherField)
    on_list_value(c);
}

void HttpParser::end_field_line() {
  if (field_ == kContentLength && pos_ == 0)
    return fail(400, HttpReject::kBadContentLength);  // no digits
  if (field_ != kContentLength && field_ != kOtherField) end_list_element();
}

// Connection, Transfer-Encoding and Expect are comma-separated lists with
// OWS (RFC 9110 §5.6.1), whose elements are matched case-insensitively
// (§7.6.1 connection options, RFC 9112 §7 coding names, RFC 9110 §10.1.1
// 100-continue). pos_ is the length of the current element; cand_ the words
// it may still be, with kClosed once OWS ended it. Empty elements are
// allowed and mean nothing.
void HttpParser::on_list_value(uint8_t c) {
  if (c == ',') {
    end_list_element();
    pos_ = 0;
    cand_ = field_ == kConnection         ? all(kOptions)
            : field_ == kTransferEncoding ? all(kCodings)
                                          : all(kExpectations);
    return;
  }
  if (is_ows(c)) {
    if (pos_ > 0 && !(cand_ & kClosed)) {
      const uint8_t m = field_ == kConnection         ? matched(cand_, pos_, kOptions)
                        : field_ == kTransferEncoding ? matched(cand_, pos_, kCodings)
                                                      : matched(cand_, pos_, kExpectations);
      cand_ = static_cast<uint8_t>(kClosed | (m ? 1u << (m - 1) : 0));
    }
    return;
  }
  pos_ = inc_sat(pos_);
  if (cand_ & kClosed)
    cand_ = kClosed;  // "close x": not an option
  else if (field_ == kConnection)
    cand_ = narrow(cand_, static_cast<uint8_t>(pos_ - 1), lower(c), kOptions);
  else if (field_ == kTransferEncoding)
    cand_ = narrow(cand_, static_cast<uint8_t>(pos_ - 1), lower(c), kCodings);
  else
    cand_ = narrow(cand_, static_cast<uint8_t>(pos_ - 1), lower(c), kExpectations);
}

// The element ends (comma or end of line): m is the index + 1 of the word
// it is, or 0.
void HttpParser::end_list_element() {
  uint8_t m;
  if (cand_ & kClosed) {
    const uint8_t bits = cand_ & static_cast<uint8_t>(~kClosed);
    m = bits ? static_cast<uint8_t>(__builtin_ctz(bits) + 1) : 0;
  } else {
    m = field_ == kConnection         ? matched(cand_, pos_, kOptions)
        : field_ == kTransferEncoding ? matched(cand_, pos_, kCodings)
                                      : matched(cand_, pos_, kExpectations);
  }
  cand_ = 0;
  if (field_ == kConnection) {
    if (m) flags_ |= static_cast<uint8_t>(1u << (m - 1));  // kOptClose, kOptKeepAlive
  } else if (field_ == kExpect) {
    if (m) flags_ |= kFlagExpect;
  } else if (pos_ > 0) {
    // RFC 9112 §6.1: chunked must be the final coding, applied once; what
    // follows a chunked (even another chunked) makes the list one we do
    // not take.
    if (flags_ & kFlagChunked) flags_ |= kFlagTeOther;
    if (m)
      flags_ |= kFlagChunked;
    else
      flags_ = static_cast<uint8_t>((flags_ & ~kFlagChunked) | kFlagTeOther);
  }
}

// Content-Length = 1*DIGIT (RFC 9112 §6.2), into left_; more than
// kHttpMaxReqBody is refused at once. pos_: 0 before the digits, 1 in
// them, 2 after them.
void HttpParser::on_content_length_value(uint8_t c) {
  if (is_ows(c)) {
    if (pos_ == 1) pos_ = 2;
    return;
  }
  if (!is_digit(c) || pos_ == 2) return fail(400, HttpReject::kBadContentLength);
  pos_ = 1;
  const uint64_t v = uint64_t{left_} * 10 + (c - '0');  // left_ <= 2^30: no overflow
  if (v > kHttpMaxReqBody) return fail(413, HttpReject::kBodyTooLarge);
  left_ = static_cast<uint32_t>(v);
}

// The empty line ended the head: how the body is framed (RFC 9112 §6.3).
void HttpParser::end_head() {
  if (flags_ & kFlagTe) {
    // §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; §6.3 rule 3:
    // with Content-Length too it may be smuggling. Either way we refuse.
    if (minor_ == 0 || (flags_ & kFlagCl)) return fail(400, HttpReject::kAmbiguousFraming);
    if (!(flags_ & kFlagChunked) || (flags_ & kFlagTeOther))
      return fail(501, HttpReject::kBadTransferCoding);
    phase_ = kChunkSize;
    line_ = 0;
    pos_ = 0;
    left_ = 0;
  } else {
    phase_ = left_ > 0 ? kBodyLen : kDone;
  }
  // RFC 9110 §10.1.1: only an HTTP/1.1 (or later) client waits for 100.
  if (phase_ != kDone && (flags_ & kFlagExpect) && minor_ >= 1) flags_ |= kFlagContinue;
}

// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; chunk-size =
// 1*HEXDIG (RFC 9112 §7.1). The size goes into left_; the body so far
// (got_) and this chunk may not pass kHttpMaxReqBody. pos_ is 1 once a digit
// came. The line is at most kHttpMaxLine bytes.
void HttpParser::on_chunk_size(uint8_t c) {
  const int d = hex_value(c);
  if (d >= 0) {
    if (!count_line_byte(400, HttpReject::kBadChunk)) return;
    const uint64_t v = uint64_t{left_} * 16 + static_cast<unsigned>(d);
    if (got_ + v > kHttpMaxReqBody) return fail(413, HttpReject::kBodyTooLarge);
    left_ = static_cast<uint32_t>(v);
    pos_ = 1;
    return;
  }
  if (pos_ == 0) return fail(400, HttpReject::kBadChunk);
  if (c == '\r') {
    phase_ = kChunkLf;
    return;
  }
  phase_ = kChunkExt;
  on_chunk_ext(c);
}

// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// (RFC 9112 §7.1.1), ignored: after BWS a ';' must come (pos_ 1 -> 2), then
// any field-value bytes up to the CR.
void HttpParser::on_chunk_ext(uint8_t c) {
  if (c == '\r' && pos_ == 2) {
    phase_ = kChunkLf;
    return;
  }
  if (!count_line_byte(400, HttpReject::kBadChunk)) return;
  if (pos_ == 1) {
    if (c == ';')
      pos_ = 2;
    else if (!is_ows(c))
      fail(400, HttpReject::kBadChunk);
    return;
  }
  if (!is(c, kValueChar)) fail(400, HttpReject::kBadChunk);
}

// The chunk-size line ended: data follows, or the last chunk (size 0) and
// the trailer section.
void HttpParser::on_chunk_lf(uint8_t c) {
  if (c != '\n') return fail(400, HttpReject::kBadChunk);
  line_ = 0;
  nfield_ = 0;
  phase_ = left_ > 0 ? kChunkData : kTrailerStart;
}

// trailer-section = *( field-line CRLF ), then CRLF (RFC 9112 §7.1.2):
// each line checked like a header line and ignored, at most kHttpMaxHeaders
// of at most kHttpMaxLine bytes.
void HttpParser::on_trailer_start(uint8_t c) {
  if (c == '\r') {
    phase_ = kTrailerEndLf;
    return;
  }
  if (!is(c, kTchar) || nfield_ == kHttpMaxHeaders) return fail(400, HttpReject::kBadChunk);
  ++nfield_;
  line_ = 0;
  pos_ = 0;
  phase_ = kTrailerName;
  on_trailer_name(c);
}

void HttpParser::on_trailer_name(uint8_t c) {
  if (!count_line_byte(400, HttpReject::kBadChunk)) return;
  if (c == ':' && pos_ > 0) {
    phase_ = kTrailerValue;
    return;
  }
  if (!is(c, kTchar)) return fail(400, HttpReject::kBadChunk);
  pos_ = 1;
}

void HttpParser::on_trailer_value(uint8_t c) {
  if (c == '\r') {
    phase_ = kTrailerLf;
    return;
  }
  if (!is(c, kValueChar)) return fail(400, HttpReject::kBadChunk);
  count_line_byte(400, HttpReject::kBadChunk);
}

// The head is complete: num_ becomes the body length.
void HttpParser::finish(uint32_t default_size) {
  if (method_ != kGet && method_ != kHead)
    num_ = 0;
  else if (target_ == kRoot)
    num_ = default_size;
  else if (target_ != kBytes)
    num_ = 0;
}

HttpRequest HttpParser::req() const {
  HttpRequest r{};
  r.head = method_ == kHead;
  r.received = got_;
  if (phase_ != kDone) {
    r.status = err_;
    r.close = true;
    r.why = why_;
    return r;
  }
  if (method_ == kPost || method_ == kPut) {
    r.status = 200;
    r.upload = true;
    r.body_len = upload_text_len(got_);
  } else if (method_ == kOtherMethod) {
    r.status = 405;
  } else {
    r.status = target_ == kRoot || target_ == kBytes ? 200 : 404;
    r.body_len = num_;
  }
  r.http10 = minor_ == 0;
  // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with
  // "keep-alive".
  r.close = (flags_ & kOptClose) || (r.http10 && !(flags_ & kOptKeepAlive));
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
    case 413:
      return "HTTP/1.1 413 Content Too Large\r\n";
    case 414:
      return "HTTP/1.1 414 URI Too Long\r\n";
    case 431:
      return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
    case 501:
      return "HTTP/1.1 501 Not Implemented\r\n";
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
  o.put("Server: portmux\r\n");  // RFC 9110 §10.2.4
  o.put("Content-Length: ");
  o.put_u64(r.status == 200 ? r.body_len : 0);
  o.put("\r\n");
  if (r.status == 200) o.put("Content-Type: text/plain\r\n");
  if (r.status == 405) o.put("Allow: GET, HEAD, POST, PUT\r\n");  // RFC 9110 §15.5.6: MUST
  if (r.close)
    o.put("Connection: close\r\n");  // RFC 9112 §9.6
  else if (r.http10)
    o.put("Connection: keep-alive\r\n");  // else an HTTP/1.0 client closes (RFC 9112 §9.3)
  o.put("\r\n");
  char* end = o.pos();
  return end ? static_cast<size_t>(end - buf) : 0;
}

size_t upload_text_len(uint32_t n) { return 16 + digits(n); }

size_t upload_text(char* buf, size_t cap, uint32_t n) {
  Out o(buf, cap);
  o.put("received ");
  o.put_u64(n);
  o.put(" bytes\n");
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
