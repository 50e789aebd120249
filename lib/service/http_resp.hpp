// The generator's side of HTTP/1.1: an incremental response reader (RFC 9112
// 4 status line, 5 fields, 6.3 message body length). It keeps only what the
// generator checks: the status code and the body length. Like HttpParser it
// is a small trivially-copyable state machine that lives inside a
// connection, is fed the byte stream in arbitrary pieces, never allocates,
// and stops at the end of one response so pipelined ones stay separate.
//
// Framing: the response must carry Content-Length (RFC 9112 6.3 rule 5);
// one without it (chunked or close-delimited) is refused as bad, because a
// load generator must know where each response ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace pmx::service {

class HttpRespParser {
 public:
  // Reads bytes of the current response; returns how many it used. Stops at
  // the response's last body byte (done()) or at an error (bad()).
  size_t feed(const uint8_t* p, size_t n);
  bool done() const { return st_ == St::Done; }
  bool bad() const { return st_ == St::Bad; }
  uint16_t status() const { return status_; }
  uint64_t content_length() const { return clen_; }
  void reset() { *this = HttpRespParser{}; }

 private:
  enum class St : uint8_t { Status, Field, Body, Done, Bad };
  // Field-name matching for the current line: kNoMatch once it differs.
  static constexpr uint8_t kNoMatch = 0xff;
  static constexpr uint16_t kMaxLine = 8192;

  bool status_byte(uint8_t b);
  bool field_byte(uint8_t b);
  bool end_of_head();

  St st_ = St::Status;
  uint8_t match_ = 0;       // bytes of "content-length" matched on this line
  bool in_value_ = false;   // after "Content-Length:"
  bool value_end_ = false;  // blanks after the digits
  bool have_digit_ = false;
  bool cl_seen_ = false;
  bool lone_cr_ = false;  // the line so far is just CR
  uint16_t line_len_ = 0;
  uint16_t status_ = 0;
  uint64_t clen_ = 0;
  uint64_t body_left_ = 0;
};
static_assert(std::is_trivially_copyable_v<HttpRespParser>);

}  // namespace pmx::service
