// The pool fence of devmapper's fencing/pool-fence-plan.ts in C++ (fence.cc), shared by
// dmFencePool (the fence thread) and the watchdog thread's expiry fence (watchdog.cc).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common.h"

namespace dmnative {

struct FencePlan {
  std::string pool;
  std::string device_prefix;
  std::string meta_device;
  std::string data_device;
  std::string pool_device;
};

struct FenceDeviceError {
  std::string device;
  std::string code;
  std::string message;
};

struct FenceReport {
  std::vector<std::string> suspended_volumes;
  std::vector<std::string> errored_devices;
  std::vector<std::string> slow_volumes;
  std::vector<FenceDeviceError> failed_volumes;
};

// Runs the whole fence on the calling thread (volume suspends on detached threads of their
// own); false with `f` filled in when the metadata or data swap failed.
bool RunFence(const FencePlan& plan, uint32_t volume_suspend_wait_ms, FenceReport* report,
              Failure& f);

// True while a dmFencePool job has run longer than its suspend wait plus kFenceStuckMs.
bool FenceThreadStuck(double now_ms);
constexpr double kFenceStuckMs = 5000;

// JS conversions and argument parsing (throw and return false on a bad plan).
Napi::Object FenceReportToJs(Napi::Env env, const FenceReport& report);
bool ArgFencePlan(Napi::Env env, Napi::Value value, FencePlan* out);

// watchdog.cc: a failed fence of dmFencePool while the watchdog is armed marks the fence path
// unhealthy (petting stops) and is recorded in the watchdog's status.
void WatchdogNoteFenceFailure(const std::string& pool, const Failure& f);

}  // namespace dmnative
