/**
 * Where the agent listens, as a user writes it: a unix socket path (`/run/thinfleet/agent.sock`,
 * `unix:/path`, or a relative path) or a TCP `host:port` (which needs mutual TLS).
 */
import { resolve } from 'node:path';

/** A parsed agent address: `address` is what grpc-js is given. */
export type AgentTarget =
  { readonly kind: 'unix'; readonly path: string; readonly address: string } | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly address: string };

const TCP = /^(?<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(?<port>\d{1,5})$/;

/**
 * Parses an agent target. `unix:PATH` and anything containing a `/` or not of the form
 * `host:port` is a socket path (made absolute against the working directory); `host:port` and
 * `[v6addr]:port` are TCP. Pure; throws a plain Error for an empty target or a port out of range.
 */
export function parseAgentTarget(target: string): AgentTarget {
  if (target === '') throw new Error('agent target is empty: give a socket path or host:port');
  if (target.startsWith('unix:')) return unixTarget(target.slice('unix:'.length).replace(/^\/\/(?=\/)/, ''));
  const tcp = TCP.exec(target);
  if (tcp?.groups === undefined) return unixTarget(target);
  const host = tcp.groups['host'] ?? '';
  const port = Number(tcp.groups['port']);
  if (port < 1 || port > 65535) throw new Error(`agent target ${target}: port ${port} is out of range 1-65535`);
  return { kind: 'tcp', host, port, address: `${host}:${port}` };
}

function unixTarget(path: string): AgentTarget {
  if (path === '') throw new Error('agent target unix: has no socket path');
  const absolute = resolve(path);
  return { kind: 'unix', path: absolute, address: `unix:${absolute}` };
}
