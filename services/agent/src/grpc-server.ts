/**
 * The agent's gRPC server: the unix socket (0600, in a 0700 directory when the agent makes it)
 * and, when configured, TCP with mutual TLS (clients must present a certificate the configured
 * CA signed).
 */
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { AgentConfigError, splitHostPort, type TcpConfig } from './agent-config.js';

/** Responses up to 64 MiB: a 10,000-volume list fits with room to spare. */
const MAX_SEND_BYTES = 64 * 1024 * 1024;

/**
 * The agent's server. Requests over `maxRequestBytes` (config `maxRequestBytes`; 16 MiB holds a
 * 10,000-op batch many times over) are refused by grpc with RESOURCE_EXHAUSTED before they are
 * decoded, and the connection keeps serving. Channelz (grpc-js's counters for its debugging
 * service, which the agent does not serve) is off: no bookkeeping per call and per message.
 */
export function makeServer(maxRequestBytes: number): Server {
  return new Server({ 'grpc.max_receive_message_length': maxRequestBytes, 'grpc.max_send_message_length': MAX_SEND_BYTES, 'grpc.enable_channelz': 0 });
}

/** True when something accepts connections on the unix socket `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/**
 * Binds the unix socket. A stale socket file (no one answers) is replaced; a live one means
 * another agent runs on it, and start-up stops.
 * @throws AgentConfigError when another agent listens on `path`
 */
export async function bindUnixSocket(server: Server, path: string): Promise<void> {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(path)) {
    if (!statSync(path).isSocket()) throw new AgentConfigError(`socket ${path} exists and is not a socket`, 'socket');
    if (await socketAnswers(path)) throw new AgentConfigError(`another agent is listening on ${path}`, 'socket');
    unlinkSync(path);
  }
  // The socket is made under umask 077, so it is never reachable by others, even briefly.
  const umask = process.umask(0o077);
  try {
    await bind(server, `unix:${path}`, ServerCredentials.createInsecure());
  } finally {
    process.umask(umask);
  }
  await chmod(path, 0o600);
}

/** Binds TCP with mutual TLS; returns the port (useful with port 0). */
export async function bindTcp(server: Server, tcp: TcpConfig): Promise<number> {
  const read = (key: keyof TcpConfig, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new AgentConfigError(`tcp.${key}: cannot read ${file}: ${(err as Error).message}`, `tcp.${key}`, { cause: err });
    }
  };
  const credentials = ServerCredentials.createSsl(read('caFile', tcp.caFile), [{ cert_chain: read('certFile', tcp.certFile), private_key: read('keyFile', tcp.keyFile) }], true);
  const { host, port } = splitHostPort(tcp.listen);
  return bind(server, `${host.includes(':') ? `[${host}]` : host}:${port}`, credentials);
}
