// The kernel exception path (--kernel-port; docs/architecture.md, "The
// kernel exception path"): what a data port's untagged interface does not
// consume goes up, unchanged, to a TAP interface of the host's kernel, and
// what the kernel sends on that TAP goes out of the data port. Each worker
// has a TX and an RX queue on each TAP. A TAP queue is a file descriptor:
// every burst costs a system call, so the path is bounded per worker
// (kKernelFramesPer10ms up, one burst per queue every 100 us down) and a
// flood of frames for the kernel cannot starve the data path.
#include "worker.hpp"

#include <rte_ethdev.h>

#include <algorithm>

namespace pmx::worker {

using stats::Ctr;

namespace {
constexpr uint64_t kKernelFramesPer10ms = 500;  // 50,000 frames/s up, per worker
constexpr uint16_t kKernelBurst = 32;
}  // namespace

// m (one frame, untagged, Ethernet header first) up to port's kernel port;
// m is taken in every case. False: dropped (kernel_up_full).
bool Worker::to_kernel(uint16_t port, rte_mbuf* m) {
  const uint16_t tap = sh_.ports[port].kernel_port;
  if (tap == PortConfig::kNoPort || kernel_tokens_ == 0 ||
      rte_eth_tx_burst(tap, queue_, &m, 1) != 1) {
    drop(m, Ctr::kernel_up_full);
    return false;
  }
  --kernel_tokens_;
  return true;
}

// A copy of m up (m stays the caller's).
void Worker::copy_to_kernel(uint16_t port, rte_mbuf* m) {
  rte_mbuf* c = rte_pktmbuf_copy(m, sh_.pool, 0, UINT32_MAX);
  if (!c) return ctr_.inc(Ctr::kernel_up_full);
  to_kernel(port, c);
}

// Engine::KernelHook: a segment for no connection and no listener. Taken
// (true) if its frame came in on an untagged interface whose port has a
// kernel port and --kernel-tcp-ports has its local port; the frame then
// goes up with a reference of its own (the burst's is freed as usual).
bool Worker::on_kernel_tcp(void* self, const tcp::Seg& s) {
  auto* w = static_cast<Worker*>(self);
  const net::PortIp& ifc = w->sh_.ifaces[s.key.port_id];
  if (!ifc.kernel) return false;
  const uint16_t lport = rte_be_to_cpu_16(s.key.local_port);
  if (!(w->sh_.kernel_tcp[lport >> 3] & (1u << (lport & 7)))) return false;
  const size_t i = static_cast<size_t>(&s - w->segs_->data());
  if (i >= w->nheld_ || !(*w->held_)[i]) return false;
  rte_mbuf* m = (*w->held_)[i];
  rte_mbuf_refcnt_update(m, 1);
  w->to_kernel(ifc.port_id, m);
  return true;
}

// What the kernels sent: out of their data ports, as they are (the TAP has
// the data port's MAC; the kernel resolved the next hop itself). Also
// refills the upward budget.
void Worker::poll_kernel(Tsc now) {
  next_kernel_ = now + sh_.hz / 10000;
  kernel_tokens_ =
      std::min<uint64_t>(kernel_tokens_ + kKernelFramesPer10ms / 100, kKernelFramesPer10ms);
  for (uint16_t p = 0; p < sh_.ports.size(); ++p) {
    const uint16_t tap = sh_.ports[p].kernel_port;
    if (tap == PortConfig::kNoPort || !active_[p]) continue;
    rte_mbuf* pkts[kKernelBurst];
    const uint16_t n = rte_eth_rx_burst(tap, queue_, pkts, kKernelBurst);
    ctr_.inc(Ctr::kernel_down_frames, n);
    for (uint16_t i = 0; i < n; ++i) send(p, pkts[i]);
  }
}

}  // namespace pmx::worker
