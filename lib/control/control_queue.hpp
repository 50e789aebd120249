// Calls from other threads into the control thread. The HTTP exporter's
// thread and DPDK's telemetry thread must never touch worker state or call
// Plane::ask() themselves (ask() is single-threaded by design): they queue a
// function here and wait (bounded) for the control thread to run it. The
// control thread polls fd() next to its CLI descriptors, so a call wakes it
// at once. Only these threads and the control thread take the mutex; workers
// never see this class.
#pragma once

#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

namespace pmx::control {

class ControlQueue {
 public:
  ControlQueue();  // throws std::system_error if no eventfd
  ~ControlQueue();
  ControlQueue(const ControlQueue&) = delete;
  ControlQueue& operator=(const ControlQueue&) = delete;

  // Readable while calls are waiting (an eventfd).
  int fd() const { return fd_; }

  // Not on the control thread: runs fn there and returns its result, or
  // nullopt if fn threw, the queue closed, or timeout passed first (fn may
  // still run later; it owns what it captured by value).
  template <class T>
  std::optional<T> call(std::function<T()> fn, std::chrono::milliseconds timeout) {
    auto p = std::make_shared<std::promise<T>>();
    auto f = p->get_future();
    // The job holds the only reference to the promise: dropping the job
    // (close()) breaks the promise, which wakes this caller at once.
    bool queued = push([p = std::move(p), fn = std::move(fn)] {
      try {
        p->set_value(fn());
      } catch (...) {
        p->set_exception(std::current_exception());
      }
    });
    if (!queued || f.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    try {
      return f.get();
    } catch (...) {  // fn threw, or the queue closed (broken promise)
      return std::nullopt;
    }
  }

  // Control thread: runs every queued call.
  void run_pending();
  // Control thread: refuses new calls and drops queued ones (their callers
  // get nullopt at once).
  void close();

 private:
  bool push(std::function<void()> job);

  std::mutex mu_;
  std::deque<std::function<void()>> jobs_;
  bool closed_ = false;
  int fd_ = -1;
};

}  // namespace pmx::control
