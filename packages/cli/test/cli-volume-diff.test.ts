/**
 * `volume diff` (every page of DiffVolumes, as a table or one JSON document) and the flags of
 * incremental backup on `volume export --since` and `volume import --onto`, against a recording
 * agent.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';
import { recordingAgent } from './support/recording-agent.js';

const KiB = 1024;

/** A fake agent whose DiffVolumes answers three pages of one range each, from `from_bytes`. */
function pagedAgent() {
  const pages = new Map<number, object>([
    [0, { ranges: [{ offsetBytes: 0, lengthBytes: 64 * KiB, kind: 'DIFF_KIND_DIFFERENT' }], blockBytes: 64 * KiB, sizeBytes: 1024 * KiB, nextFromBytes: 64 * KiB }],
    [64 * KiB, { ranges: [{ offsetBytes: 128 * KiB, lengthBytes: 128 * KiB, kind: 'DIFF_KIND_LEFT_ONLY' }], blockBytes: 64 * KiB, sizeBytes: 1024 * KiB, nextFromBytes: 256 * KiB }],
    [256 * KiB, { ranges: [{ offsetBytes: 512 * KiB, lengthBytes: 64 * KiB, kind: 'DIFF_KIND_RIGHT_ONLY' }], blockBytes: 64 * KiB, sizeBytes: 1024 * KiB, nextFromBytes: 0 }],
  ]);
  const requests: unknown[] = [];
  const agent = {
    diffVolumes: async (request: { fromBytes: number }) => {
      requests.push(request);
      return pages.get(request.fromBytes);
    },
    close: () => undefined,
  };
  return { requests, connect: async () => agent as never };
}

describe('volume diff', () => {
  it('asks for every page and prints one JSON document', async () => {
    const fake = pagedAgent();
    const { io, stdout, stderr } = memoryIo();
    expect(await runCli(['--json', 'volume', 'diff', 'tank/mon', 'tank/tue'], io, { connect: fake.connect }), stderr()).toBe(0);
    expect(fake.requests).toEqual([0, 64 * KiB, 256 * KiB].map((fromBytes) => ({ pool: 'tank', name: 'mon', other: 'tue', fromBytes })));
    expect(JSON.parse(stdout())).toEqual({
      blockBytes: 64 * KiB,
      sizeBytes: 1024 * KiB,
      ranges: [
        { offsetBytes: 0, lengthBytes: 64 * KiB, kind: 'different' },
        { offsetBytes: 128 * KiB, lengthBytes: 128 * KiB, kind: 'left_only' },
        { offsetBytes: 512 * KiB, lengthBytes: 64 * KiB, kind: 'right_only' },
      ],
    });
  });

  it('prints a table with a summary line', async () => {
    const fake = pagedAgent();
    const { io, stdout } = memoryIo();
    expect(await runCli(['volume', 'diff', 'tank/mon', 'tank/tue'], io, { connect: fake.connect })).toBe(0);
    const lines = stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^OFFSET\s+LENGTH\s+KIND$/);
    expect(lines[2]).toMatch(/^\s*131072\s+128(\.0)? ?KiB\s+left_only$/);
    expect(lines.at(-1)).toMatch(/^3 range\(s\), 256(\.0)? ?KiB of 1(\.0)? ?MiB differ/);
  });

  it('refuses volumes of two pools before calling the agent', async () => {
    const agent = recordingAgent();
    const { io, stderr } = memoryIo();
    expect(await runCli(['volume', 'diff', 'tank/a', 'other/b'], io, { connect: agent.connect })).toBe(2);
    expect(stderr()).toContain('POOL/B');
    expect(agent.calls).toEqual([]);
  });
});

describe('export --since and import --onto', () => {
  const CASES: ReadonlyArray<readonly [string, string, unknown]> = [
    [
      'volume export tank/tue /srv/b/tue.tfdiff --since tank/mon --no-wait',
      'exportVolume',
      { pool: 'tank', name: 'tue', path: '/srv/b/tue.tfdiff', format: 'IMAGE_FORMAT_DIFF_STREAM', since: 'mon' },
    ],
    ['volume export tank/tue /srv/b/tue.bin --since mon --no-wait', 'exportVolume', { pool: 'tank', name: 'tue', path: '/srv/b/tue.bin', format: 'IMAGE_FORMAT_DIFF_STREAM', since: 'mon' }],
    ['volume export tank/mon /srv/b/mon.tfdiff --no-wait', 'exportVolume', { pool: 'tank', name: 'mon', path: '/srv/b/mon.tfdiff', format: 'IMAGE_FORMAT_DIFF_STREAM' }],
    ['volume import tank/r2 /srv/b/tue.x --onto tank/r1 --no-wait', 'importVolume', { pool: 'tank', name: 'r2', path: '/srv/b/tue.x', format: 'IMAGE_FORMAT_DIFF_STREAM', onto: 'r1' }],
    ['volume import tank/r1 /srv/b/mon.tfdiff --no-wait', 'importVolume', { pool: 'tank', name: 'r1', path: '/srv/b/mon.tfdiff', format: 'IMAGE_FORMAT_DIFF_STREAM' }],
  ];
  it.each(CASES)('%s', async (line, method, request) => {
    const agent = recordingAgent();
    const { io, stderr } = memoryIo();
    expect(await runCli(line.split(' '), io, { connect: agent.connect }), stderr()).toBe(0);
    expect(agent.calls).toEqual([{ method, request }]);
  });

  it('refuses --since of another pool and --format qcow2 with --onto, sending nothing', async () => {
    for (const line of ['volume export tank/tue /srv/x --since other/mon', 'volume import tank/r /srv/x --onto tank/r1 --format qcow2']) {
      const agent = recordingAgent();
      const { io, stderr } = memoryIo();
      expect(await runCli(line.split(' '), io, { connect: agent.connect }), line).toBe(2);
      expect(stderr()).toMatch(/--since|--format/);
      expect(agent.calls).toEqual([]);
    }
  });
});
