/** test/support/wait-until.ts, the one polling wait of the test tree (beside the other support tests). */
import { describe, expect, it } from 'vitest';
import { waitUntil, WaitTimeoutError } from '../../../test/support/wait-until.js';

describe('waitUntil', () => {
  it('resolves with the first answer that is not null, undefined or false', async () => {
    let asks = 0;
    const found = await waitUntil('the third ask', () => (++asks === 3 ? { asks } : asks === 1 ? null : undefined), { intervalMs: 1 });
    expect(found).toEqual({ asks: 3 });
    expect(await waitUntil('zero', () => 0)).toBe(0);
    expect(await waitUntil('an async truth', async () => true)).toBe(true);
  });

  it('fails after the timeout naming what was awaited, with the detail', async () => {
    const err = await waitUntil('the moon', () => false, { timeoutMs: 30, intervalMs: 5, detail: () => 'seen: nothing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toBe('timed out after 30 ms waiting for the moon; seen: nothing');
    await expect(waitUntil('the sun', () => null, 20)).rejects.toThrow('timed out after 20 ms waiting for the sun');
  });

  it('ends at once with what the probe throws, and asks no more', async () => {
    let asks = 0;
    const probe = (): boolean => {
      asks += 1;
      throw new Error('the process exited');
    };
    await expect(waitUntil('a process', probe, 1_000)).rejects.toThrow('the process exited');
    expect(asks).toBe(1);
  });
});
