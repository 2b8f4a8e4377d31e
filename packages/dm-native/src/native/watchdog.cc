// The host watchdog guard: one per process, on a native thread of its own (no JS, no libuv
// pool). The thread opens the device, sets its timeout, and pets it every pet interval while
// the lease deadline (CLOCK_MONOTONIC ms) lies ahead and the fence path is healthy. When the
// deadline passes it stops petting for good and fences every plan (fence.h): unless JS disarms
// it with the magic close, the watchdog then resets the host. A file that is not a watchdog
// (ENOTTY: a FIFO or plain file in tests) is pet by writing one byte '.', and gets the 'V'.
#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <utility>

#include "dm-ioctl.h"
#include "fence.h"
#include "native-thread.h"

namespace dmnative {
namespace {

struct FenceError {
  std::string pool, device, errno_name, message;
};

// What one arming has seen so far; a new arm starts from a fresh one.
struct RunState {
  double last_pet_ms = 0;
  uint64_t pets = 0;
  bool expired = false, fence_healthy = true;
  double expiry_fence_stuck_after_ms = 0;  // while the thread's own fence runs; 0 otherwise
  std::vector<FenceReport> fenced;
  std::vector<FenceError> fence_errors;
  std::string pet_error_code, pet_error_message;
};

// Everything the thread and the JS calls share, under `mutex`. Never destroyed: the thread may
// outlive the JS environment (process exit closes the device without the magic close).
struct Watchdog {
  std::mutex mutex;
  std::condition_variable wake;
  bool running = false;   // the thread exists (opening, petting, or closing)
  bool armed = false;     // the device is open and being watched
  bool stopping = false;  // disarm asked
  std::string path;
  int fd = -1;
  bool is_watchdog = false;
  uint32_t timeout_s = 0;
  uint64_t interval_ms = 0;
  double deadline_ms = 0;
  std::vector<FencePlan> plans;
  uint32_t suspend_wait_ms = 500;
  RunState run;  // reset by each arm
  std::vector<ThreadPromise*> arm_waiters, disarm_waiters;
};

Watchdog& State() {
  static Watchdog* w = new Watchdog();
  return *w;
}

// One pet: WDIOC_KEEPALIVE, or a one-byte write to a file that is not a watchdog.
void Pet(Watchdog& w) {
  int r;
  if (w.is_watchdog) {
    r = ioctl(w.fd, WDIOC_KEEPALIVE, 0);
  } else {
    do {
      r = static_cast<int>(write(w.fd, ".", 1));
    } while (r < 0 && errno == EINTR);
  }
  if (r < 0) {
    Failure f;
    f.operation = w.is_watchdog ? "WDIOC_KEEPALIVE" : "watchdog pet";
    f.device = w.path;
    f.Set(errno, w.is_watchdog ? "ioctl" : "write");
    w.run.pet_error_code = ErrnoName(f.err);
    w.run.pet_error_message = FailureMessage(f);
    return;
  }
  w.run.pets += 1;
  w.run.last_pet_ms = MonotonicMs();
}

// The magic close: 'V' then close, so the driver stops the timer.
void MagicClose(int fd) {
  ssize_t r;
  do {
    r = write(fd, "V", 1);
  } while (r < 0 && errno == EINTR);
  close(fd);
}

// Opens the device and sets its timeout (the first half of the thread); false with `f` filled.
bool Open(Watchdog& w, const std::string& path, uint32_t asked_s, Failure& f) {
  f.operation = "watchdogArm";
  f.device = path;
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return f.Set(errno, "open");
  int timeout = static_cast<int>(asked_s);
  bool is_watchdog = true;
  if (ioctl(fd, WDIOC_SETTIMEOUT, &timeout) < 0) {
    if (errno != ENOTTY) {
      int err = errno;
      f.operation = "WDIOC_SETTIMEOUT";
      MagicClose(fd);
      return f.Set(err, "ioctl");
    }
    is_watchdog = false;
    timeout = static_cast<int>(asked_s);
  } else if (ioctl(fd, WDIOC_GETTIMEOUT, &timeout) < 0) {
    int err = errno;
    f.operation = "WDIOC_GETTIMEOUT";
    MagicClose(fd);
    return f.Set(err, "ioctl");
  }
  std::lock_guard<std::mutex> lock(w.mutex);
  w.fd = fd;
  w.is_watchdog = is_watchdog;
  w.timeout_s = static_cast<uint32_t>(timeout);
  return true;
}

void Settle(std::vector<ThreadPromise*>& waiters, const Failure& f, uint32_t timeout_s) {
  for (ThreadPromise* p : waiters) {
    if (f.err != 0) {
      p->Reject(f);
    } else {
      p->Resolve([timeout_s](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("timeoutSeconds", timeout_s);
        return o;
      });
    }
  }
  waiters.clear();
}

// The thread's fence when the deadline passed: every plan, recorded in the status.
void FenceAll(Watchdog& w, std::unique_lock<std::mutex>& lock) {
  std::vector<FencePlan> plans = w.plans;
  uint32_t wait_ms = w.suspend_wait_ms;
  w.run.expiry_fence_stuck_after_ms = MonotonicMs() + wait_ms + kFenceStuckMs;
  lock.unlock();
  std::vector<FenceReport> reports;
  std::vector<FenceError> errors;
  for (const FencePlan& plan : plans) {
    FenceReport report;
    Failure f;
    if (RunFence(plan, wait_ms, &report, f)) {
      reports.push_back(std::move(report));
    } else {
      errors.push_back({plan.pool, f.device, ErrnoName(f.err), FailureMessage(f)});
    }
  }
  lock.lock();
  w.run.expiry_fence_stuck_after_ms = 0;
  for (FenceReport& r : reports) w.run.fenced.push_back(std::move(r));
  for (FenceError& e : errors) w.run.fence_errors.push_back(std::move(e));
  if (!errors.empty()) w.run.fence_healthy = false;
}

void Run(std::string path, uint32_t asked_s) {
  Watchdog& w = State();
  Failure f;
  if (!Open(w, path, asked_s, f)) {
    std::lock_guard<std::mutex> lock(w.mutex);
    w.running = false;
    w.stopping = false;
    Settle(w.arm_waiters, f, 0);
    Settle(w.disarm_waiters, Failure(), 0);
    return;
  }
  std::unique_lock<std::mutex> lock(w.mutex);
  Pet(w);
  w.armed = true;
  Settle(w.arm_waiters, Failure(), w.timeout_s);
  double next_pet_ms = MonotonicMs() + static_cast<double>(w.interval_ms);
  while (!w.stopping) {
    double wake_ms = next_pet_ms;
    if (!w.run.expired && w.deadline_ms < wake_ms) wake_ms = w.deadline_ms;
    auto until = std::chrono::steady_clock::time_point(
        std::chrono::microseconds(static_cast<int64_t>(wake_ms * 1000.0)));
    w.wake.wait_until(lock, until);  // woken early by a new deadline, new plans or disarm
    if (w.stopping) break;
    double now = MonotonicMs();
    if (!w.run.expired && now >= w.deadline_ms) {
      w.run.expired = true;
      FenceAll(w, lock);
      continue;
    }
    if (now < next_pet_ms) continue;
    next_pet_ms = now + static_cast<double>(w.interval_ms);
    if (!w.run.expired && w.run.fence_healthy && !FenceThreadStuck(now)) Pet(w);
  }
  MagicClose(w.fd);
  w.fd = -1;
  w.armed = false;
  w.stopping = false;
  w.running = false;
  Settle(w.disarm_waiters, Failure(), 0);
}

// watchdogArm(path, timeoutSeconds, petIntervalMs) -> Promise<{timeoutSeconds}>
Napi::Value Arm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  uint64_t timeout_s = 0, interval_ms = 0;
  if (!ArgString(info, 0, &path) || !ArgUint(info, 1, 3600, &timeout_s) ||
      !ArgUint(info, 2, timeout_s * 1000, &interval_ms)) {
    return Napi::Value();
  }
  ThreadPromise* promise = ThreadPromise::New(env);
  Napi::Promise result = promise->Promise();
  Failure f;
  f.operation = "watchdogArm";
  f.device = path;
  const char* guard = std::getenv("THINFLEET_NO_REAL_WATCHDOG");
  struct stat st {};
  if (timeout_s < 1 || interval_ms < 1) {
    f.note = "timeoutSeconds and petIntervalMs must be positive";
    f.Set(EINVAL, "watchdogArm");
  } else if (guard != nullptr && std::string(guard) == "1" && stat(path.c_str(), &st) == 0 &&
             S_ISCHR(st.st_mode)) {
    f.note = "THINFLEET_NO_REAL_WATCHDOG=1 refuses a character device (tests never arm a real watchdog)";
    f.Set(EPERM, "watchdogArm");
  }
  if (f.err != 0) {
    promise->Reject(f);
    return result;
  }
  Watchdog& w = State();
  std::lock_guard<std::mutex> lock(w.mutex);
  if (w.running && (w.stopping || w.path != path)) {
    f.note = w.stopping ? "a disarm is in progress" : "the watchdog is armed on another device";
    f.Set(EBUSY, "watchdogArm");
    promise->Reject(f);
  } else if (w.armed) {
    std::vector<ThreadPromise*> one{promise};
    Settle(one, Failure(), w.timeout_s);
  } else if (w.running) {
    w.arm_waiters.push_back(promise);  // an arm of the same device is opening it
  } else {
    int err = StartDetached([path, timeout_s] { Run(path, static_cast<uint32_t>(timeout_s)); });
    if (err != 0) {
      f.note = "cannot start the watchdog thread";
      f.Set(err, "pthread_create");
      promise->Reject(f);
      return result;
    }
    w.running = true;
    w.stopping = false;
    w.path = path;
    w.interval_ms = interval_ms;
    w.run = RunState();
    w.arm_waiters.push_back(promise);
  }
  return result;
}

// watchdogDisarm() -> Promise<void>: the thread closes with the magic close, then settles it.
Napi::Value Disarm(const Napi::CallbackInfo& info) {
  ThreadPromise* promise = ThreadPromise::New(info.Env());
  Napi::Promise result = promise->Promise();
  Watchdog& w = State();
  std::lock_guard<std::mutex> lock(w.mutex);
  if (!w.running) {
    std::vector<ThreadPromise*> one{promise};
    Settle(one, Failure(), 0);
    return result;
  }
  w.stopping = true;
  w.disarm_waiters.push_back(promise);
  w.wake.notify_all();
  return result;
}

Napi::Value SetDeadline(const Napi::CallbackInfo& info) {
  uint64_t deadline = 0;
  if (!ArgUint(info, 0, 9007199254740991ull, &deadline)) return Napi::Value();
  Watchdog& w = State();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.deadline_ms = static_cast<double>(deadline);
  w.wake.notify_all();
  return info.Env().Undefined();
}

Napi::Value SetFencePlans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t wait_ms = 0;
  if (info.Length() < 1 || !info[0].IsArray()) {
    ThrowType(info, 0, "an array of fence plans");
    return Napi::Value();
  }
  if (!ArgUint(info, 1, 60000, &wait_ms)) return Napi::Value();
  Napi::Array array = info[0].As<Napi::Array>();
  std::vector<FencePlan> plans(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    if (!ArgFencePlan(env, array.Get(i), &plans[i])) return Napi::Value();
  }
  Watchdog& w = State();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.plans = std::move(plans);
  w.suspend_wait_ms = static_cast<uint32_t>(wait_ms);
  return env.Undefined();
}

Napi::Value Status(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Watchdog& w = State();
  std::lock_guard<std::mutex> lock(w.mutex);
  Napi::Object o = Napi::Object::New(env);
  o.Set("path", w.path);
  const double now = MonotonicMs();
  const bool stuck = (w.armed && FenceThreadStuck(now)) ||
                     (w.run.expiry_fence_stuck_after_ms > 0 && now > w.run.expiry_fence_stuck_after_ms);
  const bool healthy = w.run.fence_healthy && !stuck;
  for (const auto& [key, flag] : {std::pair<const char*, bool>{"armed", w.armed},
                                  {"isWatchdog", w.is_watchdog},
                                  {"expired", w.run.expired},
                                  {"fenceHealthy", healthy}}) {
    o.Set(key, flag);
  }
  for (const auto& [key, number] :
       {std::pair<const char*, double>{"timeoutSeconds", w.timeout_s},
        {"deadlineMs", w.deadline_ms},
        {"lastPetMs", w.run.last_pet_ms},
        {"pets", static_cast<double>(w.run.pets)}}) {
    o.Set(key, number);
  }
  o.Set("fenced", ToJsArray(env, w.run.fenced, FenceReportToJs));
  o.Set("fenceErrors", ToJsArray(env, w.run.fence_errors, [](Napi::Env e, const FenceError& x) {
          Napi::Object y = Napi::Object::New(e);
          y.Set("pool", x.pool);
          y.Set("device", x.device);
          y.Set("errno", x.errno_name);
          y.Set("message", x.message);
          return y;
        }));
  if (w.run.pet_error_code.empty()) {
    o.Set("lastPetError", env.Null());
  } else {
    Napi::Object e = Napi::Object::New(env);
    e.Set("code", w.run.pet_error_code);
    e.Set("message", w.run.pet_error_message);
    o.Set("lastPetError", e);
  }
  return o;
}

}  // namespace

void WatchdogNoteFenceFailure(const std::string& pool, const Failure& f) {
  Watchdog& w = State();
  std::lock_guard<std::mutex> lock(w.mutex);
  if (!w.armed) return;
  w.run.fence_errors.push_back({pool, f.device, ErrnoName(f.err), FailureMessage(f)});
  w.run.fence_healthy = false;
}

void InitWatchdog(Napi::Env env, Napi::Object exports) {
  SetExports(env, exports, {
      {"watchdogArm", Arm},
      {"watchdogDisarm", Disarm},
      {"watchdogSetDeadline", SetDeadline},
      {"watchdogSetFencePlans", SetFencePlans},
      {"watchdogStatus", Status},
  });
}

}  // namespace dmnative
