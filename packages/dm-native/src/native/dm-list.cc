// The device-mapper commands that name no device: DM_VERSION and the DM_LIST_* listings.
#include <sys/sysmacros.h>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "dm-ioctl.h"

namespace dmnative {
namespace {

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

struct DeviceEntry {
  std::string name;
  uint32_t major;
  uint32_t minor;
};

struct TargetVersion {
  std::string name;
  std::array<uint32_t, 3> version;
};

}  // namespace

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

}  // namespace dmnative
