// The per-device device-mapper commands: create, remove, suspend/resume, info and event wait,
// and the table calls (load, clear, status, deps, target message); InitDm registers these and
// the dm-list.cc calls.
#include <sys/sysmacros.h>

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "dm-ioctl.h"

namespace dmnative {
namespace {

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

// dmRename(name, newName): DM_DEV_RENAME, the new name as the payload. The device keeps its
// number, its tables and its openers.
Napi::Value Rename(const Napi::CallbackInfo& info) {
  std::string name, new_name;
  if (!ArgName(info, 0, DM_NAME_LEN, &name) || !ArgName(info, 1, DM_NAME_LEN, &new_name)) {
    return Napi::Value();
  }
  DmIoctl call("DM_DEV_RENAME", DM_DEV_RENAME, name);
  call.payload = new_name;
  call.payload.push_back('\0');
  return StartInfoCall(info.Env(), call);
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
    TargetLine line{static_cast<uint64_t>(start.As<Napi::Number>().Int64Value()),
                    static_cast<uint64_t>(length.As<Napi::Number>().Int64Value()),
                    type.As<Napi::String>().Utf8Value(), params.As<Napi::String>().Utf8Value()};
    if (line.type.size() >= DM_MAX_TYPE_NAME) {
      Napi::RangeError::New(env, "target type is too long").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    payload += TargetPayload(line);
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
        targets = DecodeTargets(data, size, device.target_count);
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
      {"dmRename", Rename},
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
