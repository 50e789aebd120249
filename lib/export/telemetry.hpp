// DPDK telemetry commands under /portmux/, next to /ethdev/stats in
// dpdk-telemetry.py. Their callbacks run on DPDK's telemetry thread; each
// one hands its work to the control thread through the ControlQueue and
// waits (at most kTelemetryWaitMs), so worker state is still reached only
// by the control thread's requests.
#pragma once

#include <memory>

namespace pmx::control {

class ControlQueue;
class Plane;

inline constexpr int kTelemetryWaitMs = 2000;
// Rows per /portmux/connections reply (the telemetry socket's replies are
// at most 16 KiB); "/portmux/connections,N" starts at row N.
inline constexpr size_t kTelemetryConnRows = 100;

// Registers the commands (once per process) and points them at q and pl.
void telemetry_attach(std::shared_ptr<ControlQueue> q, Plane& pl);
// From now on the commands answer an error (the appliance is stopping).
void telemetry_detach();

}  // namespace pmx::control
