// Native threads of the addon's own (the fence thread, the watchdog thread, one per volume
// suspend) and the promise they settle: never libuv's pool, never the JS event loop.
#pragma once

#include <napi.h>
#include <pthread.h>
#include <time.h>

#include <functional>
#include <utility>

#include "common.h"

namespace dmnative {

// CLOCK_MONOTONIC in ms: the clock watchdog deadlines are on.
inline double MonotonicMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Starts `body` on a new detached thread; returns the pthread_create errno (0 on success).
// (The addon is built without C++ exceptions, so std::thread's failure would abort.)
inline int StartDetached(std::function<void()> body) {
  auto* heap = new std::function<void()>(std::move(body));
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  int err = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        auto* fn = static_cast<std::function<void()>*>(arg);
        (*fn)();
        delete fn;
        return nullptr;
      },
      heap);
  pthread_attr_destroy(&attr);
  if (err != 0) delete heap;
  return err;
}

class ThreadPromise;
void SettleThreadPromise(Napi::Env env, Napi::Function, std::nullptr_t*, ThreadPromise* p);

// A JS promise settled once from any thread through a thread-safe function (which keeps the
// event loop alive until then). Make it on the JS thread; call Resolve or Reject exactly once,
// from any thread; it deletes itself. If the environment is gone by then, nothing is settled.
class ThreadPromise {
 public:
  using ToJs = std::function<Napi::Value(Napi::Env)>;

  static ThreadPromise* New(Napi::Env env) { return new ThreadPromise(env); }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Resolve(ToJs to_js) {
    to_js_ = std::move(to_js);
    Send();
  }

  void Reject(const Failure& failure) {
    failure_ = failure;
    Send();
  }

 private:
  friend void SettleThreadPromise(Napi::Env, Napi::Function, std::nullptr_t*, ThreadPromise*);
  using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, ThreadPromise, SettleThreadPromise>;

  explicit ThreadPromise(Napi::Env env)
      : deferred_(Napi::Promise::Deferred::New(env)),
        tsfn_(Tsfn::New(env, "thinfleet.dm-native.thread", 0, 1)) {}

  void Send() {
    Tsfn tsfn = tsfn_;
    if (tsfn.BlockingCall(this) != napi_ok) {
      tsfn.Release();
      return;  // the environment is closing: nobody waits for the promise any more
    }
    tsfn.Release();
  }

  Napi::Promise::Deferred deferred_;
  Tsfn tsfn_;
  ToJs to_js_;
  Failure failure_;
};

inline void SettleThreadPromise(Napi::Env env, Napi::Function, std::nullptr_t*, ThreadPromise* p) {
  if (env != nullptr) {
    if (p->failure_.err != 0) {
      p->deferred_.Reject(MakeError(env, p->failure_));
    } else {
      Napi::Value value = p->to_js_ ? p->to_js_(env) : env.Undefined();
      if (env.IsExceptionPending()) {
        p->deferred_.Reject(env.GetAndClearPendingException().Value());
      } else {
        p->deferred_.Resolve(value);
      }
    }
  }
  delete p;
}

}  // namespace dmnative
