/**
 * Fencing: a shared pool's mutating calls carry the lock token; the agent refuses older tokens
 * and, once a pool has seen one, calls without a token; the newest token survives a restart.
 */
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

describe('fencing tokens', () => {
  let t: TestAgent;
  let c: RawClients;

  beforeEach(async () => {
    t = await startTestAgent();
    c = rawClients(t.socketPath);
    const disk = t.sparseFile('disk0.img', 128 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
  });
  afterEach(async () => {
    c.close();
    await t.dispose();
  });

  const token = (value: string): Record<string, string> => ({ 'tf-lock-token': value });
  const names = async (): Promise<string[]> => (await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool: 'p' })).volumes.map((v) => v.name);

  it('refuses a token older than the newest seen, and calls without one once the pool is shared', async () => {
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB }, token('105'));
    expect(await failure(c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'b', sizeBytes: MiB }, token('104')))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      errorCode: 'STALE_TOKEN',
    });
    expect(await failure(c.call(c.volume, 'SnapshotVolume', { pool: 'p', source: 'a', name: 'b' }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      errorCode: 'TOKEN_REQUIRED',
    });
    expect(await failure(c.call(c.pool, 'DestroyPool', { name: 'p', force: true }, token('99')))).toMatchObject({ errorCode: 'STALE_TOKEN' });
    expect(await names()).toEqual(['a']); // reads need no token
    await c.call(c.volume, 'SnapshotVolume', { pool: 'p', source: 'a', name: 'b' }, token('105'));
    await c.call(c.volume, 'SnapshotVolume', { pool: 'p', source: 'a', name: 'c' }, token('200'));
    expect(await failure(c.call(c.volume, 'DeleteVolume', { pool: 'p', name: 'c' }, token('105')))).toMatchObject({ errorCode: 'STALE_TOKEN' });
    expect(await names()).toEqual(['a', 'b', 'c']);
  });

  it('keeps the newest token across a restart', async () => {
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB }, token('7'));
    c.close();
    t = await t.restart();
    c = rawClients(t.socketPath);
    expect(await failure(c.call(c.volume, 'DeleteVolume', { pool: 'p', name: 'a' }, token('6')))).toMatchObject({ errorCode: 'STALE_TOKEN' });
    expect(await failure(c.call(c.volume, 'DeleteVolume', { pool: 'p', name: 'a' }))).toMatchObject({ errorCode: 'TOKEN_REQUIRED' });
    await c.call(c.volume, 'DeleteVolume', { pool: 'p', name: 'a' }, token('7'));
    expect(await names()).toEqual([]);
  });

  it('refuses a malformed token naming the header', async () => {
    expect(await failure(c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB }, token('12x')))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'tf-lock-token',
    });
    expect(await names()).toEqual([]);
  });

  it('leaves pools that never saw a token open to calls without one', async () => {
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB });
    expect(await names()).toEqual(['a']);
  });
});
