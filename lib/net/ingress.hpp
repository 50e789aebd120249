// Layer 2/3 receive processing of one frame, free of port I/O so it runs in
// unit tests without EAL. It validates, counts (every dropped frame bumps
// exactly one drop counter, here and nowhere else), and answers in place.
#pragma once

#include "addr.hpp"
#include "ipv4.hpp"
#include "ipv6.hpp"
#include "stats/counters.hpp"

#include <rte_ether.h>

#include <cstdint>

namespace pmx::net {

struct Outcome {
  enum class Kind : uint8_t {
    Drop,        // free the frame; its drop counter was bumped
    Consumed,    // free the frame; it did its job (e.g. an ARP reply)
    Send,        // transmit the frame as it now is, len bytes
    Route,       // an IP packet for dst: fill in the Ethernet destination
                 // from the neighbour table (next hop of dst), then transmit
    Tcp,         // a TCP segment for us at l4_off, l4_len bytes, src -> dst:
                 // for the TCP engine (which counts what becomes of it)
    FragNeeded,  // ICMP fragmentation needed (RFC 1191) or ICMPv6 packet too
                 // big (RFC 8201) for a TCP segment of ours (frag): for the
                 // TCP engine; free the frame
    Kernel,      // not ours to answer, and the port has a kernel port
                 // (PortIp::kernel): up to the host's kernel, unchanged
  };
  Kind kind = Kind::Drop;
  uint16_t len = 0;
  IpAddr dst;
  IpAddr src;           // Tcp
  uint16_t l4_off = 0;  // Tcp
  uint16_t l4_len = 0;  // Tcp
  // RFC 826 merge step (RFC 4861 7.2.5 for ND): the sender is at learn_mac.
  bool learn = false;
  bool learn_create = false;  // we were the target: create the entry if absent
  IpAddr learn_ip;
  rte_ether_addr learn_mac{};
  FragNeeded frag;  // FragNeeded
  // Consumed, with a kernel port: the kernel gets a copy too (an ARP reply:
  // both neighbour tables learn; neither answers it).
  bool copy_to_kernel = false;
};

// Processes the frame at p (len bytes). ip_cksum_good: the NIC verified the
// IPv4 header checksum. May rewrite the frame, within room bytes from p when
// room > len (an answer may be longer than the frame it answers: a
// neighbour advertisement to a 78-byte solicitation is 86), else within len.
Outcome ingress(uint8_t* p, uint16_t len, bool ip_cksum_good, const PortIp& port,
                stats::Counters& ctr, uint16_t room = 0);

}  // namespace pmx::net
