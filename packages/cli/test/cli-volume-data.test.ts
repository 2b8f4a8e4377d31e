/**
 * `thinfleet volume write | read` against a real agent on the simulated device-mapper, where
 * they are the only way to a volume's content: what the CLI says about a simulated device,
 * data in and out (a file that ends inside a sector keeps the volume's bytes after it), and the
 * refusals.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../../services/agent/test/support/test-agent.js';
import { runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';

const MiB = 2 ** 20;

let agent: TestAgent;

async function cli(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = memoryIo();
  const code = await runCli(['--agent', agent.socketPath, ...argv], io);
  return { code, stdout: stdout(), stderr: stderr() };
}

const file = (name: string): string => join(agent.stateDir, name);

beforeAll(async () => {
  agent = await startTestAgent();
  expect((await cli(['pool', 'create', 'demo', '--device', agent.sparseFile('disk.img', 64 * MiB)])).code).toBe(0);
});

afterAll(async () => {
  await agent.dispose();
});

describe('a simulated volume', () => {
  it('is not said to be at a /dev/mapper path that does not exist', async () => {
    const run = await cli(['volume', 'create', 'demo/vm1', '--size', '4MiB', '--activate']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/active at \/dev\/mapper/);
    expect(run.stdout).toMatch(/active in the agent's simulated device-mapper \(its content: thinfleet volume read\|write demo\/vm1 FILE\)/);
    const doc = JSON.parse((await cli(['--json', 'volume', 'show', 'demo/vm1'])).stdout) as { volume: { deviceSimulated: boolean } };
    expect(doc.volume.deviceSimulated).toBe(true);
  });

  it('takes a file in and gives it back, over more than one call', async () => {
    const data = randomBytes(MiB + 4096);
    writeFileSync(file('in.bin'), data);
    const written = await cli(['volume', 'write', 'demo/vm1', file('in.bin'), '--offset', '512KiB']);
    expect(written).toMatchObject({ code: 0, stderr: '' });
    expect(written.stdout).toBe('wrote 1.0 MiB into demo/vm1 at 512.0 KiB\n');
    const read = await cli(['--json', 'volume', 'read', 'demo/vm1', file('out.bin'), '--offset', '512KiB', '--length', String(data.length)]);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toEqual({ pool: 'demo', name: 'vm1', offsetBytes: 512 * 1024, readBytes: data.length });
    expect(readFileSync(file('out.bin')).equals(data)).toBe(true);
  });

  it('keeps the bytes after a file that ends inside a sector', async () => {
    writeFileSync(file('ones.bin'), Buffer.alloc(1024, 0x11));
    expect((await cli(['volume', 'write', 'demo/vm1', file('ones.bin')])).code).toBe(0);
    writeFileSync(file('short.bin'), Buffer.alloc(700, 0x22));
    expect((await cli(['volume', 'write', 'demo/vm1', file('short.bin')])).code).toBe(0);
    expect((await cli(['volume', 'read', 'demo/vm1', file('head.bin'), '--length', '1KiB'])).code).toBe(0);
    expect(readFileSync(file('head.bin'))).toEqual(Buffer.concat([Buffer.alloc(700, 0x22), Buffer.alloc(324, 0x11)]));
  });

  it('reads to the end of the volume by default', async () => {
    expect((await cli(['volume', 'read', 'demo/vm1', file('all.bin')])).code).toBe(0);
    expect(readFileSync(file('all.bin')).length).toBe(4 * MiB);
  });

  it('refuses an inactive volume, a range past the end and an unaligned offset, writing nothing', async () => {
    expect((await cli(['volume', 'create', 'demo/off', '--size', '1MiB'])).code).toBe(0);
    const inactive = await cli(['volume', 'write', 'demo/off', file('ones.bin')]);
    expect(inactive.code).toBe(1);
    expect(inactive.stderr).toMatch(/volume "off" is not active \(thinfleet volume activate demo\/off\)/);
    const past = await cli(['volume', 'write', 'demo/vm1', file('ones.bin'), '--offset', '4MiB']);
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/the range ends beyond volume "vm1" \(4\.0 MiB\) \(field: data\)/);
    const unaligned = await cli(['volume', 'write', 'demo/vm1', file('ones.bin'), '--offset', '100']);
    expect(unaligned.code).toBe(2);
    expect(unaligned.stderr).toMatch(/--offset: 100 B is not a multiple of 512 bytes/);
    expect((await cli(['volume', 'read', 'demo/vm1', file('tail.bin'), '--offset', `${4 * MiB - 2048}`])).code).toBe(0);
    expect(readFileSync(file('tail.bin')).every((b) => b === 0)).toBe(true);
  });
});
