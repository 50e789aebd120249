// ControlQueue (lib/control/control_queue.hpp): calls from other threads run
// on the thread that drains the queue, and callers never wait forever.
#include "control/control_queue.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

namespace pmx::control {
namespace {

using namespace std::chrono_literals;

// Plays the control loop: poll() on fd(), run_pending(), until stop.
struct ControlLoop {
  explicit ControlLoop(ControlQueue& q)
      : t([this, &q] {
          while (!stop) {
            pollfd p{q.fd(), POLLIN, 0};
            if (poll(&p, 1, 10) > 0) q.run_pending();
          }
        }) {}
  ~ControlLoop() {
    stop = true;
    t.join();
  }
  std::atomic<bool> stop{false};
  std::thread t;
};

TEST(ControlQueue, RunsTheCallOnTheDrainingThread) {
  ControlQueue q;
  ControlLoop loop(q);
  const auto caller = std::this_thread::get_id();
  auto r = q.call<std::thread::id>([] { return std::this_thread::get_id(); }, 2s);
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(*r, caller);
  EXPECT_EQ(*r, loop.t.get_id());
}

TEST(ControlQueue, ManyCallersEachGetTheirOwnAnswer) {
  ControlQueue q;
  ControlLoop loop(q);
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i)
    callers.emplace_back([&, i] {
      for (int k = 0; k < 100; ++k) {
        auto r = q.call<int>([i, k] { return i * 1000 + k; }, 2s);
        if (r && *r == i * 1000 + k) ++ok;
      }
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok, 400);
}

TEST(ControlQueue, TimesOutWhenNobodyDrains) {
  ControlQueue q;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(q.call<int>([] { return 1; }, 50ms).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
  q.run_pending();  // the late call still runs safely (it owns its state)
}

TEST(ControlQueue, AThrowingCallGivesNothing) {
  ControlQueue q;
  ControlLoop loop(q);
  EXPECT_FALSE(q.call<int>([]() -> int { throw std::runtime_error("x"); }, 2s).has_value());
}

TEST(ControlQueue, CloseReleasesWaitersAndRefusesNewCalls) {
  ControlQueue q;
  std::optional<int> r = 7;
  std::thread caller([&] { r = q.call<int>([] { return 1; }, 10s); });
  // Let the call be queued, then close without running it.
  for (int i = 0; i < 100; ++i) {
    pollfd p{q.fd(), POLLIN, 0};
    if (poll(&p, 1, 10) > 0) break;
  }
  const auto t0 = std::chrono::steady_clock::now();
  q.close();
  caller.join();
  EXPECT_FALSE(r.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_FALSE(q.call<int>([] { return 1; }, 10s).has_value());
}

}  // namespace
}  // namespace pmx::control
