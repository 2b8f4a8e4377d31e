// One datagram to an AF_UNIX SOCK_DGRAM socket: what sd_notify(3) does, which node:dgram
// cannot (it speaks only UDP).
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <string>

#include "common.h"

namespace dmnative {
namespace {

// notifySocket(socketPath, message): a path, or '@name' for an abstract socket (the '@'
// stands for the leading NUL of its address).
void NotifySocket(const std::string& socket_path, const std::string& message, Failure& f) {
  f.operation = "notifySocket";
  f.device = socket_path;

  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const bool abstract = !socket_path.empty() && socket_path[0] == '@';
  // A path needs room for its NUL; an abstract name has none and may fill the whole field.
  const size_t room = sizeof(address.sun_path) - (abstract ? 0 : 1);
  if (socket_path.empty()) return (void)f.Set(EINVAL, "sendto");
  if (socket_path.size() > room) return (void)f.Set(ENAMETOOLONG, "sendto");
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  if (abstract) address.sun_path[0] = '\0';
  // An abstract address is exactly its bytes, so the length must not count the unused rest.
  const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                                  socket_path.size() + (abstract ? 0 : 1));

  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.ok()) return (void)f.Set(errno, "socket");
  ssize_t sent;
  do {
    sent = sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                  reinterpret_cast<const sockaddr*>(&address), length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return (void)f.Set(errno, "sendto");
  // A datagram is sent whole or not at all; anything else is a kernel surprise worth reporting.
  if (static_cast<size_t>(sent) != message.size()) {
    f.note = "sent " + std::to_string(sent) + " of " + std::to_string(message.size()) + " bytes";
    f.Set(EMSGSIZE, "sendto");
  }
}

Napi::Value JsNotifySocket(const Napi::CallbackInfo& info) {
  std::string socket_path, message;
  if (!ArgString(info, 0, &socket_path) || !ArgString(info, 1, &message)) return Napi::Value();
  return StartVoid(info.Env(), [socket_path, message](Failure& f) {
    NotifySocket(socket_path, message, f);
  });
}

}  // namespace

void InitNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("notifySocket", Napi::Function::New(env, JsNotifySocket, "notifySocket"));
}

}  // namespace dmnative
