/**
 * fence-or-log.ts: the one path the cluster node fences a pool by when it must stop writing to
 * it. The fence starts at once, a success is logged with the report, a failure at fatal and
 * never thrown.
 */
import type { PoolFenceReport } from '@thinfleet/engine';
import { describe, expect, it } from 'vitest';
import { fenceOrLog, FENCING_FAILED } from '../src/cluster/fence-or-log.js';
import { captureLog, LEVEL } from './support/log-capture.js';

const REPORT = { suspendedVolumes: ['v1'] } as unknown as PoolFenceReport;

describe('fenceOrLog', () => {
  it('starts the fence before it returns, and logs the report with the fields at warn', async () => {
    const { log, records } = captureLog();
    const fenced: string[] = [];
    const engine = { fencePool: async (pool: string) => (fenced.push(pool), REPORT) };
    const done = fenceOrLog(engine, log, 'tank', { fields: { token: '7' }, fenced: 'pool fenced' });
    // A loop over pools fences them all at once: nothing waits for the caller to await.
    expect(fenced).toEqual(['tank']);
    await expect(done).resolves.toBe(REPORT);
    expect(records).toEqual([expect.objectContaining({ level: LEVEL.warn, msg: 'pool fenced', pool: 'tank', token: '7', suspendedVolumes: ['v1'] })]);
  });

  it('logs nothing on success when no message is given', async () => {
    const { log, records } = captureLog();
    await expect(fenceOrLog({ fencePool: async () => REPORT }, log, 'tank')).resolves.toBe(REPORT);
    expect(records).toEqual([]);
  });

  it('resolves null and logs at fatal when the fence fails, whether it rejects or throws', async () => {
    const { log, records } = captureLog();
    const rejecting = { fencePool: async () => Promise.reject(new Error('EBUSY: device busy')) };
    await expect(fenceOrLog(rejecting, log, 'tank', { fields: { token: '7' }, fenced: 'pool fenced' })).resolves.toBeNull();
    const throwing = {
      fencePool: (): Promise<PoolFenceReport> => {
        throw new Error('no such device');
      },
    };
    await expect(fenceOrLog(throwing, log, 'pond', { failed: 'could not fence a pool at start; it may still write to its devices' })).resolves.toBeNull();
    expect(records).toEqual([
      expect.objectContaining({ level: LEVEL.fatal, msg: FENCING_FAILED, pool: 'tank', token: '7', err: expect.objectContaining({ message: 'EBUSY: device busy' }) }),
      expect.objectContaining({
        level: LEVEL.fatal,
        msg: 'could not fence a pool at start; it may still write to its devices',
        pool: 'pond',
        err: expect.objectContaining({ message: 'no such device' }),
      }),
    ]);
  });
});
