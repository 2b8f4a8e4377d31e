/**
 * The coordinators an agent's session may use and the cluster they must serve: one gRPC client
 * per configured `host:port` (`cluster.coordinators`), the one the current stream goes to, moved
 * round robin when a stream ends; and the cluster id this host belongs to (saved in
 * cluster-session.json, or taken from the first Welcome), against which every Welcome is checked.
 * Nothing here is durable or does I/O beyond creating the clients.
 */
import { readFileSync } from 'node:fs';
import { credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { loadCoordinatorApi, type SessionServiceClient } from '@thinfleet/proto';
import { AgentConfigError, type TlsClientFiles } from '../agent-config.js';

/** Channel credentials for `tls` (mutual TLS) or plaintext. @throws AgentConfigError naming `cluster.tls` when a PEM file cannot be read */
export function coordinatorCredentials(tls: TlsClientFiles | null): ChannelCredentials {
  if (tls === null) return grpcCredentials.createInsecure();
  const read = (path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new AgentConfigError(`cluster.tls: cannot read ${path}: ${(err as Error).message}`, 'cluster.tls', { cause: err });
    }
  };
  return grpcCredentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}

export class CoordinatorEndpoints {
  private readonly clients: SessionServiceClient[];
  private current = 0;
  private cluster: string;
  private refusal: string | null = null;

  /**
   * @param clusterId the id saved from an earlier Welcome ('' for none)
   * @throws RangeError without any address; AgentConfigError for unreadable TLS files
   */
  constructor(
    private readonly addresses: readonly string[],
    tls: TlsClientFiles | null,
    clusterId: string,
  ) {
    if (addresses.length === 0) throw new RangeError('at least one coordinator address is required');
    const api = loadCoordinatorApi();
    const creds = coordinatorCredentials(tls);
    this.clients = addresses.map((address) => new api.SessionService(address, creds));
    this.cluster = clusterId;
  }

  /** How many coordinators there are to try. */
  get count(): number {
    return this.clients.length;
  }

  /** The coordinator the current (or next) stream goes to. */
  get address(): string {
    return this.addresses[this.current]!;
  }

  /** Its client. */
  get client(): SessionServiceClient {
    return this.clients[this.current]!;
  }

  /** The stream to the current one ended: the next stream goes to the next one (round robin). */
  advance(): void {
    this.current = (this.current + 1) % this.clients.length;
  }

  /** The cluster id ('' until known). */
  get clusterId(): string {
    return this.cluster;
  }

  /** Why the last Welcome was refused; null when the last one was accepted (or none came). */
  get refused(): string | null {
    return this.refusal;
  }

  /**
   * Checks the cluster id of a Welcome from the current coordinator: null when it may be used
   * (the same id, none known yet, which is then adopted, or none sent by an older coordinator),
   * else why not (also kept as `refused`).
   */
  checkWelcome(welcomeClusterId: string): string | null {
    if (welcomeClusterId !== '' && this.cluster !== '' && welcomeClusterId !== this.cluster) {
      this.refusal = `the coordinator ${this.address} serves cluster ${welcomeClusterId.slice(0, 64)}, not this host's cluster ${this.cluster}`;
      return this.refusal;
    }
    this.refusal = null;
    if (this.cluster === '') this.cluster = welcomeClusterId;
    return null;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
