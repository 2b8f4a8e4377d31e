// Loop devices: attaching a file to a free loop device, detaching it, and reading the file back.
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "block-common.h"

namespace dmnative {
namespace {

constexpr int kLoopAttempts = 32;  // tries when another process takes our free loop number

void CopyName(__u8 (&field)[LO_NAME_SIZE], const std::string& name) {
  std::memset(field, 0, sizeof(field));
  std::memcpy(field, name.data(), std::min(name.size(), sizeof(field) - 1));
}

// The pre-5.8 way: LOOP_SET_FD, then LOOP_SET_STATUS64 for the flags and name. Returns false
// with f.err == EBUSY when another process bound the device first.
bool AttachLegacy(int loop_fd, int file_fd, const std::string& file, bool autoclear, Failure& f) {
  f.operation = "LOOP_SET_FD";
  if (!IoctlOrFail(loop_fd, LOOP_SET_FD, reinterpret_cast<void*>(static_cast<intptr_t>(file_fd)), f)) {
    return false;
  }
  loop_info64 status{};
  status.lo_flags = autoclear ? LO_FLAGS_AUTOCLEAR : 0;
  CopyName(status.lo_file_name, file);
  f.operation = "LOOP_SET_STATUS64";
  if (!IoctlOrFail(loop_fd, LOOP_SET_STATUS64, &status, f)) {
    ioctl(loop_fd, LOOP_CLR_FD, 0);
    return false;
  }
  return true;
}

// loopAttach(file, readOnly, autoclear): binds `file` to a free loop device; returns its path.
std::string LoopAttach(const std::string& file, bool read_only, bool autoclear, Failure& f) {
  f.operation = "LOOP_CONFIGURE";
  f.device = file;
  Fd file_fd(OpenOrFail(file, read_only ? O_RDONLY : O_RDWR, f));
  if (!file_fd.ok()) return "";
  f.operation = "LOOP_CTL_GET_FREE";
  f.device = "/dev/loop-control";
  Fd control(OpenOrFail(f.device, O_RDWR, f));
  if (!control.ok()) return "";

  for (int attempt = 0; attempt < kLoopAttempts; attempt++) {
    f = Failure{};
    f.operation = "LOOP_CTL_GET_FREE";
    f.device = "/dev/loop-control";
    int number = ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0) return f.Set(errno, "ioctl"), "";

    f.device = "/dev/loop" + std::to_string(number);
    f.path = file;
    f.operation = "LOOP_CONFIGURE";
    Fd loop(OpenOrFail(f.device, O_RDWR, f));
    if (!loop.ok()) {
      if (f.err == ENOENT || f.err == ENXIO) continue;  // removed again before we opened it
      return "";
    }
    loop_config config{};
    config.fd = static_cast<__u32>(file_fd.get());
    config.info.lo_flags = (read_only ? LO_FLAGS_READ_ONLY : 0) | (autoclear ? LO_FLAGS_AUTOCLEAR : 0);
    CopyName(config.info.lo_file_name, file);
    if (IoctlOrFail(loop.get(), LOOP_CONFIGURE, &config, f)) return f.device;
    if (f.err == EINVAL || f.err == ENOTTY) {  // kernel without LOOP_CONFIGURE
      f.err = 0;
      if (AttachLegacy(loop.get(), file_fd.get(), file, autoclear, f)) return f.device;
    }
    if (f.err != EBUSY) return "";
  }
  f.note = "no free loop device could be bound after " + std::to_string(kLoopAttempts) +
           " tries (others took them first)";
  return "";
}

// loopBackingFile(device): the attached file, or "" with attached=false when free.
std::string LoopBackingFile(const std::string& device, bool* attached, Failure& f) {
  f.operation = "LOOP_GET_STATUS64";
  f.device = device;
  *attached = false;
  Fd fd(OpenOrFail(device, O_RDONLY, f));
  if (!fd.ok()) return "";
  loop_info64 status{};
  if (ioctl(fd.get(), LOOP_GET_STATUS64, &status) != 0) {
    if (errno == ENXIO) return "";
    return f.Set(errno, "ioctl"), "";
  }
  *attached = true;
  std::string name(reinterpret_cast<const char*>(status.lo_file_name),
                   strnlen(reinterpret_cast<const char*>(status.lo_file_name), LO_NAME_SIZE));
  if (name.size() < LO_NAME_SIZE - 1) return name;

  // The name filled the field and may be cut short: sysfs has the whole path.
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return name;
  const std::string sys = "/sys/dev/block/" + std::to_string(major(st.st_rdev)) + ":" +
                          std::to_string(minor(st.st_rdev)) + "/loop/backing_file";
  Fd sys_fd(open(sys.c_str(), O_RDONLY | O_CLOEXEC));
  if (!sys_fd.ok()) return name;
  char text[4097];
  ssize_t n = read(sys_fd.get(), text, sizeof(text) - 1);
  if (n <= 0) return name;
  std::string full(text, static_cast<size_t>(n));
  while (!full.empty() && full.back() == '\n') full.pop_back();
  return full.empty() ? name : full;
}

// ---- exported functions ----

Napi::Value JsLoopAttach(const Napi::CallbackInfo& info) {
  std::string file;
  bool read_only = false, autoclear = false;
  if (!ArgString(info, 0, &file) || !ArgBool(info, 1, &read_only) || !ArgBool(info, 2, &autoclear)) {
    return Napi::Value();
  }
  return Job<std::string>::Start(
      info.Env(),
      [file, read_only, autoclear](std::string& device, Failure& f) {
        device = LoopAttach(file, read_only, autoclear, f);
      },
      [](Napi::Env env, std::string& device) -> Napi::Value {
        return Napi::String::New(env, device);
      });
}

Napi::Value JsLoopDetach(const Napi::CallbackInfo& info) {
  return StartVoidOnPath(info, "LOOP_CLR_FD", [](const std::string& device, Failure& f) {
    Fd fd(OpenOrFail(device, O_RDONLY, f));
    if (fd.ok()) IoctlOrFail(fd.get(), LOOP_CLR_FD, nullptr, f);
  });
}

Napi::Value JsLoopBackingFile(const Napi::CallbackInfo& info) {
  std::string device;
  if (!ArgString(info, 0, &device)) return Napi::Value();
  struct Result {
    std::string file;
    bool attached = false;
  };
  return Job<Result>::Start(
      info.Env(),
      [device](Result& out, Failure& f) { out.file = LoopBackingFile(device, &out.attached, f); },
      [](Napi::Env env, Result& r) -> Napi::Value {
        return r.attached ? Napi::Value(Napi::String::New(env, r.file)) : env.Null();
      });
}

}  // namespace

void InitLoop(Napi::Env env, Napi::Object exports) {
  SetExports(env, exports, {
      {"loopAttach", JsLoopAttach},
      {"loopDetach", JsLoopDetach},
      {"loopBackingFile", JsLoopBackingFile},
  });
}

}  // namespace dmnative
