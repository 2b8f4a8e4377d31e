/**
 * A chunked delete across a clean restart of a standalone agent (in this process; the same with
 * the agent as a process and SIGTERM is in jobs-restart.integration.test.ts). The agent's start
 * activates its pools, which adopts the pools' delete marks, and loads its job records: the
 * record's checkpoint must win over the mark's older one, and no save of the resumed job may
 * lose its temporary file to the start-up's sweep. Issue 11, item 3.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../src/jobs/index.js';
import { startClusterAgent, type ClusterAgent, MiB } from './support/cluster-agent.js';
import { Gate, ScriptedBlock, settled } from './support/job-harness.js';

const CHUNK = 64 * 1024;
const VOLUME_BYTES = MiB;
const CHUNKS = VOLUME_BYTES / CHUNK;

const agents: ClusterAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0).reverse()) await a.dispose().catch(() => undefined);
});

describe('a chunked delete across a restart of the agent', () => {
  it('resumes from the checkpoint its record saved, not from the pool mark, and finishes', async () => {
    const gate = new Gate();
    let first!: ScriptedBlock;
    const a = await startClusterAgent({
      coordinator: null,
      wrapBlock: (b) => {
        first = new ScriptedBlock(b);
        first.before = (n) => (n === 4 ? gate.hold() : undefined);
        return first;
      },
    });
    await a.c.call(a.c.pool, 'CreatePool', { name: 'tank', devices: [a.disk()] });
    await a.c.call(a.c.volume, 'CreateVolume', { pool: 'tank', name: 'keep', sizeBytes: MiB });
    await a.c.call(a.c.volume, 'CreateVolume', { pool: 'tank', name: 'v', sizeBytes: VOLUME_BYTES });
    const { jobId } = await a.c.call<{ jobId: string }>(a.c.volume, 'DeleteVolume', { pool: 'tank', name: 'v', mode: 'DELETE_MODE_CHUNKED' });
    await gate.reached;
    // What SIGTERM does first: the jobs stop after their current chunk.
    const stopping = a.agent.jobs.stop();
    gate.open();
    await stopping;
    await a.stop();
    const record = JSON.parse(readFileSync(join(a.stateDir, 'jobs', `${jobId}.json`), 'utf8')) as JobRecord;
    expect(record).toMatchObject({ state: 'running', doneBytes: 4 * CHUNK });

    let second!: ScriptedBlock;
    const b = await startClusterAgent({ coordinator: null, stateDir: a.stateDir, wrapBlock: (inner) => (second = new ScriptedBlock(inner)) });
    agents.push(b);
    const end = await settled(b.agent.jobs, jobId);
    expect(end).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES, error: null });
    // From the checkpoint: chunks 5.. only.
    expect(second.discards.map((d) => d.offsetBytes)).toEqual(Array.from({ length: CHUNKS - 4 }, (_, k) => (4 + k) * CHUNK));
    const { volumes } = await b.c.call<{ volumes: Array<{ name: string }> }>(b.c.volume, 'ListVolumes', { pool: 'tank' });
    expect(volumes.map((v) => v.name)).toEqual(['keep']);
  });
});
