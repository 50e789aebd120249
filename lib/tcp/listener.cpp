#include "listener.hpp"

#include <cerrno>

namespace pmx::tcp {

int ListenerTable::add(const ListenSpec& s) {
  for (uint16_t i = by_port_[s.port]; i != Listener::kNoListener; i = l_[i].next)
    if (l_[i].spec.ip == s.ip) return -EEXIST;
  for (uint16_t i = 0; i < kMax; ++i) {
    if (l_[i].used) continue;
    l_[i] = Listener{};
    l_[i].spec = s;
    l_[i].used = true;
    l_[i].next = by_port_[s.port];
    by_port_[s.port] = i;
    ++n_;
    return i;
  }
  return -ENOSPC;
}

int ListenerTable::remove(const net::IpAddr& ip, uint16_t port) {
  uint16_t* link = &by_port_[port];
  while (*link != Listener::kNoListener) {
    const uint16_t i = *link;
    if (l_[i].spec.ip == ip) {
      *link = l_[i].next;
      l_[i].used = false;
      --n_;
      return i;
    }
    link = &l_[i].next;
  }
  return -ENOENT;
}

uint16_t ListenerTable::lookup(const net::IpAddr& ip, uint16_t port, Match& m) const {
  uint16_t wild = Listener::kNoListener;
  for (uint16_t i = by_port_[port]; i != Listener::kNoListener; i = l_[i].next) {
    if (l_[i].spec.ip == ip) {
      m = Match::Exact;
      return i;
    }
    if (l_[i].spec.ip.v6 == ip.v6 && l_[i].spec.ip.is_zero()) wild = i;
  }
  m = wild == Listener::kNoListener ? Match::None : Match::Wildcard;
  return wild;
}

}  // namespace pmx::tcp
