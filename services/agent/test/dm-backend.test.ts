/**
 * The simulator stays behind the backend: the agent asks the backend whether it is simulated
 * (`DmBackend.simulated`) for its start-up warning and `Volume.device_simulated`, and no agent
 * source compares a backend's or client's `kind` with 'sim' (issue 12, item 3).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.js';
import { resolveAgentConfig } from '../src/agent-config.js';
import { openDmBackend } from '../src/dm-backend.js';
import { rawClients } from './support/raw-clients.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Starts an agent on the simulated device-mapper whose backend reports `simulated` as given,
 * makes a volume, and returns the volume's `deviceSimulated` and the start-up warnings.
 */
async function volumeOfAgent(simulated: boolean): Promise<{ deviceSimulated: boolean; warnings: string[] }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tf-backend-'));
  dirs.push(stateDir);
  const config = resolveAgentConfig({ socket: join(stateDir, 'agent.sock'), stateDir, dm: 'sim', logLevel: 'silent' });
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const agent = await Agent.start(config, { logger, env: {}, openBackend: async (kind, dir) => ({ ...(await openDmBackend(kind, dir)), simulated }) });
  const c = rawClients(config.socket);
  try {
    const disk = join(stateDir, 'disk0');
    writeFileSync(disk, '');
    truncateSync(disk, 64 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'tank', devices: [disk] });
    const { volume } = await c.call<{ volume: { deviceSimulated: boolean } }>(c.volume, 'CreateVolume', { pool: 'tank', name: 'v', sizeBytes: MiB });
    return { deviceSimulated: volume.deviceSimulated, warnings: lines.filter((l) => l.level === 40).map((l) => String(l.msg)) };
  } finally {
    c.close();
    await agent.stop();
  }
}

describe('the device-mapper backend', () => {
  it('says whether it is simulated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-backend-'));
    dirs.push(dir);
    const backend = await openDmBackend('sim', dir);
    try {
      expect(backend).toMatchObject({ kind: 'sim', simulated: true });
    } finally {
      backend.close();
    }
  });

  it('is what the agent asks: volumes say simulated, and start-up warns, only when the backend says so', async () => {
    const sim = await volumeOfAgent(true);
    expect(sim.deviceSimulated).toBe(true);
    expect(sim.warnings.some((m) => m.startsWith('SIMULATED DEVICE-MAPPER'))).toBe(true);
    // The same simulated client, reported as not simulated: the agent goes by the capability.
    const reported = await volumeOfAgent(false);
    expect(reported.deviceSimulated).toBe(false);
    expect(reported.warnings.some((m) => m.startsWith('SIMULATED DEVICE-MAPPER'))).toBe(false);
  });

  it('is the only place the agent tells the simulator apart: no source compares a kind with sim', () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const offenders = readdirSync(src, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => join(e.parentPath, e.name))
      .filter((path) => /\.kind\s*[!=]==?\s*'sim'/.test(readFileSync(path, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
