#include "http_resp.hpp"

#include <algorithm>

namespace pmx::service {

namespace {
constexpr char kClName[] = "content-length";
constexpr uint8_t kClLen = sizeof kClName - 1;
constexpr uint64_t kMaxLength = uint64_t{1} << 40;

uint8_t lower(uint8_t b) { return b >= 'A' && b <= 'Z' ? static_cast<uint8_t>(b + 32) : b; }
bool digit(uint8_t b) { return b >= '0' && b <= '9'; }
}  // namespace

size_t HttpRespParser::feed(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n && st_ != St::Done && st_ != St::Bad) {
    if (st_ == St::Body) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(body_left_, n - i));
      body_left_ -= take;
      i += take;
      if (body_left_ == 0) st_ = St::Done;
      continue;
    }
    const uint8_t b = p[i++];
    const bool ok = st_ == St::Status ? status_byte(b) : field_byte(b);
    if (!ok) st_ = St::Bad;
  }
  return i;
}

// "HTTP/1.x SP DDD SP reason CRLF" (RFC 9112 4): the version's major digit
// must be 1, the code three digits.
bool HttpRespParser::status_byte(uint8_t b) {
  static constexpr char kPrefix[] = "HTTP/1.";
  if (++line_len_ > kMaxLine) return false;
  const uint16_t pos = static_cast<uint16_t>(line_len_ - 1);
  if (pos < 7) return b == static_cast<uint8_t>(kPrefix[pos]);
  if (pos == 7) return digit(b);
  if (pos == 8) return b == ' ';
  if (pos <= 11) {
    if (!digit(b)) return false;
    status_ = static_cast<uint16_t>(status_ * 10 + (b - '0'));
    return true;
  }
  if (pos == 12 && b != ' ' && b != '\r' && b != '\n') return false;
  if (b == '\n') {
    st_ = St::Field;
    line_len_ = 0;
  }
  return true;
}

// One byte of a field line or of the empty line ending the head. Only
// Content-Length is interpreted; its value must be one decimal number, and a
// second Content-Length is refused (RFC 9112 6.3 rule 5).
bool HttpRespParser::field_byte(uint8_t b) {
  if (b == '\n') {
    if (line_len_ == 0 || (line_len_ == 1 && lone_cr_)) {
      // An empty line (CRLF or LF): the head ends.
      return end_of_head();
    }
    if (in_value_ && !have_digit_) return false;
    line_len_ = 0;
    match_ = 0;
    in_value_ = value_end_ = have_digit_ = lone_cr_ = false;
    return true;
  }
  if (++line_len_ > kMaxLine) return false;
  if (b == '\r') {
    // Only at the end of a line; the next byte must be LF (checked there).
    if (line_len_ == 1) lone_cr_ = true;
    match_ = kNoMatch;
    if (in_value_) value_end_ = true;
    return true;
  }
  if (in_value_) {
    if (b == ' ' || b == '\t') {
      if (have_digit_) value_end_ = true;
      return true;
    }
    if (!digit(b) || value_end_) return false;
    clen_ = clen_ * 10 + (b - '0');
    have_digit_ = true;
    return clen_ <= kMaxLength;
  }
  if (match_ == kNoMatch) return true;
  if (match_ == kClLen) {
    if (b != ':') {
      match_ = kNoMatch;
      return true;
    }
    if (cl_seen_) return false;
    cl_seen_ = true;
    in_value_ = true;
    return true;
  }
  match_ = lower(b) == static_cast<uint8_t>(kClName[match_]) ? static_cast<uint8_t>(match_ + 1)
                                                             : kNoMatch;
  return true;
}

bool HttpRespParser::end_of_head() {
  if (!cl_seen_) return false;
  body_left_ = clen_;
  st_ = body_left_ ? St::Body : St::Done;
  return true;
}

}  // namespace pmx::service
