// The sd_notify addon: one datagram to an AF_UNIX SOCK_DGRAM socket, which node:dgram cannot
// send (it speaks only UDP). notifySocket(socketPath, message) returns a promise; the socket,
// sendto and close run on a libuv pool thread. The TypeScript wrapper validates the arguments
// first; the checks here only keep a bad call from crashing the process.
#include <napi.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace {

// ErrnoName/ErrnoText repeat dm-native's addon.cc on purpose (duplicates pairs them): this package stays independent so the coordinator never loads dm-native.
// errno name such as "ENOENT"; glibc >= 2.32 knows them all, anything else prints as E<number>.
std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "E" + std::to_string(err);
}

std::string ErrnoText(int err) {
  const char* text = strerrordesc_np(err);
  return text != nullptr ? std::string(text) : "Unknown error " + std::to_string(err);
}

class NotifyJob final : public Napi::AsyncWorker {
 public:
  NotifyJob(Napi::Env env, std::string socket_path, std::string message)
      : Napi::AsyncWorker(env, "thinfleet.sd-notify"),
        deferred_(Napi::Promise::Deferred::New(env)),
        socket_path_(std::move(socket_path)),
        message_(std::move(message)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // A path, or '@name' for an abstract socket (the '@' stands for the leading NUL of its address).
  void Execute() override {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const bool abstract = !socket_path_.empty() && socket_path_[0] == '@';
    // A path needs room for its NUL; an abstract name has none and may fill the whole field.
    const size_t room = sizeof(address.sun_path) - (abstract ? 0 : 1);
    if (socket_path_.empty()) return Fail(EINVAL, "sendto");
    if (socket_path_.size() > room) return Fail(ENAMETOOLONG, "sendto");
    memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
    if (abstract) address.sun_path[0] = '\0';
    // An abstract address is exactly its bytes, so the length must not count the unused rest.
    const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size() + (abstract ? 0 : 1));

    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Fail(errno, "socket");
    ssize_t sent;
    do {
      sent = sendto(fd, message_.data(), message_.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), length);
    } while (sent < 0 && errno == EINTR);
    const int send_errno = errno;
    close(fd);
    if (sent < 0) return Fail(send_errno, "sendto");
    // A datagram is sent whole or not at all; anything else is a kernel surprise worth reporting.
    if (static_cast<size_t>(sent) != message_.size()) {
      note_ = "sent " + std::to_string(sent) + " of " + std::to_string(message_.size()) + " bytes";
      Fail(EMSGSIZE, "sendto");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_ == 0) {
      deferred_.Resolve(env.Undefined());
      return;
    }
    const std::string code = ErrnoName(err_);
    std::string text = "notifySocket " + socket_path_ + ": " + code + " (" + ErrnoText(err_) + ")";
    if (!note_.empty()) text += ": " + note_;
    Napi::Object error = Napi::Error::New(env, text).Value();
    error.Set("code", code);
    error.Set("errno", err_);
    error.Set("syscall", syscall_);
    error.Set("operation", "notifySocket");
    error.Set("device", socket_path_);
    deferred_.Reject(error);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  void Fail(int err, const char* syscall) {
    err_ = err;
    syscall_ = syscall;
  }

  Napi::Promise::Deferred deferred_;
  std::string socket_path_;
  std::string message_;
  int err_ = 0;
  std::string syscall_;
  std::string note_;
};

Napi::Value NotifySocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "notifySocket(socketPath, message): both must be strings").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  auto* job = new NotifyJob(env, info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  Napi::Promise promise = job->Promise();
  job->Queue();  // the worker deletes itself after OnOK
  return promise;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("notifySocket", Napi::Function::New(env, NotifySocket, "notifySocket"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sd_notify, Init)
