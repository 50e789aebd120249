// Listeners: {local IP or 0.0.0.0 or [::], local port} -> service. Lookup
// contract (like Linux __inet_lookup_listener): an exact local address beats
// the wildcard of its family for the same port; 0.0.0.0 takes IPv4 only and
// [::] IPv6 only (like Linux with IPV6_V6ONLY: no v4-mapped addresses). Only a SYN may create a
// connection from a listener. Each worker keeps its own copy, changed only by control messages.
#pragma once

#include "conn.hpp"
#include "net/addr.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace pmx::tcp {

// --syncookies (RFC 4987; Engine's cookie.cpp).
enum class SynCookies : uint8_t { Off, Auto, Always };

struct ListenSpec {
  net::IpAddr ip;     // zero (of its family) = any of our addresses of that family
  uint16_t port = 0;  // host order
  ServiceConfig service;
  CcKind cc = CcKind::NewReno;
  bool hystart = true;      // HyStart++ in the initial slow start (RFC 9406)
  uint32_t backlog = 1024;  // connections in SYN_RECV at once
};

struct Listener {
  ListenSpec spec;
  bool used = false;
  uint32_t syn_recv = 0;        // connections of ours in SYN_RECV
  uint64_t overflows = 0;       // SYNs refused: backlog full
  uint64_t accepted = 0;        // handshakes completed
  uint16_t next = kNoListener;  // chain of listeners on the same port

  static constexpr uint16_t kNoListener = UINT16_MAX;
};

class ListenerTable {
 public:
  static constexpr uint16_t kMax = 256;
  enum class Match : uint8_t { None, Exact, Wildcard };

  ListenerTable() : by_port_(65536, Listener::kNoListener) {}

  // Returns the index, or -EEXIST / -ENOSPC.
  int add(const ListenSpec& s);
  // Returns the index removed, or -ENOENT.
  int remove(const net::IpAddr& ip, uint16_t port);
  // port is host order. Sets m to how it matched.
  uint16_t lookup(const net::IpAddr& ip, uint16_t port, Match& m) const;

  Listener& operator[](uint16_t i) { return l_[i]; }
  const Listener& operator[](uint16_t i) const { return l_[i]; }
  template <typename F>
  void for_each(F&& f) const {
    for (uint16_t i = 0; i < kMax; ++i)
      if (l_[i].used) f(i, l_[i]);
  }
  size_t size() const { return n_; }

 private:
  std::array<Listener, kMax> l_{};
  std::vector<uint16_t> by_port_;  // host-order port -> first listener
  size_t n_ = 0;
};

}  // namespace pmx::tcp
