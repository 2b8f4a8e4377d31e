// Device-mapper ioctls on /dev/mapper/control, one exported function per command.
//
// Every request is a struct dm_ioctl followed by its payload at data_start; commands that
// return variable-sized data start with a 16 KiB buffer and retry with twice the size while
// the kernel sets DM_BUFFER_FULL_FLAG.
//
// This file holds the control node and the device state decoding; the commands themselves are
// in dm-list.cc (no device) and dm-device.cc (per device, and the registration of all of them).
#include <fcntl.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <mutex>
#include <string>

#include "dm-ioctl.h"

namespace dmnative {
namespace {

constexpr const char* kControlPath = "/dev/mapper/control";

// The control node, opened on first use and kept for the life of the process. A failed open is
// not remembered, so loading dm_mod later makes the next call work.
std::mutex g_control_mutex;
int g_control_fd = -1;

}  // namespace

int ControlFd(Failure& f) {
  std::lock_guard<std::mutex> lock(g_control_mutex);
  if (g_control_fd >= 0) return g_control_fd;
  int fd = open(kControlPath, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    f.Set(errno, "open");
    f.path = kControlPath;
    if (f.err == ENOENT) {
      f.note =
          "device-mapper is not available on this host (/dev/mapper/control is missing; load "
          "the dm_mod module)";
    } else if (f.err == ENODEV || f.err == ENXIO) {
      // The node exists (libdevmapper makes it when missing) but the kernel has no driver.
      f.note =
          "device-mapper is not available on this host (/dev/mapper/control has no driver "
          "behind it; load the dm_mod module)";
    }
    return -1;
  }
  g_control_fd = fd;
  return fd;
}

Info ReadInfo(const dm_ioctl& io) {
  Info info;
  info.name = BoundedString(io.name, sizeof(io.name));
  info.uuid = BoundedString(io.uuid, sizeof(io.uuid));
  info.major = major(io.dev);
  info.minor = minor(io.dev);
  info.open_count = io.open_count;
  info.event_nr = io.event_nr;
  info.target_count = io.target_count;
  info.flags = io.flags;
  return info;
}

Napi::Object InfoToJs(Napi::Env env, const Info& info) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", info.name);
  o.Set("uuid", info.uuid);
  o.Set("major", info.major);
  o.Set("minor", info.minor);
  o.Set("openCount", info.open_count);
  o.Set("eventNr", info.event_nr);
  o.Set("targetCount", info.target_count);
  o.Set("suspended", (info.flags & DM_SUSPEND_FLAG) != 0);
  o.Set("readOnly", (info.flags & DM_READONLY_FLAG) != 0);
  o.Set("liveTable", (info.flags & DM_ACTIVE_PRESENT_FLAG) != 0);
  o.Set("inactiveTable", (info.flags & DM_INACTIVE_PRESENT_FLAG) != 0);
  o.Set("deferredRemove", (info.flags & DM_DEFERRED_REMOVE) != 0);
  return o;
}

// Runs a per-device command whose answer is the device state.
Napi::Value StartInfoCall(Napi::Env env, DmIoctl call) {
  return Job<Info>::Start(
      env,
      [call](Info& out, Failure& f) mutable {
        if (call.Run(f)) out = ReadInfo(call.Header());
      },
      [](Napi::Env e, Info& info) -> Napi::Value { return InfoToJs(e, info); });
}

}  // namespace dmnative
