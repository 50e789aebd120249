// What a generator run does: parsed from the words of `gen start ...` (CLI)
// or `--gen "..."` (start-up), the same grammar for both.
//
//   <dst-ip> <dst-port> [mode http|echo|raw|stream] [method get|post] [conns N]
//   [rate CPS] [reqs K] [req-size B] [resp-size B] [duration S] [src IP[-IP]]
//   [close fin|rst|abandon] [cc newreno|cubic] [hystart on|off] [connect-timeout MS]
//
// Run shapes: without `duration`, `conns` is the total number of connections
// opened (each once, at up to `rate` per second) and the run ends when all
// have finished; with `duration S`, `conns` connections are held open at once
// for S seconds, a finished one replaced by a new one.
//
// Keywords come in any order after the two positionals, each at most once;
// one the mode does not use (resp-size with echo, say) is accepted and
// ignored. http with method post sends req-size bytes of body per request.
// stream (chargen-like) sends nothing: each "request" reads resp-size bytes
// of whatever the server sends unasked (a chargen or any download server). reqs 0 holds each
// connection open without a request until a timed run ends (idle-connection runs), and so needs
// duration. Limits: conns 1..10000000, rate 0..100000000, reqs 0..1000000000, req-size 1..16 MiB,
// resp-size 0..1 GiB, duration 0..86400 s, connect-timeout 0..3600000 ms (0: the engine's); src one
// address or an ascending range A-B of at most 1048576 (2^20). Addresses must be unicast (not
// 0.0.0.0/8, multicast, class E or broadcast). Numbers are plain decimal: no sign, no junk after
// the digits.
//
// IPv6: <dst-ip> and src may be IPv6 addresses (RFC 4291 2.2 text, with or without brackets:
// 2001:2::1 or [2001:2::1]); a run is of one family, so src must be of the destination's. IPv6
// addresses must be unicast too (not ::, ::1, ff00::/8 or v4-mapped ::ffff:0:0/96), and the two
// ends of an IPv6 range may differ only in their low 64 bits (the interface identifier, RFC 4291
// 2.5.1), at most 2^20 addresses as for IPv4. to_string() prints them in RFC 5952 form without
// brackets.
#pragma once

#include "net/addr.hpp"
#include "tcp/cc.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pmx::gen {

enum class Mode : uint8_t { Http, Echo, Raw, Stream };
enum class CloseMode : uint8_t { Fin, Rst, Abandon };
enum class Method : uint8_t { Get, Post };

struct GenSpec {
  uint32_t dst_ip = 0;    // host order
  uint16_t dst_port = 0;  // host order
  Mode mode = Mode::Http;
  Method method = Method::Get;      // http: GET /bytes/<resp-size>, or POST of req-size bytes
  uint32_t conns = 1;               // total, or concurrent with duration
  uint32_t rate = 0;                // new connections per second over all workers; 0: unlimited
  uint32_t reqs = 1;                // requests per connection (0: hold open, timed runs)
  uint32_t req_size = 64;           // echo/raw: bytes per request; http post: body bytes
  uint32_t resp_size = 64;          // http: body bytes asked for (GET /bytes/<resp-size>)
  uint32_t duration_s = 0;          // 0: run until `conns` connections have finished
  uint32_t connect_timeout_ms = 0;  // SYN_SENT gives up after this long; 0: the engine's (75 s)
  uint32_t src_lo = 0, src_hi = 0;  // host order; 0: the port's first address
  CloseMode close = CloseMode::Fin;
  tcp::CcKind cc = tcp::CcKind::NewReno;  // congestion control of the run's connections
  bool hystart = true;                    // HyStart++ (RFC 9406) in their initial slow start
  // IPv6 runs: v6 set, dst_ip and src_lo/src_hi 0, the addresses here
  // (src6_lo zero: the port's address for dst6).
  bool v6 = false;
  net::Ipv6Addr dst6{};
  net::Ipv6Addr src6_lo{}, src6_hi{};

  // The destination, either family.
  net::IpAddr dst() const {
    return v6 ? net::IpAddr::of(dst6) : net::IpAddr::of(net::Ipv4Addr::from_host(dst_ip));
  }

  friend bool operator==(const GenSpec&, const GenSpec&) = default;
};

// A bad word or value; what() is one printable line naming it, e.g.
// "gen: bad value 'x1' for conns (expected 1..10000000)". User text in it is
// quoted, bytes outside printable ASCII as \xNN, cut after about 64 chars.
struct SpecError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses the words after `gen start`. Throws SpecError.
GenSpec parse_spec(const std::vector<std::string>& words);
// Splits a --gen string on blanks, then parses it.
GenSpec parse_spec(const std::string& line);
// The words that parse back to s (for logs and reports).
std::string to_string(const GenSpec& s);
// The destination as ADDR:PORT, an IPv6 one in brackets (RFC 3986 3.2.2).
std::string destination(const GenSpec& s);

std::string_view mode_name(Mode m);

}  // namespace pmx::gen
