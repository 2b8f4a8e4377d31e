/**
 * Issue 11 item 7a: overprovisioning is not silent. A create, snapshot, resize, revision or
 * batch that takes a pool's provisioned size beyond `overprovisionWarnRatio` times its data size
 * succeeds and answers with an `overprovision` warning; the CLI prints it to stderr (human mode)
 * or keeps it in the JSON document.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../packages/cli/src/index.js';
import { memoryIo } from '../../../packages/cli/test/support/memory-io.js';
import { rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 2 ** 20;
const PiB = 2 ** 50;

interface Warning {
  provisionedBytes: number;
  dataBytes: number;
  ratioLimit: number;
  ratio: number;
  message: string;
}

describe('overprovisioning warnings', () => {
  let t: TestAgent;
  let c: RawClients;

  async function start(config: Record<string, unknown> = {}): Promise<void> {
    t = await startTestAgent({ config });
    c = rawClients(t.socketPath);
    const disk = join(t.stateDir, 'disk0.img');
    writeFileSync(disk, '');
    truncateSync(disk, 256 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
  }

  afterEach(async () => {
    c.close();
    await t.dispose();
  });

  it('warns on every call that takes the pool beyond the ratio, and the calls succeed', async () => {
    await start();
    const small = await c.call<{ overprovision: Warning | null }>(c.volume, 'CreateVolume', { pool: 'p', name: 'small', sizeBytes: 8 * MiB });
    expect(small.overprovision).toBeNull();

    const big = await c.call<{ volume: { name: string }; overprovision: Warning }>(c.volume, 'CreateVolume', { pool: 'p', name: 'big', sizeBytes: PiB });
    expect(big.volume.name).toBe('big');
    const dataBytes = big.overprovision.dataBytes;
    expect(dataBytes).toBeGreaterThan(100 * MiB);
    expect(big.overprovision).toMatchObject({ provisionedBytes: PiB + 8 * MiB, ratioLimit: 1 });
    expect(big.overprovision.ratio).toBeCloseTo((PiB + 8 * MiB) / dataBytes);
    expect(big.overprovision.message).toMatch(/^pool p is overprovisioned: its volumes total 1\.0 PiB/);

    const snap = await c.call<{ overprovision: Warning }>(c.volume, 'SnapshotVolume', { pool: 'p', source: 'big', name: 'big-s' });
    expect(snap.overprovision.provisionedBytes).toBe(2 * PiB + 8 * MiB);
    const rev = await c.call<{ overprovision: Warning }>(c.volume, 'CreateRevision', { pool: 'p', name: 'small', keep: 2 });
    expect(rev.overprovision.provisionedBytes).toBe(2 * PiB + 16 * MiB);
    const grown = await c.call<{ overprovision: Warning }>(c.volume, 'ResizeVolume', { pool: 'p', name: 'small', sizeBytes: 16 * MiB });
    expect(grown.overprovision.provisionedBytes).toBe(2 * PiB + 24 * MiB);

    const batch = await c.call<{ overprovision: Warning }>(c.volume, 'Batch', {
      pool: 'p',
      ops: Array.from({ length: 4 }, (_, i) => ({ create: { name: `pb${i}`, sizeBytes: PiB } })),
    });
    expect(batch.overprovision.provisionedBytes).toBe(6 * PiB + 24 * MiB);

    // A batch that adds nothing (a rename) and a delete stay quiet though the pool is still over.
    const rename = await c.call<{ overprovision: Warning | null }>(c.volume, 'Batch', { pool: 'p', ops: [{ rename: { name: 'pb0', newName: 'pb9' } }] });
    expect(rename.overprovision).toBeNull();
  });

  it('follows the configured ratio; null turns the warning off', async () => {
    await start({ overprovisionWarnRatio: 3 });
    const two = await c.call<{ overprovision: Warning | null; volume: unknown }>(c.volume, 'Batch', {
      pool: 'p',
      ops: [{ create: { name: 'a', sizeBytes: 200 * MiB } }, { create: { name: 'b', sizeBytes: 200 * MiB } }],
    });
    expect(two.overprovision).toBeNull();
    const more = await c.call<{ overprovision: Warning }>(c.volume, 'CreateVolume', { pool: 'p', name: 'c', sizeBytes: 400 * MiB });
    expect(more.overprovision.ratioLimit).toBe(3);
    c.close();
    await t.dispose();

    await start({ overprovisionWarnRatio: null });
    const off = await c.call<{ overprovision: Warning | null }>(c.volume, 'CreateVolume', { pool: 'p', name: 'huge', sizeBytes: PiB });
    expect(off.overprovision).toBeNull();
  });

  it('the CLI prints the warning to stderr and exits 0; with --json it is a field of the document', async () => {
    await start();
    const cli = async (argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      const { io, stdout, stderr } = memoryIo({});
      const code = await runCli(['--agent', t.socketPath, ...argv], io);
      return { code, stdout: stdout(), stderr: stderr() };
    };
    const human = await cli(['volume', 'create', 'p/vm1', '--size', '1PiB']);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe('created p/vm1: 1.0 PiB\n');
    expect(human.stderr).toMatch(/^thinfleet: warning: pool p is overprovisioned: its volumes total 1\.0 PiB, .* times its .* of data space \(warning above 1 times\)/);

    const json = await cli(['--json', 'volume', 'snapshot', 'p/vm1', 'vm2']);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect((JSON.parse(json.stdout) as { overprovision: unknown }).overprovision).toMatchObject({ provisionedBytes: 2 * PiB, ratioLimit: 1 });

    const quiet = await cli(['volume', 'delete', 'p/vm2']);
    expect(quiet.stderr).toBe('');
  });
});
