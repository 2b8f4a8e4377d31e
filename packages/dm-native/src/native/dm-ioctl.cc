// Device-mapper ioctls on /dev/mapper/control, one exported function per command.
//
// Every request is a struct dm_ioctl followed by its payload at data_start; commands that
// return variable-sized data start with a 16 KiB buffer and retry with twice the size while
// the kernel sets DM_BUFFER_FULL_FLAG.
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common.h"

namespace dmnative {
namespace {

constexpr const char* kControlPath = "/dev/mapper/control";
constexpr size_t kHeaderSize = sizeof(struct dm_ioctl);
constexpr size_t kFirstBufferSize = 16 * 1024;
constexpr size_t kMaxBufferSize = 256u << 20;
static_assert(kHeaderSize % 8 == 0, "dm_ioctl payloads must start 8-byte aligned");

size_t AlignUp8(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

// The control node, opened on first use and kept for the life of the process. A failed open is
// not remembered, so loading dm_mod later makes the next call work.
std::mutex g_control_mutex;
int g_control_fd = -1;

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

std::string BoundedString(const char* start, size_t max) {
  return std::string(start, strnlen(start, max));
}

// `items` as a JS array, each item converted by to_js(env, item).
template <typename T, typename ToJs>
Napi::Array ToJsArray(Napi::Env env, const std::vector<T>& items, ToJs to_js) {
  Napi::Array a = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); i++) a.Set(static_cast<uint32_t>(i), to_js(env, items[i]));
  return a;
}

// Runs a DM_LIST_* command whose answer is a chain of `Record`s (dm_name_list,
// dm_target_versions): each record's `next` is the distance to the following one, 0 on the
// last, and its name ends the record. read(record, name) turns each record whose name starts
// inside the data into an Entry, or into nullopt to end the list; the promise resolves to the
// array of to_js(env, entry).
template <typename Record, typename Entry, typename Read, typename ToJs>
Napi::Value StartListCall(const Napi::CallbackInfo& info, const char* operation,
                          unsigned long command, Read read, ToJs to_js) {
  DmIoctl call(operation, command, "");
  call.growable = true;
  using Result = std::vector<Entry>;
  return Job<Result>::Start(
      info.Env(),
      [call, read](Result& out, Failure& f) mutable {
        if (!call.Run(f)) return;
        const char* data = call.Data();
        const size_t size = call.DataSize();
        const size_t name_at = offsetof(Record, name);
        size_t at = 0;
        while (at + name_at < size) {
          const auto next = ReadAt<uint32_t>(data, at + offsetof(Record, next));
          std::optional<Entry> entry =
              read(data + at, BoundedString(data + at + name_at, size - at - name_at));
          if (!entry) break;
          out.push_back(std::move(*entry));
          if (next == 0) break;
          at += next;
        }
      },
      [to_js](Napi::Env env, Result& entries) -> Napi::Value {
        return ToJsArray(env, entries, to_js);
      });
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

// Runs a per-device command whose answer is the device state and a list decoded from the data
// after the header by decode(data, size, info, items); the promise resolves to
// {info, <key>: items converted by to_js(env, item)}.
template <typename Item, typename Decode, typename ToJs>
Napi::Value StartInfoAndListCall(Napi::Env env, DmIoctl call, const char* key, Decode decode,
                                 ToJs to_js) {
  struct Result {
    Info info;
    std::vector<Item> items;
  };
  return Job<Result>::Start(
      env,
      [call, decode](Result& out, Failure& f) mutable {
        if (!call.Run(f)) return;
        out.info = ReadInfo(call.Header());
        decode(call.Data(), call.DataSize(), out.info, out.items);
      },
      [key, to_js](Napi::Env e, Result& r) -> Napi::Value {
        Napi::Array items = ToJsArray(e, r.items, to_js);
        Napi::Object o = Napi::Object::New(e);
        o.Set("info", InfoToJs(e, r.info));
        o.Set(key, items);
        return o;
      });
}

// A device name (or uuid) argument: a string that fits the header field with its NUL.
bool ArgName(const Napi::CallbackInfo& info, size_t i, size_t field_size, std::string* out) {
  if (!ArgString(info, i, out)) return false;
  if (out->size() >= field_size || out->find('\0') != std::string::npos) {
    Napi::RangeError::New(info.Env(), "argument " + std::to_string(i) +
                                          " is too long or contains NUL")
        .ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// The arguments (name, flag, ...) of a per-device command: a device name, then one boolean per
// entry of `flags`. Throws and returns false at the first bad one.
bool ArgNameAndFlags(const Napi::CallbackInfo& info, std::string* name,
                     std::initializer_list<bool*> flags) {
  if (!ArgName(info, 0, DM_NAME_LEN, name)) return false;
  size_t i = 1;
  for (bool* flag : flags) {
    if (!ArgBool(info, i++, flag)) return false;
  }
  return true;
}

// ---- exported functions ----

// dmVersion(): {major, minor, patch}. Asks with minor 0 so any 4.x kernel answers.
Napi::Value Version(const Napi::CallbackInfo& info) {
  DmIoctl call("DM_VERSION", DM_VERSION, "");
  call.version = {DM_VERSION_MAJOR, 0, 0};
  using Result = std::array<uint32_t, 3>;
  return Job<Result>::Start(
      info.Env(),
      [call](Result& out, Failure& f) mutable {
        if (!call.Run(f)) return;
        const dm_ioctl& io = call.Header();
        out = {io.version[0], io.version[1], io.version[2]};
      },
      [](Napi::Env env, Result& v) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("major", v[0]);
        o.Set("minor", v[1]);
        o.Set("patch", v[2]);
        return o;
      });
}

struct DeviceEntry {
  std::string name;
  uint32_t major;
  uint32_t minor;
};

// dmListDevices(): [{name, major, minor}], walking the dm_name_list records by `next`.
Napi::Value ListDevices(const Napi::CallbackInfo& info) {
  return StartListCall<struct dm_name_list, DeviceEntry>(
      info, "DM_LIST_DEVICES", DM_LIST_DEVICES,
      [](const char* record, std::string name) -> std::optional<DeviceEntry> {
        const auto dev = ReadAt<uint64_t>(record, offsetof(struct dm_name_list, dev));
        if (dev == 0) return std::nullopt;  // the kernel's "no devices" record
        return DeviceEntry{std::move(name), static_cast<uint32_t>(major(dev)),
                           static_cast<uint32_t>(minor(dev))};
      },
      [](Napi::Env env, const DeviceEntry& d) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", d.name);
        o.Set("major", d.major);
        o.Set("minor", d.minor);
        return o;
      });
}

struct TargetVersion {
  std::string name;
  std::array<uint32_t, 3> version;
};

// dmListTargetVersions(): [{name, version: [a, b, c]}] from the dm_target_versions records.
Napi::Value ListVersions(const Napi::CallbackInfo& info) {
  return StartListCall<struct dm_target_versions, TargetVersion>(
      info, "DM_LIST_VERSIONS", DM_LIST_VERSIONS,
      [](const char* record, std::string name) -> std::optional<TargetVersion> {
        const auto version =
            ReadAt<std::array<uint32_t, 3>>(record, offsetof(struct dm_target_versions, version));
        return TargetVersion{std::move(name), version};
      },
      [](Napi::Env env, const TargetVersion& t) {
        Napi::Array v = Napi::Array::New(env, 3);
        for (uint32_t k = 0; k < 3; k++) v.Set(k, t.version[k]);
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", t.name);
        o.Set("version", v);
        return o;
      });
}

// dmCreate(name, uuid | null)
Napi::Value Create(const Napi::CallbackInfo& info) {
  std::string name, uuid;
  if (!ArgName(info, 0, DM_NAME_LEN, &name)) return Napi::Value();
  if (info.Length() > 1 && !info[1].IsNull() && !ArgName(info, 1, DM_UUID_LEN, &uuid)) {
    return Napi::Value();
  }
  DmIoctl call("DM_DEV_CREATE", DM_DEV_CREATE, name);
  call.uuid = uuid;
  return StartInfoCall(info.Env(), call);
}

// dmRemove(name, deferred)
Napi::Value Remove(const Napi::CallbackInfo& info) {
  std::string name;
  bool deferred = false;
  if (!ArgNameAndFlags(info, &name, {&deferred})) return Napi::Value();
  DmIoctl call("DM_DEV_REMOVE", DM_DEV_REMOVE, name);
  if (deferred) call.flags |= DM_DEFERRED_REMOVE;
  return StartVoid(info.Env(), [call](Failure& f) mutable { call.Run(f); });
}

// dmSuspend(name, suspend, noFlush, skipLockfs): suspend=false resumes.
Napi::Value Suspend(const Napi::CallbackInfo& info) {
  std::string name;
  bool suspend = false, no_flush = false, skip_lockfs = false;
  if (!ArgNameAndFlags(info, &name, {&suspend, &no_flush, &skip_lockfs})) return Napi::Value();
  DmIoctl call("DM_DEV_SUSPEND", DM_DEV_SUSPEND, name);
  if (suspend) call.flags |= DM_SUSPEND_FLAG;
  if (no_flush) call.flags |= DM_NOFLUSH_FLAG;
  if (skip_lockfs) call.flags |= DM_SKIP_LOCKFS_FLAG;
  return StartInfoCall(info.Env(), call);
}

// dmLoadTable(name, [{startSector, lengthSectors, type, params}], readOnly)
Napi::Value LoadTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  bool read_only = false;
  if (!ArgName(info, 0, DM_NAME_LEN, &name)) return Napi::Value();
  if (info.Length() < 2 || !info[1].IsArray()) {
    ThrowType(info, 1, "an array of targets");
    return Napi::Value();
  }
  if (!ArgBool(info, 2, &read_only)) return Napi::Value();

  // Each target: a dm_target_spec, its params and a NUL, padded to 8 bytes; `next` is the
  // distance from this spec to the following one.
  Napi::Array targets = info[1].As<Napi::Array>();
  std::string payload;
  for (uint32_t i = 0; i < targets.Length(); i++) {
    Napi::Value item = targets.Get(i);
    if (!item.IsObject()) {
      ThrowType(info, 1, "an array of target objects");
      return Napi::Value();
    }
    Napi::Object t = item.As<Napi::Object>();
    Napi::Value start = t.Get("startSector"), length = t.Get("lengthSectors");
    Napi::Value type = t.Get("type"), params = t.Get("params");
    if (!start.IsNumber() || !length.IsNumber() || !type.IsString() || !params.IsString()) {
      ThrowType(info, 1, "an array of {startSector, lengthSectors, type, params}");
      return Napi::Value();
    }
    std::string type_name = type.As<Napi::String>().Utf8Value();
    std::string text = params.As<Napi::String>().Utf8Value();
    if (type_name.size() >= DM_MAX_TYPE_NAME) {
      Napi::RangeError::New(env, "target type is too long").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    dm_target_spec spec{};
    spec.sector_start = static_cast<uint64_t>(start.As<Napi::Number>().Int64Value());
    spec.length = static_cast<uint64_t>(length.As<Napi::Number>().Int64Value());
    spec.next = static_cast<uint32_t>(AlignUp8(sizeof(spec) + text.size() + 1));
    std::memcpy(spec.target_type, type_name.data(), type_name.size());
    std::string record(spec.next, '\0');
    std::memcpy(record.data(), &spec, sizeof(spec));
    std::memcpy(record.data() + sizeof(spec), text.data(), text.size());
    payload += record;
  }

  DmIoctl call("DM_TABLE_LOAD", DM_TABLE_LOAD, name);
  call.target_count = targets.Length();
  call.payload = std::move(payload);
  if (read_only) call.flags |= DM_READONLY_FLAG;
  return StartInfoCall(env, call);
}

// dmClearTable(name)
Napi::Value ClearTable(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ArgName(info, 0, DM_NAME_LEN, &name)) return Napi::Value();
  return StartInfoCall(info.Env(), DmIoctl("DM_TABLE_CLEAR", DM_TABLE_CLEAR, name));
}

// dmInfo(name)
Napi::Value DevStatus(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ArgName(info, 0, DM_NAME_LEN, &name)) return Napi::Value();
  return StartInfoCall(info.Env(), DmIoctl("DM_DEV_STATUS", DM_DEV_STATUS, name));
}

// dmWaitEvent(name, eventNr)
Napi::Value WaitEvent(const Napi::CallbackInfo& info) {
  std::string name;
  uint64_t event_nr = 0;
  if (!ArgName(info, 0, DM_NAME_LEN, &name) || !ArgUint(info, 1, UINT32_MAX, &event_nr)) {
    return Napi::Value();
  }
  DmIoctl call("DM_DEV_WAIT", DM_DEV_WAIT, name);
  call.event_nr = static_cast<uint32_t>(event_nr);
  return StartInfoCall(info.Env(), call);
}

struct TargetLine {
  uint64_t start = 0;
  uint64_t length = 0;
  std::string type;
  std::string params;
};

// dmTableStatus(name, table, inactive, noFlush): {info, targets}. table=true asks for the
// table text (DM_STATUS_TABLE_FLAG), false for the status text. Output specs are found at
// data + spec.next (offsets from the first spec).
Napi::Value TableStatus(const Napi::CallbackInfo& info) {
  std::string name;
  bool table = false, inactive = false, no_flush = false;
  if (!ArgNameAndFlags(info, &name, {&table, &inactive, &no_flush})) return Napi::Value();
  DmIoctl call("DM_TABLE_STATUS", DM_TABLE_STATUS, name);
  call.growable = true;
  if (table) call.flags |= DM_STATUS_TABLE_FLAG;
  if (inactive) call.flags |= DM_QUERY_INACTIVE_TABLE_FLAG;
  if (no_flush) call.flags |= DM_NOFLUSH_FLAG;
  return StartInfoAndListCall<TargetLine>(
      info.Env(), call, "targets",
      [](const char* data, size_t size, const Info& device, std::vector<TargetLine>& targets) {
        size_t at = 0;
        for (uint32_t i = 0; i < device.target_count; i++) {
          if (at + sizeof(dm_target_spec) > size) break;
          const auto spec = ReadAt<dm_target_spec>(data, at);
          const size_t params_at = at + sizeof(dm_target_spec);
          targets.push_back({spec.sector_start, spec.length,
                             BoundedString(spec.target_type, sizeof(spec.target_type)),
                             BoundedString(data + params_at, size - params_at)});
          if (spec.next <= at) break;  // offsets only grow; anything else ends the list
          at = spec.next;
        }
      },
      [](Napi::Env env, const TargetLine& line) {
        Napi::Object t = Napi::Object::New(env);
        t.Set("startSector", static_cast<double>(line.start));
        t.Set("lengthSectors", static_cast<double>(line.length));
        t.Set("type", line.type);
        t.Set("params", line.params);
        return t;
      });
}

// dmDeps(name, inactive): {info, devices: [{major, minor}]} from struct dm_target_deps.
Napi::Value Deps(const Napi::CallbackInfo& info) {
  std::string name;
  bool inactive = false;
  if (!ArgNameAndFlags(info, &name, {&inactive})) return Napi::Value();
  DmIoctl call("DM_TABLE_DEPS", DM_TABLE_DEPS, name);
  call.growable = true;
  if (inactive) call.flags |= DM_QUERY_INACTIVE_TABLE_FLAG;
  return StartInfoAndListCall<uint64_t>(
      info.Env(), call, "devices",
      [](const char* data, size_t size, const Info&, std::vector<uint64_t>& devices) {
        const size_t devs_at = offsetof(struct dm_target_deps, dev);
        if (size < devs_at) return;
        const uint32_t count = ReadAt<uint32_t>(data, offsetof(struct dm_target_deps, count));
        for (uint32_t i = 0; i < count && devs_at + (i + 1) * 8 <= size; i++) {
          devices.push_back(ReadAt<uint64_t>(data, devs_at + i * 8));
        }
      },
      [](Napi::Env env, uint64_t dev) {
        Napi::Object d = Napi::Object::New(env);
        d.Set("major", static_cast<uint32_t>(major(dev)));
        d.Set("minor", static_cast<uint32_t>(minor(dev)));
        return d;
      });
}

// dmMessage(name, sector, text): the target's answer when DM_DATA_OUT_FLAG is set, else ''.
Napi::Value Message(const Napi::CallbackInfo& info) {
  std::string name, text;
  uint64_t sector = 0;
  if (!ArgName(info, 0, DM_NAME_LEN, &name) ||
      !ArgUint(info, 1, 9007199254740991ull, &sector) || !ArgString(info, 2, &text)) {
    return Napi::Value();
  }
  // struct dm_target_msg: the sector, then the message and its NUL.
  std::string payload(offsetof(struct dm_target_msg, message), '\0');
  std::memcpy(payload.data(), &sector, sizeof(sector));
  payload += text;
  payload.push_back('\0');

  DmIoctl call("DM_TARGET_MSG", DM_TARGET_MSG, name);
  call.growable = true;
  call.payload = std::move(payload);
  return Job<std::string>::Start(
      info.Env(),
      [call](std::string& out, Failure& f) mutable {
        if (!call.Run(f)) return;
        if (call.Header().flags & DM_DATA_OUT_FLAG) {
          out = BoundedString(call.Data(), call.DataSize());
        }
      },
      [](Napi::Env env, std::string& answer) -> Napi::Value {
        return Napi::String::New(env, answer);
      });
}

}  // namespace

void InitDm(Napi::Env env, Napi::Object exports) {
  SetExports(env, exports, {
      {"dmVersion", Version},
      {"dmListDevices", ListDevices},
      {"dmListTargetVersions", ListVersions},
      {"dmCreate", Create},
      {"dmRemove", Remove},
      {"dmSuspend", Suspend},
      {"dmLoadTable", LoadTable},
      {"dmClearTable", ClearTable},
      {"dmInfo", DevStatus},
      {"dmWaitEvent", WaitEvent},
      {"dmTableStatus", TableStatus},
      {"dmDeps", Deps},
      {"dmMessage", Message},
  });
}

}  // namespace dmnative
