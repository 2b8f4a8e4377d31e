/**
 * The coordinator's grpc.health.v1 service: SERVING for itself and its services while etcd
 * answers, NOT_FOUND for a service it does not serve, NOT_SERVING once etcd is gone.
 */
import { credentials, type Client } from '@grpc/grpc-js';
import { loadAgentApi } from '@thinfleet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import type { Coordinator } from '../src/coordinator.js';
import { startTestCoordinator, testPrefix } from './support/test-coordinator.js';

type HealthClient = Client & { Check(r: { service: string }, cb: (err: (Error & { code?: number }) | null, res: { status: string }) => void): void };

let etcd: EtcdServer;
let coordinator: Coordinator;
let health: HealthClient;
beforeAll(async () => {
  etcd = await startEtcd();
  coordinator = await startTestCoordinator({ endpoint: etcd.endpoint, prefix: testPrefix() });
  const Health = loadAgentApi().Health as unknown as new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient;
  health = new Health(coordinator.address, credentials.createInsecure());
});
afterAll(async () => {
  health?.close();
  await coordinator?.stop();
  await etcd?.dispose();
});

const check = (service: string): Promise<string> => new Promise((resolve, reject) => health.Check({ service }, (err, res) => (err === null ? resolve(res.status) : reject(err))));

describe('coordinator health', () => {
  it('answers SERVING for itself and for each service it serves while etcd answers; NOT_FOUND for others', async () => {
    expect(await check('')).toBe('SERVING');
    expect(await check('thinfleet.coordinator.v1.ClusterService')).toBe('SERVING');
    expect(await check('thinfleet.agent.v1.VolumeService')).toBe('SERVING');
    await expect(check('no.such.Service')).rejects.toMatchObject({ code: 5 });
  });

  it('answers NOT_SERVING when etcd does not answer', async () => {
    await etcd.dispose();
    expect(await check('')).toBe('NOT_SERVING');
  });
});
