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
//   POST|PUT any target -> 200 once the request body is read, body the text
//                          "received N bytes\n" (N: body bytes, de-chunked)
//   other method        -> 405 (with Allow), empty body, connection kept
// Pattern body byte i is 'a' + i % 26 (fill_body). Every response carries
// Server: portmux; a 200 carries Content-Type: text/plain.
//
// Request bodies (RFC 9112 §6) are read and discarded, whatever the method,
// before the answer; the connection then stays open as without a body, and
// a pipelined request may follow the body at once.
//   - Framing: Content-Length, or Transfer-Encoding whose only coding is
//     chunked (§7.1: chunk extensions and trailer fields are checked for
//     syntax and ignored). Chunk lines and trailer lines end in CRLF, a bare
//     LF is rejected there (it is accepted in the head, §2.2).
//   - Expect: 100-continue in an HTTP/1.1 request with a body: the parser
//     raises continue_due() when the head ends, and the caller sends
//     kHttpContinue before anything else (RFC 9110 §10.1.1).
//   - At most kHttpMaxReqBody bytes of body per request.
//
// Deliberate limits and choices (all errors close the connection; `why`
// names the ones counted):
//   - Content-Length that is not one decimal number, or given twice -> 400
//     (kBadContentLength).
//   - Content-Length or chunked body over kHttpMaxReqBody -> 413
//     (kBodyTooLarge, RFC 9110 §15.5.14), before the body is read.
//   - Transfer-Encoding with Content-Length, or in an HTTP/1.0 request ->
//     400 (kAmbiguousFraming: RFC 9112 §6.1, §6.3 rule 3, request smuggling).
//   - Transfer-Encoding other than exactly "chunked" -> 501
//     (kBadTransferCoding, RFC 9112 §6.1).
//   - Malformed chunked framing (size, extension, CRLF after the data,
//     trailer line over kHttpMaxLine or more than kHttpMaxHeaders) -> 400
//     (kBadChunk).
//   - Request line over kHttpMaxLine bytes -> 414; a header line over
//     kHttpMaxLine or more than kHttpMaxHeaders header lines -> 431
//     (RFC 6585 §5).
//   - HTTP/1.x with x >= 2 is handled as HTTP/1.1 (RFC 9110 §2.5); a major
//     version other than 1 -> 505.
//   - Only origin-form targets are recognised; absolute-form, asterisk-form
//     and a query on a known path are well formed but not found (404).
//   - Host is not required (RFC 9112 §3.2 says a server MUST reject its
//     absence; this appliance has one resource set for any host).
//   - An Expect other than 100-continue is ignored (no 417).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace pmx::service {

inline constexpr uint32_t kHttpMaxLine = 8192;    // request line, each header line (bytes)
inline constexpr uint32_t kHttpMaxHeaders = 100;  // header lines per request
inline constexpr uint64_t kHttpMaxBody = uint64_t{1} << 40;     // largest /bytes/N
inline constexpr uint32_t kHttpMaxReqBody = uint32_t{1} << 30;  // largest request body
// The interim response to Expect: 100-continue (RFC 9110 §15.2.1).
inline constexpr std::string_view kHttpContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Why a request was refused, for the refusals that have a counter.
enum class HttpReject : uint8_t {
  kNone,               // not refused, or a head error without a counter
  kBadContentLength,   // 400
  kBodyTooLarge,       // 413
  kAmbiguousFraming,   // 400
  kBadTransferCoding,  // 501
  kBadChunk,           // 400
};

// The answer to one request.
struct HttpRequest {
  uint16_t status;        // 200, 400, 404, 405, 408 (timeout), 413, 414, 431, 501, 505
  uint64_t body_len;      // bytes of body the response carries (0 for errors)
  bool close;             // close the connection after the response
  bool head;              // HEAD: send the head only (same Content-Length)
  bool http10;            // HTTP/1.0 request: a kept-alive answer must say so (RFC 9112 §9.3)
  bool upload = false;    // POST/PUT: the body is upload_text(received)
  uint32_t received = 0;  // request body bytes read (chunked: the chunk data)
  HttpReject why = HttpReject::kNone;  // when bad: which counter the refusal counts in
};

// Parser of one request (head and body) at a time. Trivial and
// zero-initialised means ready (`HttpParser p{};` or memset), so it can live
// inside a connection.
class HttpParser {
 public:
  // Consumes bytes of one request, its head and then its body if it has
  // one, and stops right after its last byte (or right after the byte that
  // makes it malformed). Returns the bytes consumed (<= n). When it stops
  // short of n, done() or bad() is true; while neither is, all n bytes were
  // consumed. Once done() or bad(), it consumes nothing until reset().
  // default_size is the body length of `/`, taken from the call that
  // completes the request.
  size_t feed(const uint8_t* p, size_t n, uint32_t default_size);

  // The request was complete and well framed: req() is the answer, and the
  // next request (pipelining) begins at the byte after the ones consumed.
  bool done() const { return phase_ == kDone; }
  // The stream cannot be framed: req() is an error (400, 413, 414, 431,
  // 501, 505) with close set; nothing after it may be parsed.
  bool bad() const { return phase_ == kBad; }
  // Meaningful once done() or bad().
  HttpRequest req() const;
  // Some of a request head has been consumed (blank lines before the request
  // line excepted), and it is neither complete nor bad yet. False while the
  // body is read.
  bool in_head() const { return phase_ >= kMethod && phase_ <= kEndLf; }
  // The head asked for 100-continue and a body follows: the caller owes the
  // client kHttpContinue (before the final answer). Cleared by take_continue().
  bool continue_due() const { return flags_ & kFlagContinue; }
  // continue_due(), and clears it.
  bool take_continue() {
    const bool due = continue_due();
    flags_ &= static_cast<uint8_t>(~kFlagContinue);
    return due;
  }
  // Ready for the next request.
  void reset() { *this = HttpParser{}; }

 private:
  enum Phase : uint8_t {
    kStart,         // before the request line: empty lines are skipped (RFC 9112 §2.2)
    kStartLf,       // CR seen in an empty line before the request line
    kMethod,        // in the method token
    kTarget,        // in the request-target
    kVersion,       // in HTTP-version, up to the end of the request line
    kLineLf,        // CR ending the request line or a header line seen, LF due
    kFieldStart,    // at the start of a header line (or of the empty line)
    kFieldName,     // in a field name, before the colon
    kFieldValue,    // after the colon, up to the end of the line
    kEndLf,         // CR of the final empty line seen, LF due
    kBodyLen,       // in a Content-Length body: left_ bytes to go
    kChunkSize,     // in a chunk-size (RFC 9112 §7.1)
    kChunkExt,      // after the chunk-size, up to the CR
    kChunkLf,       // CR ending the chunk-size line seen, LF due
    kChunkData,     // in chunk-data: left_ bytes to go
    kChunkDataCr,   // after chunk-data, CR due
    kChunkDataLf,   // after chunk-data, LF due
    kTrailerStart,  // at the start of a trailer line (or of the final empty line)
    kTrailerName,   // in a trailer field name
    kTrailerValue,  // in a trailer field value, up to the CR
    kTrailerLf,     // CR ending a trailer line seen, LF due
    kTrailerEndLf,  // CR of the final empty line seen, LF due
    kDone,
    kBad,
  };
  enum Method : uint8_t { kGet = 1, kHead, kPost, kPut, kOtherMethod };
  enum Target : uint8_t { kPrefix, kDigits, kOtherTarget, kRoot, kBytes };
  enum Field : uint8_t {
    kOtherField,
    kConnection,
    kContentLength,
    kTransferEncoding,
    kExpect,
  };
  // Bits of flags_.
  static constexpr uint8_t kOptClose = 1;        // Connection: close
  static constexpr uint8_t kOptKeepAlive = 2;    // Connection: keep-alive
  static constexpr uint8_t kFlagExpect = 4;      // Expect: 100-continue
  static constexpr uint8_t kFlagCl = 8;          // Content-Length seen
  static constexpr uint8_t kFlagTe = 16;         // Transfer-Encoding seen
  static constexpr uint8_t kFlagChunked = 32;    // its last coding so far is chunked
  static constexpr uint8_t kFlagTeOther = 64;    // it has a coding other than one final chunked
  static constexpr uint8_t kFlagContinue = 128;  // 100 Continue owed (continue_due)

  void step(uint8_t c);
  size_t take_body(size_t n);
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
  void on_list_value(uint8_t c);
  void end_list_element();
  void on_content_length_value(uint8_t c);
  void end_field_line();
  void end_head();
  void on_chunk_size(uint8_t c);
  void on_chunk_ext(uint8_t c);
  void on_chunk_lf(uint8_t c);
  void on_trailer_start(uint8_t c);
  void on_trailer_name(uint8_t c);
  void on_trailer_value(uint8_t c);
  bool count_line_byte(uint16_t status, HttpReject why = HttpReject::kNone);
  size_t skip_field_value(const uint8_t* p, size_t n);
  void finish(uint32_t default_size);
  void fail(uint16_t status, HttpReject why = HttpReject::kNone);

  uint64_t num_;    // /bytes/N so far, saturated at kHttpMaxBody + 1; the body length when done
  uint32_t left_;   // Content-Length, then body bytes to go; chunk-size, then chunk bytes to go
  uint32_t got_;    // request body bytes read so far (<= kHttpMaxReqBody)
  uint16_t line_;   // bytes of the current line so far, terminator excluded (<= kHttpMaxLine)
  uint16_t err_;    // the status when bad
  Phase phase_;     // zero: kStart
  uint8_t nfield_;  // header lines so far, then trailer lines (<= kHttpMaxHeaders)
  uint8_t pos_;     // index in the token being matched (saturates at 255)
  uint8_t cand_;    // candidates still matching (bit set), or the version's major digit
  Method method_;   // 0 until the method ends
  Target target_;   // while in and after the target
  Field field_;     // the field whose value is being read
  uint8_t minor_;   // HTTP-version minor digit
  uint8_t flags_;   // kOpt* and kFlag* bits
  HttpReject why_;  // the counted refusal when bad
};

static_assert(std::is_trivial_v<HttpParser> && std::is_standard_layout_v<HttpParser>,
              "zero-initialised bytes must be a ready parser");
static_assert(sizeof(HttpParser) <= 32, "parser state lives in every connection");

// Writes the response head for r into buf (capacity cap): status line,
// Server, Content-Length, Content-Type for a 200, Allow for a 405,
// Connection: close when r.close or keep-alive for a kept HTTP/1.0
// connection, then the empty line. Returns the bytes written, or 0 if cap is
// too small (nothing useful is in buf then). At most kHttpMaxHead bytes.
size_t write_head(char* buf, size_t cap, const HttpRequest& r);
inline constexpr size_t kHttpMaxHead = 200;

// Writes the body of an upload's answer, "received N bytes\n", into buf
// (capacity cap). Returns its length, or 0 if cap is too small. At most
// kHttpMaxUploadText bytes; upload_text_len(n) is its length.
size_t upload_text(char* buf, size_t cap, uint32_t n);
size_t upload_text_len(uint32_t n);
inline constexpr size_t kHttpMaxUploadText = 32;

// Fills out[0, n) with the body bytes at offsets [off, off + n): byte i of
// every body is 'a' + i % 26.
void fill_body(uint8_t* out, size_t n, uint64_t off);

}  // namespace pmx::service
