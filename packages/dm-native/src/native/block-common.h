// Helpers shared by block.cc and loop.cc: open(2) and ioctl(2) with the failure recorded, and
// the start of a call whose one argument is a path.
#pragma once

#include <fcntl.h>
#include <sys/ioctl.h>

#include <functional>
#include <string>

#include "common.h"

namespace dmnative {

// open(2) with the failure recorded against `path`.
inline int OpenOrFail(const std::string& path, int flags, Failure& f) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) f.Set(errno, "open");
  return fd;
}

inline bool IoctlOrFail(int fd, unsigned long request, void* arg, Failure& f) {
  int r;
  do {
    r = ioctl(fd, request, arg);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? f.Set(errno, "ioctl") : true;
}

// A call whose one argument is a path, resolving to undefined: takes the path, then runs
// work(path, f) off the JS thread with the failure already naming `operation` and the path.
inline Napi::Value StartVoidOnPath(const Napi::CallbackInfo& info, const char* operation,
                                   std::function<void(const std::string&, Failure&)> work) {
  std::string path;
  if (!ArgString(info, 0, &path)) return Napi::Value();
  return StartVoid(info.Env(), [path, operation, work = std::move(work)](Failure& f) {
    f.operation = operation;
    f.device = path;
    work(path, f);
  });
}

}  // namespace dmnative
