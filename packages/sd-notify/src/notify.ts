/**
 * Datagrams to AF_UNIX sockets, for systemd's notification protocol (sd_notify(3)): Node's
 * node:dgram speaks only UDP, and node:net only stream sockets.
 */
import { native } from './binding.js';

/**
 * Longest socket address in bytes: sockaddr_un's 108-byte sun_path less the NUL a path needs.
 * An abstract address (`@name`) has no NUL, so its name may be one byte longer.
 */
export const SOCKET_PATH_MAX_BYTES = 107;

/** A datagram that could not be sent: the errno and the system call, as Node's own errors have them. */
export interface NotifyError extends Error {
  /** errno name, e.g. `ENOENT`, `ECONNREFUSED`. */
  readonly code: string;
  /** Positive errno number. */
  readonly errno: number;
  /** The system call that failed: `socket` or `sendto`. */
  readonly syscall: string;
  /** Always `notifySocket`. */
  readonly operation: string;
  /** The socket address the datagram was for. */
  readonly device: string;
}

/** A string without NUL, optionally non-empty and at most `maxBytes` UTF-8 bytes. */
function checkString(arg: string, value: unknown, limits: { nonEmpty: boolean; maxBytes?: number }): void {
  if (typeof value !== 'string') throw new TypeError(`notifySocket: ${arg} must be a string, got ${value === null ? 'null' : typeof value}`);
  if (limits.nonEmpty && value.length === 0) throw new RangeError(`notifySocket: ${arg} must not be empty`);
  if (value.includes('\0')) throw new RangeError(`notifySocket: ${arg} must not contain NUL characters`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (limits.maxBytes !== undefined && bytes > limits.maxBytes) throw new RangeError(`notifySocket: ${arg} must be at most ${limits.maxBytes} bytes, got ${bytes}`);
}

/**
 * Sends `message` as one datagram to the AF_UNIX SOCK_DGRAM socket at `socketPath` (socket,
 * sendto, close; on a libuv pool thread). A `socketPath` that starts with `@` names an
 * abstract socket: the `@` stands for the leading NUL of its address, as in systemd's
 * NOTIFY_SOCKET. The receiver sees the sender's credentials when it asks for them
 * (SO_PASSCRED), which is how systemd matches NotifyAccess=main.
 *
 * Not idempotent: each call sends another datagram. Argument errors reject with a TypeError
 * or RangeError (an empty or NUL-containing path or message, a path longer than
 * {@link SOCKET_PATH_MAX_BYTES}, or 108 for an abstract one). System errors reject with a
 * {@link NotifyError} whose `operation` is `notifySocket` and `device` the path:
 * `ENOENT` (no socket there), `ECONNREFUSED` (nothing bound to it), `EPROTOTYPE` (a stream
 * socket), `EACCES`, `EAGAIN` (the receiver's queue is full), `EMSGSIZE` (message too long).
 * An addon that is not built rejects with code `ERR_SD_NOTIFY_NOT_BUILT`.
 */
export async function notifySocket(socketPath: string, message: string): Promise<void> {
  const abstract = typeof socketPath === 'string' && socketPath.startsWith('@');
  checkString('socketPath', socketPath, { nonEmpty: true, maxBytes: SOCKET_PATH_MAX_BYTES + (abstract ? 1 : 0) });
  if (abstract && socketPath.length === 1) throw new RangeError('notifySocket: socketPath must name an abstract socket after the @');
  checkString('message', message, { nonEmpty: true });
  return native().notifySocket(socketPath, message);
}

/** The environment variables {@link notifySystemd} reads. */
export type NotifyEnv = Readonly<Record<string, string | undefined>>;

/**
 * Sends `state` (newline-separated `KEY=VALUE` assignments, e.g. `READY=1`) to the socket
 * named by NOTIFY_SOCKET in `env`: a path, or `@name` for an abstract socket. Resolves true
 * when sent, false (sending nothing, not even loading the addon) when NOTIFY_SOCKET is unset or
 * empty, so a daemon calls it unconditionally whether or not systemd started it with Type=notify.
 *
 * Rejects when the datagram cannot be sent, with {@link notifySocket}'s error (`code` = errno
 * name such as `ENOENT`, `ECONNREFUSED`), or with code `EAFNOSUPPORT` for a NOTIFY_SOCKET that
 * is neither a path nor `@name` (e.g. systemd's `vsock:` addresses, unsupported here); callers
 * that can live without systemd knowing should catch and log. Not idempotent: each call sends
 * a datagram (systemd treats repeats of the same state as harmless).
 */
export async function notifySystemd(state: string, env: NotifyEnv = process.env): Promise<boolean> {
  const socketPath = env['NOTIFY_SOCKET'];
  if (socketPath === undefined || socketPath === '') return false;
  if (!socketPath.startsWith('/') && !socketPath.startsWith('@')) {
    const err = new Error(`NOTIFY_SOCKET ${JSON.stringify(socketPath)} is neither an AF_UNIX path nor @abstract; cannot notify systemd`);
    throw Object.assign(err, { code: 'EAFNOSUPPORT' });
  }
  await notifySocket(socketPath, state);
  return true;
}
