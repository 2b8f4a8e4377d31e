/**
 * Every command line → the exact request the agent receives. The agent connection is a
 * recording fake standing where AgentClient stands (see support/recording-agent.ts); what the
 * requests do is tested against the real agent in cli-end-to-end.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';
import { job, POOL, recordingAgent } from './support/recording-agent.js';

const GiB = 2 ** 30;

const BATCH_FILE = JSON.stringify({
  pool: 'tank',
  ops: [
    { op: 'create', name: 'a', size: '1GiB', activate: true },
    { op: 'create', name: 'web', external_origin: '/dev/base', item: 'web-volume' },
    { op: 'snapshot', source: 'a', name: 'a-s1' },
    { op: 'delete', name: 'old' },
    { op: 'rename', name: 'b', new_name: 'c' },
    { op: 'resize', name: 'a', size: 4096 },
    { op: 'revert', name: 'a', snapshot: 'a-s1' },
    { op: 'revision', name: 'a', keep: 5 },
    { op: 'revision', name: 'a' },
    { op: 'pin', name: 'a', pinned: false },
  ],
});

const CASES: ReadonlyArray<readonly [string, string, unknown]> = [
  [
    'pool create tank --device /dev/sdb --device /dev/sdc --block-size 256KiB --metadata-size 64M --force',
    'createPool',
    { name: 'tank', devices: ['/dev/sdb', '/dev/sdc'], dataBlockBytes: 256 * 1024, metadataBytes: 64 * 2 ** 20, force: true },
  ],
  ['pool create tank --device=/var/tmp/d0.img', 'createPool', { name: 'tank', devices: ['/var/tmp/d0.img'], dataBlockBytes: 0, metadataBytes: 0, force: false }],
  [
    'pool create tank --device /dev/sdb --no-space-mode error',
    'createPool',
    { name: 'tank', devices: ['/dev/sdb'], dataBlockBytes: 0, metadataBytes: 0, force: false, noSpaceMode: 'error' },
  ],
  ['pool extend tank --device /dev/sdd', 'extendPool', { name: 'tank', device: '/dev/sdd', sizeBytes: 0 }],
  ['pool extend tank --device /var/tmp/spare.img --size 1GiB', 'extendPool', { name: 'tank', device: '/var/tmp/spare.img', sizeBytes: GiB }],
  ['pool set tank --no-space-mode queue', 'setPool', { name: 'tank', noSpaceMode: 'queue' }],
  ['pool watch tank', 'watchPoolEvents', 'tank'],
  ['pool watch', 'watchPoolEvents', ''],
  ['pool list', 'listPools', {}],
  ['pool show tank', 'getPool', { name: 'tank' }],
  ['pool discover --device /dev/sdb --device /dev/sdc', 'discoverPools', { devices: ['/dev/sdb', '/dev/sdc'] }],
  ['pool activate tank', 'activatePool', { name: 'tank', devices: [] }],
  ['pool activate tank --device /dev/sdc --device /dev/sdb', 'activatePool', { name: 'tank', devices: ['/dev/sdc', '/dev/sdb'] }],
  ['pool join tank --device /dev/sdb', 'joinPool', { name: 'tank', devices: ['/dev/sdb'], prefer: false }],
  ['pool join tank --device /dev/sdb --device /dev/sdc --prefer', 'joinPool', { name: 'tank', devices: ['/dev/sdb', '/dev/sdc'], prefer: true }],
  ['pool deactivate tank', 'deactivatePool', { name: 'tank' }],
  ['pool destroy tank', 'destroyPool', { name: 'tank', force: false }],
  ['pool destroy tank --force', 'destroyPool', { name: 'tank', force: true }],
  ['pool forget tank', 'forgetPool', { name: 'tank' }],
  ['volume create tank/vm1 --size 10GiB --activate', 'createVolume', { pool: 'tank', name: 'vm1', sizeBytes: 10 * GiB, externalOrigin: '', activate: true }],
  ['volume create tank/web --external-origin /dev/base', 'createVolume', { pool: 'tank', name: 'web', externalOrigin: '/dev/base', activate: false }],
  ['volume snapshot tank/vm1 vm1-s1', 'snapshotVolume', { pool: 'tank', source: 'vm1', name: 'vm1-s1', activate: false }],
  ['volume snapshot tank/vm1 vm1-s1 --activate', 'snapshotVolume', { pool: 'tank', source: 'vm1', name: 'vm1-s1', activate: true }],
  ['volume list', 'listVolumes', { pool: '', usage: false, pageSize: 100, pageToken: '' }],
  ['volume list tank --usage', 'listVolumes', { pool: 'tank', usage: true, pageSize: 10000, pageToken: '' }],
  ['volume show tank/vm1', 'getVolume', { pool: 'tank', name: 'vm1', usage: false }],
  ['volume show tank/vm1 --usage', 'getVolume', { pool: 'tank', name: 'vm1', usage: true }],
  ['volume rename tank/vm1 vm2', 'renameVolume', { pool: 'tank', name: 'vm1', newName: 'vm2' }],
  ['volume resize tank/vm1 --size 1.5GiB', 'resizeVolume', { pool: 'tank', name: 'vm1', sizeBytes: 1.5 * GiB }],
  ['volume resize tank/vm1 --size 1000', 'resizeVolume', { pool: 'tank', name: 'vm1', sizeBytes: 1000 }],
  ['volume activate tank/vm1', 'activateVolume', { pool: 'tank', name: 'vm1' }],
  ['volume deactivate tank/vm1', 'deactivateVolume', { pool: 'tank', name: 'vm1' }],
  ['volume delete tank/vm1', 'deleteVolume', { pool: 'tank', name: 'vm1', mode: 'DELETE_MODE_AUTO' }],
  ['volume delete tank/vm1 --now', 'deleteVolume', { pool: 'tank', name: 'vm1', mode: 'DELETE_MODE_NOW' }],
  ['volume delete tank/vm1 --chunked', 'deleteVolume', { pool: 'tank', name: 'vm1', mode: 'DELETE_MODE_CHUNKED' }],
  ['volume flatten tank/vm1 --no-wait', 'flattenVolume', { pool: 'tank', name: 'vm1' }],
  ['volume move tank/vm1 fast --no-wait', 'moveVolume', { pool: 'tank', name: 'vm1', targetPool: 'fast', host: '' }],
  ['volume move tank/vm1 fast --host node2 --no-wait', 'moveVolume', { pool: 'tank', name: 'vm1', targetPool: 'fast', host: 'node2' }],
  ['volume revert tank/vm1 vm1-s1', 'revertVolume', { pool: 'tank', name: 'vm1', snapshot: 'vm1-s1' }],
  ['volume pin tank/vm1.rev2', 'pinVolume', { pool: 'tank', name: 'vm1.rev2', pinned: true }],
  ['volume unpin tank/vm1.rev2', 'pinVolume', { pool: 'tank', name: 'vm1.rev2', pinned: false }],
  ['revision create tank/vm1', 'createRevision', { pool: 'tank', name: 'vm1', keep: 3 }],
  ['revision create tank/vm1 --keep 5', 'createRevision', { pool: 'tank', name: 'vm1', keep: 5 }],
  ['revision list tank/vm1', 'listVolumes', { pool: 'tank', usage: false }],
  [
    'device snapshot create tank/base --device /dev/loop3 --size 8M --chunk-size 64KiB',
    'createDeviceSnapshot',
    { pool: 'tank', name: 'base', device: '/dev/loop3', sizeBytes: 8 * 2 ** 20, chunkSectors: 128 },
  ],
  ['device snapshot create tank/base --device /dev/loop3', 'createDeviceSnapshot', { pool: 'tank', name: 'base', device: '/dev/loop3', sizeBytes: 0, chunkSectors: 0 }],
  ['device snapshot list tank', 'listDeviceSnapshots', { pool: 'tank' }],
  ['device snapshot delete tank/base', 'deleteDeviceSnapshot', { pool: 'tank', name: 'base' }],
  ['device snapshot merge tank/base --no-wait', 'mergeDeviceSnapshot', { pool: 'tank', name: 'base' }],
  ['job list', 'listJobs', {}],
  ['job show j1', 'getJob', { id: 'j1' }],
  ['job cancel j1', 'cancelJob', { id: 'j1' }],
  ['volume import tank/vm1 /srv/d.qcow2 --no-wait', 'importVolume', { pool: 'tank', name: 'vm1', path: '/srv/d.qcow2', format: 'IMAGE_FORMAT_QCOW2' }],
  ['volume import tank/vm1 /srv/d.img --size 2GiB --no-wait', 'importVolume', { pool: 'tank', name: 'vm1', path: '/srv/d.img', format: 'IMAGE_FORMAT_RAW', sizeBytes: 2 * GiB }],
  ['volume import tank/vm1 /srv/d.img --format vdi --no-wait', 'importVolume', { pool: 'tank', name: 'vm1', path: '/srv/d.img', format: 'IMAGE_FORMAT_VDI' }],
  ['volume export tank/vm1 /srv/out.VMDK --no-wait', 'exportVolume', { pool: 'tank', name: 'vm1', path: '/srv/out.VMDK', format: 'IMAGE_FORMAT_VMDK' }],
  ['volume export tank/vm1 /srv/out.vhdx --format raw --no-wait', 'exportVolume', { pool: 'tank', name: 'vm1', path: '/srv/out.vhdx', format: 'IMAGE_FORMAT_RAW' }],
  ['volume copy tank/vm1 ssd/vm1-copy --no-wait', 'copyVolume', { pool: 'tank', name: 'vm1', targetPool: 'ssd', targetName: 'vm1-copy', keepOrigin: false }],
  ['volume copy tank/vm1 tank/vm2 --keep-origin --no-wait', 'copyVolume', { pool: 'tank', name: 'vm1', targetPool: 'tank', targetName: 'vm2', keepOrigin: true }],
  ['volume diff tank/mon tank/tue', 'diffVolumes', { pool: 'tank', name: 'mon', other: 'tue', fromBytes: 0 }],
  ['health', 'health', ''],
  ['health thinfleet.agent.v1.VolumeService', 'health', 'thinfleet.agent.v1.VolumeService'],
  // Names are the agent's business: a slash after the pool's goes into the name as it is.
  ['volume create tank/a/b --size 1M', 'createVolume', { pool: 'tank', name: 'a/b', sizeBytes: 2 ** 20, externalOrigin: '', activate: false }],
  ['volume snapshot tank/vm1 x/y', 'snapshotVolume', { pool: 'tank', source: 'vm1', name: 'x/y', activate: false }],
];

describe('thinfleet command lines → agent requests', () => {
  it.each(CASES)('%s', async (line, method, request) => {
    const agent = recordingAgent();
    const { io, stderr } = memoryIo();
    const code = await runCli(line.split(' '), io, { connect: agent.connect });
    expect(stderr()).toBe('');
    expect(code).toBe(0);
    expect(agent.calls).toEqual([{ method, request }]);
    expect(agent.closed).toBe(1);
  });

  it('maps a batch file read from standard input, op by op', async () => {
    const agent = recordingAgent();
    const { io } = memoryIo({ stdin: BATCH_FILE });
    expect(await runCli(['batch', '-'], io, { connect: agent.connect })).toBe(0);
    expect(agent.calls).toEqual([
      {
        method: 'batch',
        request: {
          pool: 'tank',
          ops: [
            { item: 'ops[0]', create: { name: 'a', sizeBytes: GiB, externalOrigin: '', activate: true } },
            { item: 'web-volume', create: { name: 'web', externalOrigin: '/dev/base', activate: false } },
            { item: 'ops[2]', snapshot: { source: 'a', name: 'a-s1', activate: false } },
            { item: 'ops[3]', delete: { name: 'old' } },
            { item: 'ops[4]', rename: { name: 'b', newName: 'c' } },
            { item: 'ops[5]', resize: { name: 'a', sizeBytes: 4096 } },
            { item: 'ops[6]', revert: { name: 'a', snapshot: 'a-s1' } },
            { item: 'ops[7]', revision: { name: 'a', keep: 5 } },
            { item: 'ops[8]', revision: { name: 'a', keep: 3 } },
            { item: 'ops[9]', pin: { name: 'a', pinned: false } },
          ],
        },
      },
    ]);
  });

  it('prints pool events one per line, or as JSON Lines, and stops after --count', async () => {
    const human = memoryIo();
    expect(await runCli(['pool', 'watch', 'tank'], human.io, { connect: recordingAgent().connect })).toBe(0);
    expect(human.stdout()).toBe(
      '2025-01-01T00:00:00.000Z tank data-threshold-crossed (now): pool tank: data use 90%\n' + '2025-01-01T00:00:05.000Z tank out-of-data-space: pool tank is out of data space\n',
    );
    const json = memoryIo();
    expect(await runCli(['--json', 'pool', 'watch', 'tank', '--count', '1'], json.io, { connect: recordingAgent().connect })).toBe(0);
    const lines = json.stdout().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ event: expect.objectContaining({ kind: 'data-threshold-crossed', current: true }) });
  });

  it("shows a full pool's mode with what writes do, its no-space mode and what it promises", async () => {
    const agent = recordingAgent({ getPool: { pool: { ...POOL, mode: 'out_of_data_space', noSpaceMode: 'error' } } });
    const { io, stdout } = memoryIo();
    expect(await runCli(['pool', 'show', 'tank'], io, { connect: agent.connect })).toBe(0);
    expect(stdout()).toMatch(/mode: +out_of_data_space: writes to new blocks fail until the pool is extended \(thinfleet pool extend\) or space is freed\n/);
    expect(stdout()).toMatch(/no-space mode: +error \(writes fail at once when the data space is full\)\n/);
    expect(stdout()).toMatch(/provisioned: +3\.0 GiB \(30(\.0)?% of data\)\n/);
  });

  it('refuses a bad --no-space-mode before sending anything', async () => {
    const agent = recordingAgent();
    const { io, stderr } = memoryIo();
    expect(await runCli(['pool', 'set', 'tank', '--no-space-mode', 'later'], io, { connect: agent.connect })).toBe(2);
    expect(stderr()).toContain('--no-space-mode');
    expect(agent.calls).toEqual([]);
  });

  it('watches the job of a chunked delete and ends with its final state', async () => {
    const agent = recordingAgent({ deleteVolume: { volume: null, jobId: 'j1' } }, [
      job('JOB_STATE_RUNNING', 0),
      job('JOB_STATE_RUNNING', 50 * 2 ** 20),
      job('JOB_STATE_SUCCEEDED', 100 * 2 ** 20),
    ]);
    const { io, stdout } = memoryIo();
    expect(await runCli(['--json', 'volume', 'delete', 'tank/vm1', '--chunked'], io, { connect: agent.connect })).toBe(0);
    expect(agent.calls.map((call) => call.method)).toEqual(['deleteVolume', 'watchJob']);
    expect(agent.calls[1]?.request).toBe('j1');
    const document = JSON.parse(stdout()) as { jobId: string; job: { state: string; doneBytes: number } };
    expect(document.jobId).toBe('j1');
    expect(document.job).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', doneBytes: 100 * 2 ** 20 });
  });

  it('follows the job of an import, resolves a relative FILE, and refuses a bad --format before sending anything', async () => {
    const agent = recordingAgent({}, [
      job('JOB_STATE_RUNNING', 0, { kind: 'import' }),
      job('JOB_STATE_FAILED', 10, { kind: 'import', error: 'qemu-img convert failed', errorCode: 'TOOL_FAILED' }),
    ]);
    const { io, stderr } = memoryIo();
    const code = await runCli(['volume', 'import', 'tank/vm1', 'd.vhdx'], io, { connect: agent.connect });
    expect(code).toBe(1);
    expect(agent.calls).toEqual([
      { method: 'importVolume', request: { pool: 'tank', name: 'vm1', path: `${process.cwd()}/d.vhdx`, format: 'IMAGE_FORMAT_VHDX' } },
      { method: 'watchJob', request: 'j1' },
    ]);
    expect(stderr()).toContain('failed: qemu-img convert failed (TOOL_FAILED)');
    const bad = memoryIo();
    const quiet = recordingAgent();
    expect(await runCli(['volume', 'export', 'tank/vm1', '/srv/x', '--format', 'iso'], bad.io, { connect: quiet.connect })).toBe(2);
    expect(bad.stderr()).toContain('--format');
    expect(quiet.calls).toEqual([]);
  });

  it('starts a flatten and waits for its job to the end, or with --no-wait prints it', async () => {
    const started = memoryIo();
    const plain = recordingAgent();
    expect(await runCli(['volume', 'flatten', 'tank/vm1', '--no-wait'], started.io, { connect: plain.connect })).toBe(0);
    expect(plain.calls.map((call) => call.method)).toEqual(['flattenVolume']);
    expect(started.stdout()).toContain('job f1');
    const agent = recordingAgent({}, [job('JOB_STATE_RUNNING', 0, { id: 'f1', kind: 'flatten' }), job('JOB_STATE_SUCCEEDED', 100, { id: 'f1', kind: 'flatten', phase: 'detach' })]);
    const { io, stdout, stderr } = memoryIo();
    const code = await runCli(['--json', 'volume', 'flatten', 'tank/vm1'], io, { connect: agent.connect });
    expect(code, stderr()).toBe(0);
    expect(agent.calls.map((call) => call.method)).toEqual(['flattenVolume', 'watchJob']);
    expect(agent.calls[1]?.request).toBe('f1');
    expect(JSON.parse(stdout())).toMatchObject({ job: { id: 'f1', state: 'JOB_STATE_SUCCEEDED', phase: 'detach' } });
    const failing = recordingAgent({}, [job('JOB_STATE_CANCELLED', 10, { id: 'f1', kind: 'flatten' })]);
    const third = memoryIo();
    expect(await runCli(['volume', 'flatten', 'tank/vm1'], third.io, { connect: failing.connect })).toBe(1);
    expect(third.stderr()).toContain('was cancelled');
  });

  it('does not wait for the job with --no-wait', async () => {
    const agent = recordingAgent({ deleteVolume: { volume: null, jobId: 'j1' } });
    const { io, stdout } = memoryIo();
    expect(await runCli(['volume', 'delete', 'tank/vm1', '--no-wait'], io, { connect: agent.connect })).toBe(0);
    expect(agent.calls.map((call) => call.method)).toEqual(['deleteVolume']);
    expect(stdout()).toContain('job j1');
  });

  it('follows a device snapshot merge unless --no-wait, and refuses a chunk size that is not a power of two before any call', async () => {
    const agent = recordingAgent({}, [job('JOB_STATE_RUNNING', 0), job('JOB_STATE_SUCCEEDED', 2 ** 20)]);
    const waited = memoryIo();
    const code = await runCli(['--json', 'device', 'snapshot', 'merge', 'tank/base'], waited.io, { connect: agent.connect });
    expect(waited.stderr()).toBe('');
    expect(code).toBe(0);
    expect(agent.calls.map((call) => call.method)).toEqual(['mergeDeviceSnapshot', 'watchJob']);
    expect(JSON.parse(waited.stdout())).toMatchObject({ job: { state: 'JOB_STATE_SUCCEEDED' } });
    const bad = memoryIo();
    expect(await runCli(['device', 'snapshot', 'create', 'tank/base', '--device', '/dev/loop3', '--chunk-size', '3000'], bad.io, { connect: agent.connect })).toBe(2);
    expect(bad.stderr()).toContain('--chunk-size');
    expect(agent.calls).toHaveLength(2);
  });

  it('exits 1 when the watched job failed, with the job error on stderr', async () => {
    const agent = recordingAgent({}, [job('JOB_STATE_RUNNING', 0), job('JOB_STATE_FAILED', 10, { error: 'discard failed', errorCode: 'INTERNAL' })]);
    const { io, stderr } = memoryIo();
    expect(await runCli(['job', 'watch', 'j1'], io, { connect: agent.connect })).toBe(1);
    expect(stderr()).toContain('job j1 (delete tank/vm1) failed: discard failed (INTERNAL)');
  });

  it('passes --agent, --timeout and the TLS files to the connection, and uses THINFLEET_AGENT by default', async () => {
    const agent = recordingAgent();
    const first = memoryIo({ env: { THINFLEET_AGENT: '/tmp/other.sock' } });
    await runCli(['pool', 'list', '--timeout', '2.5'], first.io, { connect: agent.connect });
    const second = memoryIo({ env: { THINFLEET_AGENT: '/tmp/other.sock' } });
    await runCli(['--agent', 'node-2:9745', '--tls-ca', 'ca.pem', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', 'pool', 'list'], second.io, { connect: agent.connect });
    const third = memoryIo();
    await runCli(['pool', 'list'], third.io, { connect: agent.connect });
    expect(agent.connects).toEqual([
      { target: '/tmp/other.sock', options: { deadlineMs: 2500 } },
      { target: 'node-2:9745', options: { tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' } } },
      { target: '/run/thinfleet/agent.sock', options: {} },
    ]);
    expect(agent.coordinatorConnects).toEqual([]);
  });

  it('covers every command in the table above', () => {
    // The cluster commands need a coordinator: cli-coordinator.test.ts maps them. volume write
    // and read move a file's content: cli-volume-data.test.ts drives them against a real agent.
    // `demo` sends no request of its own: demo.test.ts and test/demo.integration.test.ts cover it.
    const tested = new Set([...CASES.map(([line]) => line.split(' ').slice(0, 3).join(' ')), 'batch -', 'job watch', 'cluster status', 'volume find', 'volume write', 'volume read', 'demo']);
    const missing = COMMANDS.map((command) => command.words.join(' ')).filter((words) => ![...tested].some((line) => line.startsWith(words)));
    expect(missing).toEqual([]);
  });
});
