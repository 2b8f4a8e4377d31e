// The device-mapper ioctl plumbing shared by dm-ioctl.cc, dm-list.cc and dm-device.cc: the
// DmIoctl request/answer buffer, readers for the kernel's output, the device state every
// per-device command returns, and the dm-list.cc functions InitDm (in dm-device.cc) registers.
#pragma once

#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"

namespace dmnative {

constexpr size_t kHeaderSize = sizeof(struct dm_ioctl);
constexpr size_t kFirstBufferSize = 16 * 1024;
constexpr size_t kMaxBufferSize = 256u << 20;
static_assert(kHeaderSize % 8 == 0, "dm_ioctl payloads must start 8-byte aligned");

inline size_t AlignUp8(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

// Opens /dev/mapper/control on first use (dm-ioctl.cc); -1 with `f` filled in on failure.
int ControlFd(Failure& f);

// One DM ioctl: the request fields, and after Run() the buffer the kernel filled in.
class DmIoctl {
 public:
  DmIoctl(const char* operation, unsigned long command, std::string name)
      : operation_(operation), command_(command), name_(std::move(name)) {}

  uint32_t flags = 0;
  uint32_t event_nr = 0;
  uint32_t target_count = 0;
  std::string uuid;
  std::string payload;     // bytes placed at data_start
  bool growable = false;   // retry with a bigger buffer while DM_BUFFER_FULL_FLAG comes back
  std::array<uint32_t, 3> version{DM_VERSION_MAJOR, DM_VERSION_MINOR, DM_VERSION_PATCHLEVEL};

  bool Run(Failure& f) {
    f.operation = operation_;
    f.device = name_;
    int fd = ControlFd(f);
    if (fd < 0) return false;

    size_t size = AlignUp8(kHeaderSize + payload.size());
    if (growable && size < kFirstBufferSize) size = kFirstBufferSize;
    for (;;) {
      buffer_.assign(size / 8, 0);
      dm_ioctl* io = header();
      std::memcpy(io->version, version.data(), sizeof(io->version));
      io->data_size = static_cast<uint32_t>(size);
      io->data_start = static_cast<uint32_t>(kHeaderSize);
      io->target_count = target_count;
      io->flags = flags;
      io->event_nr = event_nr;
      std::memcpy(io->name, name_.data(), std::min(name_.size(), sizeof(io->name) - 1));
      std::memcpy(io->uuid, uuid.data(), std::min(uuid.size(), sizeof(io->uuid) - 1));
      std::memcpy(reinterpret_cast<char*>(io) + kHeaderSize, payload.data(), payload.size());

      int r;
      do {
        r = ioctl(fd, command_, io);
      } while (r < 0 && errno == EINTR);
      if (r < 0) {
        f.Set(errno, "ioctl");
        if (f.err == EINVAL && io->version[0] == DM_VERSION_MAJOR &&
            io->version[1] < DM_VERSION_MINOR) {
          f.note = "the kernel's device-mapper ioctl interface is 4." +
                   std::to_string(io->version[1]) + ", older than the 4." +
                   std::to_string(DM_VERSION_MINOR) + " this addon was built for";
        }
        return false;
      }
      if (!growable || (io->flags & DM_BUFFER_FULL_FLAG) == 0) return true;
      if (size >= kMaxBufferSize) {
        f.note = "the kernel's answer does not fit in " + std::to_string(size) + " bytes";
        return f.Set(ENOBUFS, "ioctl");
      }
      size *= 2;
    }
  }

  const dm_ioctl& Header() const { return *reinterpret_cast<const dm_ioctl*>(buffer_.data()); }

  // The data the kernel wrote after the header (it sets data_size to what it used).
  const char* Data() const { return reinterpret_cast<const char*>(buffer_.data()) + kHeaderSize; }
  size_t DataSize() const {
    size_t used = std::min<size_t>(Header().data_size, buffer_.size() * 8);
    return used > kHeaderSize ? used - kHeaderSize : 0;
  }

 private:
  dm_ioctl* header() { return reinterpret_cast<dm_ioctl*>(buffer_.data()); }

  const char* operation_;
  unsigned long command_;
  std::string name_;
  std::vector<uint64_t> buffer_;  // uint64_t keeps the header and payload 8-byte aligned
};

// Reads a field of type T at `offset` in the kernel's output without alignment assumptions.
template <typename T>
T ReadAt(const char* data, size_t offset) {
  T value;
  std::memcpy(&value, data + offset, sizeof(T));
  return value;
}

inline std::string BoundedString(const char* start, size_t max) {
  return std::string(start, strnlen(start, max));
}

// `items` as a JS array, each item converted by to_js(env, item).
template <typename T, typename ToJs>
Napi::Array ToJsArray(Napi::Env env, const std::vector<T>& items, ToJs to_js) {
  Napi::Array a = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); i++) a.Set(static_cast<uint32_t>(i), to_js(env, items[i]));
  return a;
}

// ---- tables ----

// One target of a table: what DM_TABLE_LOAD takes and DM_TABLE_STATUS gives back.
struct TargetLine {
  uint64_t start = 0;
  uint64_t length = 0;
  std::string type;
  std::string params;
};

// The DM_TABLE_LOAD payload of one target: a dm_target_spec, its params and a NUL, padded to
// 8 bytes (`next` is the distance to the following spec). `type` must fit DM_MAX_TYPE_NAME.
inline std::string TargetPayload(const TargetLine& t) {
  dm_target_spec spec{};
  spec.sector_start = t.start;
  spec.length = t.length;
  spec.next = static_cast<uint32_t>(AlignUp8(sizeof(spec) + t.params.size() + 1));
  std::memcpy(spec.target_type, t.type.data(), std::min(t.type.size(), sizeof(spec.target_type) - 1));
  std::string record(spec.next, '\0');
  std::memcpy(record.data(), &spec, sizeof(spec));
  std::memcpy(record.data() + sizeof(spec), t.params.data(), t.params.size());
  return record;
}

// The `count` targets of a DM_TABLE_STATUS answer: specs found at data + spec.next (offsets
// from the first spec); a truncated or backwards chain ends the list.
inline std::vector<TargetLine> DecodeTargets(const char* data, size_t size, uint32_t count) {
  std::vector<TargetLine> targets;
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (at + sizeof(dm_target_spec) > size) break;
    const auto spec = ReadAt<dm_target_spec>(data, at);
    const size_t params_at = at + sizeof(dm_target_spec);
    targets.push_back({spec.sector_start, spec.length,
                       BoundedString(spec.target_type, sizeof(spec.target_type)),
                       BoundedString(data + params_at, size - params_at)});
    if (spec.next <= at) break;  // offsets only grow; anything else ends the list
    at = spec.next;
  }
  return targets;
}

// ---- the device state every per-device command returns ----

struct Info {
  std::string name;
  std::string uuid;
  uint32_t major = 0;
  uint32_t minor = 0;
  int32_t open_count = 0;
  uint32_t event_nr = 0;
  uint32_t target_count = 0;
  uint32_t flags = 0;
};

Info ReadInfo(const dm_ioctl& io);
Napi::Object InfoToJs(Napi::Env env, const Info& info);
Napi::Value StartInfoCall(Napi::Env env, DmIoctl call);

// dm-list.cc: the exported calls that name no device, registered by InitDm in dm-device.cc.
Napi::Value Version(const Napi::CallbackInfo& info);
Napi::Value ListDevices(const Napi::CallbackInfo& info);
Napi::Value ListVersions(const Napi::CallbackInfo& info);

}  // namespace dmnative
