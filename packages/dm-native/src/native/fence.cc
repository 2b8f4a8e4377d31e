// The pool fence (fence.h) and dmFencePool, which runs it on the addon's fence thread: one
// native thread with its own queue, started on first use, so a fence never waits behind
// blocked pool I/O on libuv's pool. The steps are those of devmapper's
// fencing/pool-fence-plan.ts, also written in TypeScript over DmClient calls for the simulator
// (fence-by-calls.ts); the conformance suite holds both to the same outcome.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>

#include "dm-ioctl.h"
#include "fence.h"
#include "native-thread.h"

namespace dmnative {
namespace {

constexpr int kSwapAttempts = 3;
constexpr uint32_t kVolumeSuspendFlags = DM_SUSPEND_FLAG | DM_NOFLUSH_FLAG | DM_SKIP_LOCKFS_FLAG;

bool DeviceInfo(const std::string& name, Info* out, Failure& f) {
  DmIoctl call("DM_DEV_STATUS", DM_DEV_STATUS, name);
  if (!call.Run(f)) return false;
  *out = ReadInfo(call.Header());
  return true;
}

bool LiveTable(const std::string& name, std::vector<TargetLine>* out, Failure& f) {
  DmIoctl call("DM_TABLE_STATUS", DM_TABLE_STATUS, name);
  call.growable = true;
  call.flags |= DM_STATUS_TABLE_FLAG;
  if (!call.Run(f)) return false;
  *out = DecodeTargets(call.Data(), call.DataSize(), ReadInfo(call.Header()).target_count);
  return true;
}

bool AllError(const std::vector<TargetLine>& targets) {
  return !targets.empty() && std::all_of(targets.begin(), targets.end(),
                                         [](const TargetLine& t) { return t.type == "error"; });
}

// DM_DEV_SUSPEND with `flags` (0 resumes).
bool SuspendCall(const std::string& name, uint32_t flags, Failure& f) {
  DmIoctl call("DM_DEV_SUSPEND", DM_DEV_SUSPEND, name);
  call.flags = flags;
  return call.Run(f);
}

bool LoadErrorTable(const std::string& name, uint64_t sectors, Failure& f) {
  DmIoctl call("DM_TABLE_LOAD", DM_TABLE_LOAD, name);
  call.target_count = 1;
  call.payload = TargetPayload({0, sectors, "error", ""});
  return call.Run(f);
}

// Step 2 for one device: 1 when swapped now, 0 when it was erroring already, -1 on failure.
int SwapToError(const std::string& name, Failure& f) {
  std::vector<TargetLine> live;
  if (!LiveTable(name, &live, f)) return -1;
  if (AllError(live)) return 0;
  uint64_t sectors = 0;
  for (const TargetLine& t : live) sectors += t.length;
  sectors = std::max<uint64_t>(sectors, 1);
  for (int attempt = 1; attempt <= kSwapAttempts; attempt++) {
    if (!LoadErrorTable(name, sectors, f) || !SuspendCall(name, kVolumeSuspendFlags, f) ||
        !SuspendCall(name, 0, f) || !LiveTable(name, &live, f)) {
      return -1;
    }
    if (AllError(live)) return 1;
  }
  f.operation = "DM_TABLE_LOAD";
  f.device = name;
  f.note = "the error table did not stay live after " + std::to_string(kSwapAttempts) + " attempts";
  f.Set(EIO, "ioctl");
  return -1;
}

// The volume suspends of one fence, shared with their detached threads (a stuck one outlives
// the fence that started it).
struct SuspendRound {
  std::mutex mutex;
  std::condition_variable done;
  size_t pending = 0;
  std::set<std::string> running;
  std::vector<std::string> suspended;
  std::vector<FenceDeviceError> failed;
};

// Step 1 for one volume: skip it when gone, suspended or erroring already.
void SuspendVolume(const std::shared_ptr<SuspendRound>& round, const std::string& name) {
  Failure f;
  Info info;
  std::vector<TargetLine> live;
  bool suspended = false;
  if (DeviceInfo(name, &info, f) && (info.flags & DM_SUSPEND_FLAG) == 0 && LiveTable(name, &live, f) &&
      !AllError(live)) {
    suspended = SuspendCall(name, kVolumeSuspendFlags, f);
  }
  std::lock_guard<std::mutex> lock(round->mutex);
  if (suspended) round->suspended.push_back(name);
  if (f.err != 0 && f.err != ENXIO) round->failed.push_back({name, ErrnoName(f.err), FailureMessage(f)});
  round->running.erase(name);
  round->pending -= 1;
  round->done.notify_all();
}

// The fence thread: jobs run one at a time in order. Never destroyed (it may be blocked in the
// kernel when the process exits).
class FenceThread {
 public:
  static FenceThread& Get() {
    static FenceThread* thread = new FenceThread();
    return *thread;
  }

  // Queues `job`, which may take up to `expected_ms`; returns the errno of starting the thread.
  int Post(std::function<void()> job, double expected_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_) {
      int err = StartDetached([this] { Loop(); });
      if (err != 0) return err;
      started_ = true;
    }
    queue_.push_back({std::move(job), expected_ms});
    wake_.notify_one();
    return 0;
  }

  bool Stuck(double now_ms) const {
    double limit = stuck_after_ms_.load();
    return limit > 0 && now_ms > limit;
  }

 private:
  struct Job {
    std::function<void()> run;
    double expected_ms;
  };

  void Loop() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      stuck_after_ms_.store(MonotonicMs() + job.expected_ms + kFenceStuckMs);
      job.run();
      stuck_after_ms_.store(0);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool started_ = false;
  std::atomic<double> stuck_after_ms_{0};
};

bool ArgPlanString(Napi::Env env, Napi::Object o, const char* key, std::string* out) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) {
    Napi::TypeError::New(env, std::string("fence plan: ") + key + " must be a string")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = v.As<Napi::String>().Utf8Value();
  if (out->empty() || out->size() >= DM_NAME_LEN) {
    Napi::RangeError::New(env, std::string("fence plan: ") + key + " must be 1 to 127 bytes")
        .ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

Napi::Array StringsToJs(Napi::Env env, const std::vector<std::string>& items) {
  return ToJsArray(env, items, [](Napi::Env e, const std::string& s) { return Napi::String::New(e, s); });
}

// dmFencePool(plan, volumeSuspendWaitMs) -> Promise<report>, on the fence thread.
Napi::Value FencePool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FencePlan plan;
  uint64_t wait_ms = 0;
  if (info.Length() < 1 || !ArgFencePlan(env, info[0], &plan) || !ArgUint(info, 1, 60000, &wait_ms)) {
    return Napi::Value();
  }
  ThreadPromise* promise = ThreadPromise::New(env);
  Napi::Promise result = promise->Promise();
  int err = FenceThread::Get().Post(
      [promise, plan, wait_ms] {
        auto report = std::make_shared<FenceReport>();
        Failure f;
        if (RunFence(plan, static_cast<uint32_t>(wait_ms), report.get(), f)) {
          promise->Resolve([report](Napi::Env e) -> Napi::Value { return FenceReportToJs(e, *report); });
        } else {
          WatchdogNoteFenceFailure(plan.pool, f);
          promise->Reject(f);
        }
      },
      static_cast<double>(wait_ms));
  if (err != 0) {
    Failure f;
    f.operation = "dmFencePool";
    f.note = "cannot start the fence thread";
    f.Set(err, "pthread_create");
    promise->Reject(f);
  }
  return result;
}

Napi::Value MonotonicNow(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), MonotonicMs());
}

}  // namespace

bool RunFence(const FencePlan& plan, uint32_t volume_suspend_wait_ms, FenceReport* report,
              Failure& f) {
  DmIoctl list("DM_LIST_DEVICES", DM_LIST_DEVICES, "");
  list.growable = true;
  if (!list.Run(f)) return false;
  std::set<std::string> present;
  std::vector<std::string> volumes;
  const char* data = list.Data();
  const size_t size = list.DataSize();
  const size_t name_at = offsetof(struct dm_name_list, name);
  for (size_t at = 0; at + name_at < size;) {
    if (ReadAt<uint64_t>(data + at, offsetof(struct dm_name_list, dev)) == 0) break;
    std::string name = BoundedString(data + at + name_at, size - at - name_at);
    if (name.compare(0, plan.device_prefix.size(), plan.device_prefix) == 0) {
      if (name == plan.meta_device || name == plan.data_device || name == plan.pool_device) {
        present.insert(name);
      } else {
        volumes.push_back(name);
      }
    }
    const auto next = ReadAt<uint32_t>(data + at, offsetof(struct dm_name_list, next));
    if (next == 0) break;
    at += next;
  }

  auto round = std::make_shared<SuspendRound>();
  for (const std::string& name : volumes) {
    {
      std::lock_guard<std::mutex> lock(round->mutex);
      round->pending += 1;
      round->running.insert(name);
    }
    int err = StartDetached([round, name] { SuspendVolume(round, name); });
    if (err != 0) {
      Failure tf;
      tf.operation = "fence";
      tf.device = name;
      tf.note = "cannot start the suspend thread";
      tf.Set(err, "pthread_create");
      std::lock_guard<std::mutex> lock(round->mutex);
      round->failed.push_back({name, ErrnoName(err), FailureMessage(tf)});
      round->running.erase(name);
      round->pending -= 1;
    }
  }
  {
    std::unique_lock<std::mutex> lock(round->mutex);
    round->done.wait_for(lock, std::chrono::milliseconds(volume_suspend_wait_ms),
                         [&round] { return round->pending == 0; });
    report->suspended_volumes = round->suspended;
    report->slow_volumes.assign(round->running.begin(), round->running.end());
    report->failed_volumes = round->failed;
  }
  std::sort(report->suspended_volumes.begin(), report->suspended_volumes.end());
  std::sort(report->failed_volumes.begin(), report->failed_volumes.end(),
            [](const FenceDeviceError& a, const FenceDeviceError& b) { return a.device < b.device; });

  // Metadata first: it is what a stale commit would overwrite.
  for (const std::string* sub : {&plan.meta_device, &plan.data_device}) {
    if (present.count(*sub) == 0) continue;
    int swapped = SwapToError(*sub, f);
    if (swapped < 0) return false;
    if (swapped > 0) report->errored_devices.push_back(*sub);
  }
  return true;
}

bool FenceThreadStuck(double now_ms) { return FenceThread::Get().Stuck(now_ms); }

bool ArgFencePlan(Napi::Env env, Napi::Value value, FencePlan* out) {
  if (!value.IsObject()) {
    Napi::TypeError::New(env, "fence plan must be an object").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value pool = o.Get("pool");
  if (!pool.IsString()) {
    Napi::TypeError::New(env, "fence plan: pool must be a string").ThrowAsJavaScriptException();
    return false;
  }
  out->pool = pool.As<Napi::String>().Utf8Value();
  return ArgPlanString(env, o, "devicePrefix", &out->device_prefix) &&
         ArgPlanString(env, o, "metaDevice", &out->meta_device) &&
         ArgPlanString(env, o, "dataDevice", &out->data_device) &&
         ArgPlanString(env, o, "poolDevice", &out->pool_device);
}

Napi::Object FenceReportToJs(Napi::Env env, const FenceReport& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("suspendedVolumes", StringsToJs(env, r.suspended_volumes));
  o.Set("erroredDevices", StringsToJs(env, r.errored_devices));
  o.Set("slowVolumes", StringsToJs(env, r.slow_volumes));
  o.Set("failedVolumes", ToJsArray(env, r.failed_volumes, [](Napi::Env e, const FenceDeviceError& d) {
          Napi::Object x = Napi::Object::New(e);
          x.Set("device", d.device);
          x.Set("code", d.code);
          x.Set("message", d.message);
          return x;
        }));
  return o;
}

void InitFence(Napi::Env env, Napi::Object exports) {
  SetExports(env, exports, {
      {"dmFencePool", FencePool},
      {"monotonicNowMs", MonotonicNow},
  });
}

}  // namespace dmnative
