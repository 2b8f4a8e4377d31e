/**
 * Where the cluster coordinator listens, as a user writes it (`host:port`, `[v6addr]:port`, or a
 * bare host for the default port), and what that address allows: plaintext only to a loopback
 * address, mutual TLS otherwise.
 */
import { BlockList, isIP } from 'node:net';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { mutualTlsCredentials, type TlsFiles } from './tls-credentials.js';

/** The coordinator's gRPC port when an address names none. */
export const DEFAULT_COORDINATOR_PORT = 9750;

/** A parsed coordinator address: `address` is what grpc-js is given. */
export interface CoordinatorTarget {
  readonly kind: 'coordinator';
  /** The host as written (`[::1]` keeps its brackets). */
  readonly host: string;
  readonly port: number;
  /** `host:port`. */
  readonly address: string;
  /** The host is this machine's loopback (127.0.0.0/8, ::1, localhost): plaintext is allowed. */
  readonly loopback: boolean;
}

const ADDRESS = /^(?<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(?<port>\d{1,5}))?$/;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/**
 * True when `host` (a name or an IP address, IPv6 with or without brackets) is a loopback
 * address: `localhost`, 127.0.0.0/8, `::1` (also written in full or as `::ffff:127.x.y.z`). Pure;
 * resolves no names, so only the literal name `localhost` counts.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  if (family === 4) return LOOPBACK.check(bare, 'ipv4');
  if (family === 6) return LOOPBACK.check(bare, 'ipv6');
  return false;
}

/**
 * Parses a coordinator address: `host:port`, `[v6addr]:port`, or `host` alone (port
 * DEFAULT_COORDINATOR_PORT). Pure; throws a plain Error for an empty or malformed address or a
 * port out of range.
 */
export function parseCoordinatorTarget(address: string): CoordinatorTarget {
  if (address === '') throw new Error(`coordinator address is empty: give host:port (such as 127.0.0.1:${DEFAULT_COORDINATOR_PORT})`);
  const match = ADDRESS.exec(address);
  if (match?.groups === undefined) {
    throw new Error(`coordinator address "${address}" is not host:port (such as 127.0.0.1:${DEFAULT_COORDINATOR_PORT} or [::1]:${DEFAULT_COORDINATOR_PORT})`);
  }
  const host = match.groups['host'] ?? '';
  const portText = match.groups['port'];
  const port = portText === undefined ? DEFAULT_COORDINATOR_PORT : Number(portText);
  if (port < 1 || port > 65535) throw new Error(`coordinator address ${address}: port ${port} is out of range 1-65535`);
  return { kind: 'coordinator', host, port, address: `${host}:${port}`, loopback: isLoopbackHost(host) };
}

/**
 * The channel credentials for `target`: mutual TLS from `tls` when given; plaintext when it is
 * absent and the target is a loopback address. Rejects with a plain Error when TLS is absent for
 * any other host (a coordinator elsewhere must not be spoken to in the clear), or when a PEM file
 * cannot be read (errno as `code`, fs error as `cause`). Opens no connection.
 */
export async function coordinatorCredentials(target: CoordinatorTarget, tls: TlsFiles | undefined): Promise<ChannelCredentials> {
  if (tls !== undefined) return mutualTlsCredentials(tls);
  if (target.loopback) return credentials.createInsecure();
  throw new Error(
    `the coordinator at ${target.address} is not a loopback address, so the connection needs mutual TLS: give a CA, a client certificate and a client key (plaintext is allowed only to 127.0.0.0/8, ::1 or localhost)`,
  );
}
