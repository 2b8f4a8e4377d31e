// Block devices: nodes, sizes, discard, zero-out and direct I/O (loop devices are in loop.cc).
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "block-common.h"
#include "common.h"

namespace dmnative {
namespace {

constexpr size_t kIoAlignment = 4096;  // bounce buffers are page aligned; fits any block size

// Memory from posix_memalign, released with free.
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

AlignedBuffer AllocateAligned(size_t size) {
  void* p = nullptr;
  if (posix_memalign(&p, kIoAlignment, size == 0 ? kIoAlignment : size) != 0) return nullptr;
  return AlignedBuffer(static_cast<char*>(p));
}

// mkdir -p of the directories above `path`.
bool MakeParents(const std::string& path, Failure& f) {
  for (size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1)) {
    const std::string dir = path.substr(0, at);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      f.path = dir;
      return f.Set(errno, "mkdir");
    }
  }
  return true;
}

// A unique name next to `path` for building a node before renaming it into place.
std::string TempNameBeside(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// mknodBlock(path, major, minor)
void MknodBlock(const std::string& path, dev_t dev, Failure& f) {
  f.operation = "mknodBlock";
  f.device = path;
  if (!MakeParents(path, f)) return;
  const mode_t mode = S_IFBLK | 0600;
  for (int attempt = 0; attempt < 3; attempt++) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == dev) return;
    if (lstat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) return (void)f.Set(errno, "lstat");
      if (mknod(path.c_str(), mode, dev) == 0) return;
      if (errno != EEXIST) return (void)f.Set(errno, "mknod");
      continue;  // someone made it meanwhile: look again
    }
    // Something else is there: build the right node beside it and rename it over.
    const std::string temp = TempNameBeside(path);
    if (mknod(temp.c_str(), mode, dev) != 0) {
      f.path = temp;
      return (void)f.Set(errno, "mknod");
    }
    if (rename(temp.c_str(), path.c_str()) != 0) {
      f.Set(errno, "rename");
      unlink(temp.c_str());
    }
    return;
  }
  f.Set(EEXIST, "mknod");
}

// blockRead(path, offset, length): O_DIRECT into an aligned buffer, looping until full.
AlignedBuffer BlockRead(const std::string& path, uint64_t offset, size_t length, Failure& f) {
  f.operation = "blockRead";
  f.device = path;
  Fd fd(OpenOrFail(path, O_RDONLY | O_DIRECT, f));
  if (!fd.ok()) return nullptr;
  AlignedBuffer buffer = AllocateAligned(length);
  if (!buffer) return f.Set(ENOMEM, "posix_memalign"), nullptr;
  size_t done = 0;
  while (done < length) {
    ssize_t n = pread(fd.get(), buffer.get() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return f.Set(errno, "pread"), nullptr;
    if (n == 0) {
      f.note = "the device ends " + std::to_string(done) + " bytes into the read";
      return f.Set(ENXIO, "pread"), nullptr;
    }
    done += static_cast<size_t>(n);
  }
  return buffer;
}

// Devices kept open for writing (blockKeepOpen), by path: one O_WRONLY|O_DIRECT|O_DSYNC
// descriptor and how many keepers hold it. A write in flight holds its own reference, so a
// release never closes a descriptor under a running pwrite.
struct KeptWriter {
  std::shared_ptr<Fd> fd;
  uint64_t keepers = 0;
};
std::mutex kept_mutex;
std::map<std::string, KeptWriter> kept_writers;

std::shared_ptr<Fd> KeptWriterFd(const std::string& path) {
  std::lock_guard<std::mutex> lock(kept_mutex);
  auto it = kept_writers.find(path);
  return it == kept_writers.end() ? nullptr : it->second.fd;
}

// blockKeepOpen(path): opens the write descriptor if no keeper has, counts the keeper.
void KeepOpen(const std::string& path, Failure& f) {
  std::lock_guard<std::mutex> lock(kept_mutex);
  auto it = kept_writers.find(path);
  if (it != kept_writers.end()) {
    it->second.keepers++;
    return;
  }
  auto fd = std::make_shared<Fd>(OpenOrFail(path, O_WRONLY | O_DIRECT | O_DSYNC, f));
  if (!fd->ok()) return;
  kept_writers[path] = KeptWriter{fd, 1};
}

// blockRelease(path): uncounts a keeper; the last one's release closes the descriptor (once
// no write holds it). Releasing a path nobody keeps does nothing.
void Release(const std::string& path) {
  std::lock_guard<std::mutex> lock(kept_mutex);
  auto it = kept_writers.find(path);
  if (it == kept_writers.end()) return;
  if (--it->second.keepers == 0) kept_writers.erase(it);
}

// blockWrite(path, offset, data): O_DIRECT|O_DSYNC from an aligned copy, looping until done;
// through the kept descriptor of `path` when there is one, else one opened for this write.
void BlockWrite(const std::string& path, uint64_t offset, const char* data, size_t length,
                Failure& f) {
  f.operation = "blockWrite";
  f.device = path;
  std::shared_ptr<Fd> fd = KeptWriterFd(path);
  if (!fd) fd = std::make_shared<Fd>(OpenOrFail(path, O_WRONLY | O_DIRECT | O_DSYNC, f));
  if (!fd->ok()) return;
  size_t done = 0;
  while (done < length) {
    ssize_t n = pwrite(fd->get(), data + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return (void)f.Set(errno, "pwrite");
    if (n == 0) return (void)f.Set(ENOSPC, "pwrite");
    done += static_cast<size_t>(n);
  }
}

// BLKDISCARD / BLKZEROOUT over [offset, offset + length).
void RangeIoctl(const char* operation, unsigned long request, const std::string& path,
                uint64_t offset, uint64_t length, Failure& f) {
  f.operation = operation;
  f.device = path;
  Fd fd(OpenOrFail(path, O_WRONLY, f));
  if (!fd.ok()) return;
  uint64_t range[2] = {offset, length};
  IoctlOrFail(fd.get(), request, range, f);
}

// ---- exported functions ----

// The arguments (path, offset, length) of a call on a byte range of a device, the length at
// most `max_length`. Throws and returns false at the first bad one.
bool ArgRange(const Napi::CallbackInfo& info, std::string* path, uint64_t* offset,
              uint64_t* length, uint64_t max_length) {
  return ArgString(info, 0, path) && ArgUint(info, 1, UINT64_MAX, offset) &&
         ArgUint(info, 2, max_length, length);
}

// A call whose one argument is a path: takes the path, then runs work(path, result, f) off the
// JS thread with the failure already naming `operation` and the path; `convert` makes the JS
// value of the result.
template <typename Result>
Napi::Value StartOnPath(const Napi::CallbackInfo& info, const char* operation,
                        std::function<void(const std::string&, Result&, Failure&)> work,
                        typename Job<Result>::Convert convert) {
  std::string path;
  if (!ArgString(info, 0, &path)) return Napi::Value();
  return Job<Result>::Start(
      info.Env(),
      [path, operation, work = std::move(work)](Result& out, Failure& f) {
        f.operation = operation;
        f.device = path;
        work(path, out, f);
      },
      std::move(convert));
}

Napi::Value JsMknodBlock(const Napi::CallbackInfo& info) {
  std::string path;
  uint64_t maj = 0, min = 0;
  if (!ArgString(info, 0, &path) || !ArgUint(info, 1, UINT32_MAX, &maj) ||
      !ArgUint(info, 2, UINT32_MAX, &min)) {
    return Napi::Value();
  }
  const dev_t dev = makedev(static_cast<unsigned>(maj), static_cast<unsigned>(min));
  return StartVoid(info.Env(), [path, dev](Failure& f) { MknodBlock(path, dev, f); });
}

Napi::Value JsUnlinkNode(const Napi::CallbackInfo& info) {
  return StartVoidOnPath(info, "unlinkNode", [](const std::string& path, Failure& f) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT) f.Set(errno, "unlink");
  });
}

Napi::Value JsBlockSizeBytes(const Napi::CallbackInfo& info) {
  return StartOnPath<uint64_t>(
      info, "BLKGETSIZE64",
      [](const std::string& path, uint64_t& size, Failure& f) {
        Fd fd(OpenOrFail(path, O_RDONLY, f));
        if (fd.ok()) IoctlOrFail(fd.get(), BLKGETSIZE64, &size, f);
      },
      [](Napi::Env env, uint64_t& size) -> Napi::Value {
        return Napi::Number::New(env, static_cast<double>(size));
      });
}

Napi::Value JsBlockDeviceNumber(const Napi::CallbackInfo& info) {
  return StartOnPath<dev_t>(
      info, "blockDeviceNumber",
      [](const std::string& path, dev_t& dev, Failure& f) {
        struct stat st;
        if (stat(path.c_str(), &st) != 0) return (void)f.Set(errno, "stat");
        if (!S_ISBLK(st.st_mode)) return (void)f.Set(ENOTBLK, "stat");
        dev = st.st_rdev;
      },
      [](Napi::Env env, dev_t& dev) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("major", static_cast<uint32_t>(major(dev)));
        o.Set("minor", static_cast<uint32_t>(minor(dev)));
        return o;
      });
}

// blockDiscard / blockZeroOut (path, offset, length)
Napi::Value StartRangeIoctl(const Napi::CallbackInfo& info, const char* operation,
                            unsigned long request) {
  std::string path;
  uint64_t offset = 0, length = 0;
  if (!ArgRange(info, &path, &offset, &length, UINT64_MAX)) return Napi::Value();
  return StartVoid(info.Env(), [=](Failure& f) {
    RangeIoctl(operation, request, path, offset, length, f);
  });
}

Napi::Value JsBlockDiscard(const Napi::CallbackInfo& info) {
  return StartRangeIoctl(info, "BLKDISCARD", BLKDISCARD);
}

Napi::Value JsBlockZeroOut(const Napi::CallbackInfo& info) {
  return StartRangeIoctl(info, "BLKZEROOUT", BLKZEROOUT);
}

Napi::Value JsBlockRead(const Napi::CallbackInfo& info) {
  std::string path;
  uint64_t offset = 0, length = 0;
  if (!ArgRange(info, &path, &offset, &length, SIZE_MAX)) return Napi::Value();
  struct Result {
    std::shared_ptr<char> data;
    size_t size = 0;
  };
  return Job<Result>::Start(
      info.Env(),
      [path, offset, length](Result& out, Failure& f) {
        AlignedBuffer buffer = BlockRead(path, offset, length, f);
        if (buffer) out = {std::shared_ptr<char>(buffer.release(), FreeDeleter()), length};
      },
      [](Napi::Env env, Result& r) -> Napi::Value {
        return Napi::Buffer<char>::Copy(env, r.data.get(), r.size);
      });
}

Napi::Value JsBlockWrite(const Napi::CallbackInfo& info) {
  std::string path;
  uint64_t offset = 0;
  if (!ArgString(info, 0, &path) || !ArgUint(info, 1, UINT64_MAX, &offset)) return Napi::Value();
  if (info.Length() < 3 || !info[2].IsTypedArray()) {
    ThrowType(info, 2, "a Uint8Array");
    return Napi::Value();
  }
  // Copy the bytes now, on the JS thread: the caller may change or transfer its buffer while
  // the write runs.
  Napi::TypedArray array = info[2].As<Napi::TypedArray>();
  const size_t length = array.ByteLength();
  const char* bytes =
      static_cast<const char*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  std::shared_ptr<char> copy(AllocateAligned(length).release(), FreeDeleter());
  if (!copy) {
    Napi::Error::New(info.Env(), "blockWrite: out of memory").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  std::memcpy(copy.get(), bytes, length);
  return StartVoid(info.Env(), [path, offset, copy, length](Failure& f) {
    BlockWrite(path, offset, copy.get(), length, f);
  });
}

Napi::Value JsBlockKeepOpen(const Napi::CallbackInfo& info) {
  return StartVoidOnPath(info, "blockKeepOpen",
                         [](const std::string& path, Failure& f) { KeepOpen(path, f); });
}

Napi::Value JsBlockRelease(const Napi::CallbackInfo& info) {
  return StartVoidOnPath(info, "blockRelease",
                         [](const std::string& path, Failure&) { Release(path); });
}

}  // namespace

void InitBlock(Napi::Env env, Napi::Object exports) {
  SetExports(env, exports, {
      {"mknodBlock", JsMknodBlock},
      {"unlinkNode", JsUnlinkNode},
      {"blockSizeBytes", JsBlockSizeBytes},
      {"blockDeviceNumber", JsBlockDeviceNumber},
      {"blockDiscard", JsBlockDiscard},
      {"blockZeroOut", JsBlockZeroOut},
      {"blockRead", JsBlockRead},
      {"blockWrite", JsBlockWrite},
      {"blockKeepOpen", JsBlockKeepOpen},
      {"blockRelease", JsBlockRelease},
  });
}

}  // namespace dmnative
