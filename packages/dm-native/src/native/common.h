// Shared pieces of the dm_native addon: the failure record every operation fills in, the
// promise-returning async job that runs an operation off the JS thread, a file descriptor
// holder and the few argument checks the native side does (the TypeScript wrapper validates
// everything first; these only keep a bad call from crashing the process).
#pragma once

#include <napi.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <unistd.h>
#include <utility>

namespace dmnative {

// What went wrong in one operation. `err` stays 0 while the operation succeeds.
struct Failure {
  int err = 0;              // positive errno
  std::string syscall;      // 'ioctl', 'open', 'pread', ...
  std::string operation;    // ioctl name or addon function name: 'DM_DEV_REMOVE', 'blockRead'
  std::string device;       // dm name or device path; empty when the call has none
  std::string path;         // file the failing syscall used, when it is not `device`
  std::string note;         // extra explanation appended to the message

  // Records errno `e` from `sc`; returns false so callers can `return f.Set(...)`.
  bool Set(int e, const char* sc) {
    err = e;
    syscall = sc;
    return false;
  }
};

// Builds the JS Error for a failure: message, code, errno, syscall, operation, device, path.
Napi::Object MakeError(Napi::Env env, const Failure& failure);

// The errno name ("EBUSY") and the message MakeError gives a failure; safe on any thread.
std::string ErrnoName(int err);
std::string FailureMessage(const Failure& failure);

// Closes the descriptor it holds.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

// An empty result for operations that resolve to undefined.
struct Nothing {};

// One operation as a promise: `work` runs on a libuv pool thread and fills `Result` or the
// Failure; `convert` runs back on the JS thread and turns the result into a JS value.
template <typename Result>
class Job final : public Napi::AsyncWorker {
 public:
  using Work = std::function<void(Result&, Failure&)>;
  using Convert = std::function<Napi::Value(Napi::Env, Result&)>;

  static Napi::Value Start(Napi::Env env, Work work, Convert convert) {
    Job* job = new Job(env, std::move(work), std::move(convert));
    Napi::Promise promise = job->deferred_.Promise();
    job->Queue();  // the worker deletes itself after OnOK
    return promise;
  }

 private:
  Job(Napi::Env env, Work work, Convert convert)
      : Napi::AsyncWorker(env, "thinfleet.dm-native"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        convert_(std::move(convert)) {}

  void Execute() override { work_(result_, failure_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (failure_.err != 0) {
      deferred_.Reject(MakeError(env, failure_));
      return;
    }
    Napi::Value value = convert_(env, result_);
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
      return;
    }
    deferred_.Resolve(value);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Convert convert_;
  Result result_{};
  Failure failure_;
};

// Resolves to undefined once `work` succeeds.
inline Napi::Value StartVoid(Napi::Env env, std::function<void(Failure&)> work) {
  return Job<Nothing>::Start(
      env, [work = std::move(work)](Nothing&, Failure& f) { work(f); },
      [](Napi::Env e, Nothing&) { return e.Undefined(); });
}

// ---- argument checks: each throws a TypeError and returns false on a bad argument ----

inline bool ThrowType(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::TypeError::New(info.Env(), std::string("argument ") + std::to_string(i) + " must be " + what)
      .ThrowAsJavaScriptException();
  return false;
}

inline bool ArgString(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) return ThrowType(info, i, "a string");
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

inline bool ArgBool(const Napi::CallbackInfo& info, size_t i, bool* out) {
  if (info.Length() <= i || !info[i].IsBoolean()) return ThrowType(info, i, "a boolean");
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

// A non-negative safe integer (at most 2^53 - 1) no larger than `max`.
inline bool ArgUint(const Napi::CallbackInfo& info, size_t i, uint64_t max, uint64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) return ThrowType(info, i, "a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v > 9007199254740991.0 || std::floor(v) != v || v > static_cast<double>(max)) {
    Napi::RangeError::New(info.Env(), "argument " + std::to_string(i) + " is out of range")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

// One function the module exports: its JS name (also the JS function's `name`) and its body.
struct Export {
  const char* name;
  Napi::Function::Callback function;
};

// Sets each of `functions` on `exports` under its name.
inline void SetExports(Napi::Env env, Napi::Object exports, std::initializer_list<Export> functions) {
  for (const Export& e : functions) {
    exports.Set(e.name, Napi::Function::New(env, e.function, e.name));
  }
}

// Registration of each source file's functions on the module's exports.
void InitDm(Napi::Env env, Napi::Object exports);
void InitBlock(Napi::Env env, Napi::Object exports);
void InitLoop(Napi::Env env, Napi::Object exports);
void InitFence(Napi::Env env, Napi::Object exports);
void InitWatchdog(Napi::Env env, Napi::Object exports);

}  // namespace dmnative
