/**
 * systemd's service notification (sd_notify(3)) for the coordinator: READY=1 once it serves,
 * STOPPING=1 when shutdown begins, STATUS= lines for `systemctl status`. A no-op when the
 * coordinator was not started by systemd with Type=notify (NOTIFY_SOCKET unset).
 */
import { notifySocket } from '@thinfleet/dm-native';

/**
 * Sends `state` (newline-separated `KEY=VALUE` assignments) to the socket named by NOTIFY_SOCKET
 * in `env` (a path, or `@name` for an abstract socket). Resolves true when sent, false (sending
 * nothing) when NOTIFY_SOCKET is unset or empty. Not idempotent: each call sends a datagram.
 * @throws the addon's error (`code` = errno name) when the datagram cannot be sent, or code
 *   `EAFNOSUPPORT` for a NOTIFY_SOCKET that is neither a path nor `@name`; callers log and go on.
 */
export async function notifySystemd(state: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<boolean> {
  const socketPath = env['NOTIFY_SOCKET'];
  if (socketPath === undefined || socketPath === '') return false;
  if (!socketPath.startsWith('/') && !socketPath.startsWith('@')) {
    const err = new Error(`NOTIFY_SOCKET ${JSON.stringify(socketPath)} is neither an AF_UNIX path nor @abstract; cannot notify systemd`);
    throw Object.assign(err, { code: 'EAFNOSUPPORT' });
  }
  await notifySocket(socketPath, state);
  return true;
}
