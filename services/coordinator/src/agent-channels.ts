/**
 * Clients for the agents the coordinator routes calls to, one set per agent address, made on
 * first use and kept. An agent on this host is reached over its unix socket (`unix:/path`);
 * one on another host over TCP with mutual TLS, using the coordinator's `agentTls` files.
 */
import { readFileSync } from 'node:fs';
import { credentials, type ChannelCredentials, type Client } from '@grpc/grpc-js';
import { loadAgentApi } from '@thinfleet/proto';
import type { TlsFiles } from './coordinator-config.js';

export type AgentServiceName = 'PoolService' | 'VolumeService' | 'JobService' | 'DeviceSnapshotService' | 'VolumeTransferService';

/** A client of one agent service, called by method name (the router forwards generically). */
export type AgentServiceClient = Client & Record<string, (...args: unknown[]) => unknown>;

export class AgentChannels {
  private readonly clients = new Map<string, AgentServiceClient>();
  private tlsCredentials: ChannelCredentials | null = null;

  constructor(private readonly agentTls: TlsFiles | null) {}

  /**
   * The client of `service` at `address`.
   * @throws Error when `address` is TCP and no agentTls is configured (agents demand mutual TLS)
   */
  client(address: string, service: AgentServiceName): AgentServiceClient {
    const key = `${service} ${address}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      const Service = loadAgentApi()[service] as unknown as new (address: string, creds: ChannelCredentials) => AgentServiceClient;
      client = new Service(address, this.credentialsFor(address));
      this.clients.set(key, client);
    }
    return client;
  }

  private credentialsFor(address: string): ChannelCredentials {
    if (address.startsWith('unix:')) return credentials.createInsecure();
    if (this.agentTls === null) {
      throw new Error(`agent ${address} is reached over TCP, which needs mutual TLS: set agentTls in the coordinator's config`);
    }
    this.tlsCredentials ??= credentials.createSsl(readFileSync(this.agentTls.caFile), readFileSync(this.agentTls.keyFile), readFileSync(this.agentTls.certFile));
    return this.tlsCredentials;
  }

  /** Closes every client. Idempotent. */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
