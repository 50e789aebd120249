// A hashed timer wheel (Varghese & Lauck) with one timer per connection: each
// connection keeps its own deadlines (retransmission, delayed ACK, ...) and
// schedules the wheel for the earliest. Ticks are milliseconds of the
// caller's clock; a deadline more than kSlots ticks ahead waits in its slot
// for later laps. All memory is allocated in the constructor.
#pragma once

#include <cstdint>
#include <vector>

namespace pmx::tcp {

class TimerWheel {
 public:
  static constexpr uint32_t kSlots = 4096;  // power of two
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit TimerWheel(uint32_t nodes) : nodes_(nodes), slots_(kSlots, kNone) {}

  // (Re)arms timer id for tick `at` (ms). An `at` in the past fires on the
  // next advance().
  void schedule(uint32_t id, uint64_t at) {
    cancel(id);
    if (at <= now_) at = now_ + 1;
    Node& n = nodes_[id];
    n.at = at;
    n.slot = static_cast<uint32_t>(at & (kSlots - 1));
    n.prev = kNone;
    n.next = slots_[n.slot];
    if (n.next != kNone) nodes_[n.next].prev = id;
    slots_[n.slot] = id;
    n.armed = true;
    ++armed_;
  }
  void cancel(uint32_t id) {
    Node& n = nodes_[id];
    if (!n.armed) return;
    if (n.prev != kNone)
      nodes_[n.prev].next = n.next;
    else
      slots_[n.slot] = n.next;
    if (n.next != kNone) nodes_[n.next].prev = n.prev;
    n.armed = false;
    --armed_;
  }
  bool armed(uint32_t id) const { return nodes_[id].armed; }
  uint64_t deadline(uint32_t id) const { return nodes_[id].at; }
  uint32_t armed_count() const { return armed_; }
  uint64_t now() const { return now_; }

  // Moves the wheel to tick `now`, calling fire(id) for each timer due.
  // fire may schedule or cancel any timer, including the one firing.
  template <typename F>
  void advance(uint64_t now, F&& fire) {
    if (now <= now_) return;
    // Visiting more than one lap of slots finds nothing new.
    uint64_t from = now - now_ > kSlots ? now - kSlots : now_;
    now_ = now;
    for (uint64_t t = from + 1; t <= now; ++t)
      fire_slot(static_cast<uint32_t>(t & (kSlots - 1)), fire);
  }

 private:
  struct Node {
    uint64_t at = 0;
    uint32_t next = kNone, prev = kNone, slot = 0;
    bool armed = false;
  };

  template <typename F>
  void fire_slot(uint32_t slot, F& fire) {
    uint32_t id = slots_[slot];
    while (id != kNone) {
      const uint32_t next = nodes_[id].next;
      if (nodes_[id].at <= now_) {
        cancel(id);
        fire(id);
        // fire() may have re-armed timers in this slot; restart safely from
        // the head when the saved successor was moved.
        if (next != kNone && (!nodes_[next].armed || nodes_[next].slot != slot)) {
          id = slots_[slot];
          continue;
        }
      }
      id = next;
    }
  }

  std::vector<Node> nodes_;
  std::vector<uint32_t> slots_;
  uint64_t now_ = 0;
  uint32_t armed_ = 0;
};

}  // namespace pmx::tcp
