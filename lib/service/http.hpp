// The `http` service: an incremental HTTP/1.1 request-head parser and the
// response writer (RFC 9112 message syntax, RFC 9110 semantics).
//
// Hot path, one parser per connection: no allocation, no exceptions, no
// copies of the request. The parser is a small trivially-copyable state
// machine fed the byte stream in arbitrary pieces (split anywhere, including
// inside a CRLF; pipelined requests back to back in one piece). It keeps only
// what the answer needs: method class, resource, version, the Connection
// options; every other header field is checked for syntax and forgotten.
//
// What is served:
//   GET|HEAD /          -> 200, body of the default size
//   GET|HEAD /bytes/N   -> 200, body of N bytes (N decimal, N <= 2^40)
//   GET|HEAD other      -> 404, empty body, connection kept
//   other method        -> 405 (with Allow), empty body, connection kept
// Body byte i is 'a' + i % 26 (fill_body).
//
// Deliberate limits and choices (all errors close the connection):
//   - Requests with a body (Content-Length other than 0, or any
//     Transfer-Encoding) -> 400: only GET and HEAD are served and a body
//     could not be framed without reading it.
//   - Request line over kMaxLine bytes -> 414; a header line over kMaxLine or
//     more than kMaxHeaders header lines -> 431 (RFC 6585 §5).
//   - HTTP/1.x with x >= 2 is handled as HTTP/1.1 (RFC 9110 §2.5); a major
//     version other than 1 -> 505.
//   - Only origin-form targets are recognised; absolute-form, asterisk-form
//     and a query on a known path are well formed but not found (404).
//   - Host is not required (RFC 9112 §3.2 says a server MUST reject its
//     absence; this appliance has one resource set for any host).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace pmx::service {

inline constexpr uint32_t kHttpMaxLine = 8192;    // request line, each header line (bytes)
inline constexpr uint32_t kHttpMaxHeaders = 100;  // header lines per request
inline constexpr uint64_t kHttpMaxBody = uint64_t{1} << 40;  // largest /bytes/N

// The answer to one request head.
struct HttpRequest {
  uint16_t status;    // 200, 400, 404, 405, 408 (timeout), 414, 431, 505
  uint64_t body_len;  // bytes of body the response carries (0 for errors)
  bool close;         // close the connection after the response
  bool head;          // HEAD: send the head only (same Content-Length)
  bool http10;        // HTTP/1.0 request: a kept-alive answer must say so (RFC 9112 §9.3)
};

// Parser of one request head at a time. Trivial and zero-initialised means
// ready (`HttpParser p{};` or memset), so it can live inside a connection.
class HttpParser {
 public:
  // Consumes bytes of one request head and stops right after the empty line
  // that ends it (or right after the byte that makes it malformed). Returns
  // the bytes consumed (<= n). When it stops short of n, done() or bad() is
  // true; while neither is, all n bytes were consumed. Once done() or bad(),
  // it consumes nothing until reset(). default_size is the body length of
  // `/`, taken from the call that completes the head.
  size_t feed(const uint8_t* p, size_t n, uint32_t default_size);

  // The head was complete and well framed: req() is the answer, and the next
  // request (pipelining) begins at the byte after the ones consumed.
  bool done() const { return phase_ == kDone; }
  // The stream cannot be framed: req() is an error (400, 414, 431, 505) with
  // close set; nothing after it may be parsed.
  bool bad() const { return phase_ == kBad; }
  // Meaningful once done() or bad().
  HttpRequest req() const;
  // Some of a request head has been consumed (blank lines before the request
  // line excepted), and it is neither complete nor bad yet.
  bool in_head() const {
    return phase_ != kStart && phase_ != kStartLf && phase_ != kDone && phase_ != kBad;
  }
  // Ready for the next request.
  void reset() { *this = HttpParser{}; }

 private:
  enum Phase : uint8_t {
    kStart,       // before the request line: empty lines are skipped (RFC 9112 §2.2)
    kStartLf,     // CR seen in an empty line before the request line
    kMethod,      // in the method token
    kTarget,      // in the request-target
    kVersion,     // in HTTP-version, up to the end of the request line
    kLineLf,      // CR ending the request line or a header line seen, LF due
    kFieldStart,  // at the start of a header line (or of the empty line)
    kFieldName,   // in a field name, before the colon
    kFieldValue,  // after the colon, up to the end of the line
    kEndLf,       // CR of the final empty line seen, LF due
    kDone,
    kBad,
  };
  enum Method : uint8_t { kGet = 1, kHead, kOtherMethod };
  enum Target : uint8_t { kPrefix, kDigits, kOtherTarget, kRoot, kBytes };
  enum Field : uint8_t { kOtherField, kConnection, kContentLength, kTransferEncoding };

  void step(uint8_t c);
  void on_start(uint8_t c);
  void on_method(uint8_t c);
  void on_target(uint8_t c);
  void end_target();
  void on_version(uint8_t c);
  void end_request_line(uint8_t c);
  void on_lf(uint8_t c, Phase next);
  void on_field_start(uint8_t c);
  void on_field_name(uint8_t c);
  void end_field_name();
  void on_field_value(uint8_t c);
  void on_connection_value(uint8_t c);
  void end_connection_token();
  void on_content_length_value(uint8_t c);
  void end_field_line();
  bool count_line_byte(uint16_t status);
  size_t skip_field_value(const uint8_t* p, size_t n);
  void finish(uint32_t default_size);
  void fail(uint16_t status);

  uint64_t num_;    // /bytes/N so far, saturated at kHttpMaxBody + 1; the body length when done
  uint16_t line_;   // bytes of the current line so far, terminator excluded (<= kHttpMaxLine)
  uint16_t err_;    // the status when bad
  Phase phase_;     // zero: kStart
  uint8_t nfield_;  // header lines so far (<= kHttpMaxHeaders)
  uint8_t pos_;     // index in the token being matched (saturates at 255)
  uint8_t cand_;    // candidates still matching (bit set), or the version's major digit
  Method method_;   // 0 until the method ends
  Target target_;   // while in and after the target
  Field field_;     // the field whose value is being read
  uint8_t minor_;   // HTTP-version minor digit
  uint8_t conn_;    // Connection options seen: kOptClose | kOptKeepAlive
};

static_assert(std::is_trivial_v<HttpParser> && std::is_standard_layout_v<HttpParser>,
              "zero-initialised bytes must be a ready parser");
static_assert(sizeof(HttpParser) <= 24, "parser state lives in every connection");

// Writes the response head for r into buf (capacity cap): status line,
// Content-Length, Content-Type for a 200, Allow for a 405, Connection: close
// when r.close or keep-alive for a kept HTTP/1.0 connection, then the empty
// line. Returns the bytes written, or 0 if cap is too small (nothing useful
// is in buf then).
size_t write_head(char* buf, size_t cap, const HttpRequest& r);

// Fills out[0, n) with the body bytes at offsets [off, off + n): byte i of
// every body is 'a' + i % 26.
void fill_body(uint8_t* out, size_t n, uint64_t off);

}  // namespace pmx::service
