#include "control/control_queue.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace pmx::control {

ControlQueue::ControlQueue() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

ControlQueue::~ControlQueue() {
  close();
  ::close(fd_);
}

bool ControlQueue::push(std::function<void()> job) {
  {
    std::lock_guard lk(mu_);
    if (closed_) return false;
    jobs_.push_back(std::move(job));
  }
  const uint64_t one = 1;
  if (write(fd_, &one, sizeof one) < 0) {
    // EAGAIN: the counter is saturated, so the fd is readable anyway.
  }
  return true;
}

void ControlQueue::run_pending() {
  uint64_t n;
  if (read(fd_, &n, sizeof n) < 0) {
    // EAGAIN: nothing signalled; jobs_ may still hold work from a race.
  }
  std::deque<std::function<void()>> jobs;
  {
    std::lock_guard lk(mu_);
    jobs.swap(jobs_);
  }
  for (auto& j : jobs) j();  // outside the lock: a job may take long
}

void ControlQueue::close() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lk(mu_);
    closed_ = true;
    dropped.swap(jobs_);
  }
  // Destroying the jobs breaks their promises: the waiting callers return.
}

}  // namespace pmx::control
