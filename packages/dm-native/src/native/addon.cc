// Errors and module registration for the dm_native addon.
#include <cstring>
#include <string>

#include "common.h"

namespace dmnative {

// errno name such as "EBUSY"; glibc >= 2.32 knows them all, anything else prints as E<number>.
std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "E" + std::to_string(err);
}

namespace {

std::string ErrnoText(int err) {
  const char* text = strerrordesc_np(err);
  return text != nullptr ? std::string(text) : "Unknown error " + std::to_string(err);
}

}  // namespace

std::string FailureMessage(const Failure& f) {
  std::string message = f.operation;
  if (!f.device.empty()) message += " " + f.device;
  message += ": " + ErrnoName(f.err) + " (" + ErrnoText(f.err) + ")";
  if (!f.note.empty()) message += ": " + f.note;
  return message;
}

Napi::Object MakeError(Napi::Env env, const Failure& f) {
  const std::string code = ErrnoName(f.err);
  Napi::Object error = Napi::Error::New(env, FailureMessage(f)).Value();
  error.Set("code", code);
  error.Set("errno", f.err);
  error.Set("syscall", f.syscall);
  error.Set("operation", f.operation);
  if (!f.device.empty()) error.Set("device", f.device);
  if (!f.path.empty()) error.Set("path", f.path);
  return error;
}

}  // namespace dmnative

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dmnative::InitDm(env, exports);
  dmnative::InitBlock(env, exports);
  dmnative::InitLoop(env, exports);
  dmnative::InitFence(env, exports);
  dmnative::InitWatchdog(env, exports);
  return exports;
}

NODE_API_MODULE(dm_native, Init)
