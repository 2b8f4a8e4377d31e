/**
 * `thinfleet --coordinator ADDR`: which commands go to the coordinator and which are refused, the
 * placement flags, `cluster status` and `volume find`, and a coordinator that is not there.
 * Requests are checked with the recording fakes; routing, output and failures against real
 * grpc-js servers written here (a canned agent on a unix socket, a canned coordinator on
 * 127.0.0.1 port 0). The real coordinator is tested end to end in services/coordinator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { loadAgentApi, loadCoordinatorApi, type ClusterServiceHandlers, type HealthHandlers, type Volume, type VolumeServiceHandlers } from '@thinfleet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';
import { CLUSTER_STATUS, recordingAgent } from './support/recording-agent.js';

const GiB = 2 ** 30;
const LOCAL = '127.0.0.1:9750';

describe('--coordinator: the same requests, to the coordinator', () => {
  const CASES: ReadonlyArray<readonly [string, string, unknown, unknown?]> = [
    ['volume create vm9 --size 1GiB', 'createVolume', { pool: '', name: 'vm9', sizeBytes: GiB, externalOrigin: '', activate: false }],
    ['volume create vm9 --size 1GiB --host node-2 --activate', 'createVolume', { pool: '', name: 'vm9', sizeBytes: GiB, externalOrigin: '', activate: true }, { placementHost: 'node-2' }],
    ['volume create tank/vm9 --size 1GiB', 'createVolume', { pool: 'tank', name: 'vm9', sizeBytes: GiB, externalOrigin: '', activate: false }],
    ['volume list', 'listVolumes', { pool: '', usage: false, pageSize: 100, pageToken: '' }],
    ['volume list tank --usage', 'listVolumes', { pool: 'tank', usage: true, pageSize: 10000, pageToken: '' }],
    ['volume show tank/vm1', 'getVolume', { pool: 'tank', name: 'vm1', usage: false }],
    ['volume delete tank/vm1 --now', 'deleteVolume', { pool: 'tank', name: 'vm1', mode: 'DELETE_MODE_NOW' }],
    ['revision create tank/vm1', 'createRevision', { pool: 'tank', name: 'vm1', keep: 3 }],
    ['pool list', 'listPools', {}],
    ['pool show tank', 'getPool', { name: 'tank' }],
    ['job list', 'listJobs', {}],
    ['health', 'health', ''],
  ];

  it.each(CASES.map(([line, method, request, options]) => [line, method, request, options] as const))('%s', async (line, method, request, options) => {
    const fake = recordingAgent();
    const { io, stderr } = memoryIo();
    expect(await runCli(['--coordinator', LOCAL, ...line.split(' ')], io, fake)).toBe(0);
    expect(stderr()).toBe('');
    expect(fake.connects).toEqual([]);
    expect(fake.coordinatorConnects).toEqual([{ service: 'agent', address: LOCAL, options: {} }]);
    expect(fake.calls).toEqual([options === undefined ? { method, request } : { method, request, options }]);
    expect(fake.closed).toBe(1);
  });

  it('sends batches through it', async () => {
    const fake = recordingAgent();
    const { io } = memoryIo({ stdin: JSON.stringify({ pool: 'tank', ops: [{ op: 'delete', name: 'a' }] }) });
    expect(await runCli(['--coordinator', LOCAL, 'batch', '-'], io, fake)).toBe(0);
    expect(fake.calls).toEqual([{ method: 'batch', request: { pool: 'tank', ops: [{ item: 'ops[0]', delete: { name: 'a' } }] } }]);
  });

  it('asks the cluster service for cluster status and volume find', async () => {
    const fake = recordingAgent();
    expect(await runCli(['--coordinator', LOCAL, 'cluster', 'status'], memoryIo().io, fake)).toBe(0);
    expect(await runCli(['--coordinator', LOCAL, 'volume', 'find', 'vm1'], memoryIo().io, fake)).toBe(0);
    expect(fake.calls).toEqual([
      { method: 'clusterStatus', request: undefined },
      { method: 'findVolume', request: 'vm1' },
    ]);
    expect(fake.coordinatorConnects.map((connect) => connect.service)).toEqual(['cluster', 'cluster']);
    expect(fake.closed).toBe(2);
  });

  it('chooses the coordinator from the flag or THINFLEET_COORDINATOR, and --agent over the variable', async () => {
    const fake = recordingAgent();
    const env = { THINFLEET_COORDINATOR: 'localhost:9751', THINFLEET_AGENT: '/tmp/agent.sock' };
    await runCli(['volume', 'list'], memoryIo({ env }).io, fake);
    await runCli(['--coordinator', '[::1]:9752', '--timeout', '3', 'volume', 'list'], memoryIo({ env }).io, fake);
    await runCli(['--agent', '/tmp/other.sock', 'volume', 'list'], memoryIo({ env }).io, fake);
    await runCli(['volume', 'list'], memoryIo({ env: { THINFLEET_COORDINATOR: '', THINFLEET_AGENT: '/tmp/agent.sock' } }).io, fake);
    const tls = ['--tls-ca', 'ca.pem', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'];
    await runCli(['--coordinator', 'coord-1.example:9750', ...tls, 'volume', 'list'], memoryIo().io, fake);
    await runCli(['--coordinator', '127.0.0.1', 'volume', 'list'], memoryIo().io, fake);
    expect(fake.coordinatorConnects).toEqual([
      { service: 'agent', address: 'localhost:9751', options: {} },
      { service: 'agent', address: '[::1]:9752', options: { deadlineMs: 3000 } },
      { service: 'agent', address: 'coord-1.example:9750', options: { tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' } } },
      { service: 'agent', address: '127.0.0.1', options: {} },
    ]);
    expect(fake.connects).toEqual([
      { target: '/tmp/other.sock', options: {} },
      { target: '/tmp/agent.sock', options: {} },
    ]);
  });
});

describe('usage errors with and without a coordinator: exit 2, nothing sent', () => {
  it.each<[string, readonly string[], Record<string, string>, RegExp, string]>([
    [
      'pool create',
      ['--coordinator', LOCAL, 'pool', 'create', 'tank', '--device', '/dev/sdb'],
      {},
      /thinfleet pool create changes the devices of one host.*--agent SOCKET\|ADDR \(field: --coordinator\)\n$/,
      '--coordinator',
    ],
    ['pool discover', ['--coordinator', LOCAL, 'pool', 'discover', '--device', '/dev/sdb'], {}, /thinfleet pool discover .*--agent/, '--coordinator'],
    ['pool activate', ['--coordinator', LOCAL, 'pool', 'activate', 'tank'], {}, /thinfleet pool activate .*--agent/, '--coordinator'],
    ['pool deactivate', ['--coordinator', LOCAL, 'pool', 'deactivate', 'tank'], {}, /thinfleet pool deactivate .*--agent/, '--coordinator'],
    ['pool join', ['--coordinator', LOCAL, 'pool', 'join', 'tank', '--device', '/dev/sdb'], {}, /thinfleet pool join .*--agent/, '--coordinator'],
    ['pool destroy', ['--coordinator', LOCAL, 'pool', 'destroy', 'tank', '--force'], {}, /thinfleet pool destroy .*--agent/, '--coordinator'],
    [
      'pool create, coordinator from the environment',
      ['pool', 'create', 'tank', '--device', '/dev/sdb'],
      { THINFLEET_COORDINATOR: LOCAL },
      /THINFLEET_COORDINATOR is set; --agent overrides it/,
      '--coordinator',
    ],
    ['cluster status without a coordinator', ['cluster', 'status'], {}, /thinfleet cluster status asks the cluster coordinator: give --coordinator ADDR/, '--coordinator'],
    ['volume find without a coordinator', ['volume', 'find', 'vm1'], { THINFLEET_AGENT: '/tmp/a.sock' }, /thinfleet volume find asks the cluster coordinator/, '--coordinator'],
    ['both --agent and --coordinator', ['--agent', '/tmp/a.sock', '--coordinator', LOCAL, 'volume', 'list'], {}, /--agent and --coordinator exclude each other/, '--coordinator'],
    ['a bare volume name without a coordinator', ['volume', 'create', 'vm9', '--size', '1G'], {}, /expected POOL\/NAME, got "vm9" \(a bare NAME needs --coordinator/, 'POOL/NAME'],
    ['--host without a coordinator', ['volume', 'create', 'tank/vm9', '--size', '1G', '--host', 'node-2'], {}, /--host: only with --coordinator/, '--host'],
    ['--host with a pool', ['--coordinator', LOCAL, 'volume', 'create', 'tank/vm9', '--size', '1G', '--host', 'node-2'], {}, /--host: .*takes a bare NAME, not tank\/vm9/, '--host'],
    ['an empty --host', ['--coordinator', LOCAL, 'volume', 'create', 'vm9', '--size', '1G', '--host', ''], {}, /--host: empty/, '--host'],
    [
      'a remote coordinator without TLS',
      ['--coordinator', '10.0.0.5:9750', 'volume', 'list'],
      {},
      /coordinator 10\.0\.0\.5:9750 is not a loopback address, so the connection needs mutual TLS/,
      '--tls-ca',
    ],
    [
      'part of the TLS files',
      ['--coordinator', LOCAL, '--tls-ca', 'ca.pem', '--tls-key', 'k.pem', 'volume', 'list'],
      {},
      /needs all of --tls-ca, --tls-cert and --tls-key; --tls-cert is missing/,
      '--tls-cert',
    ],
    ['a malformed address', ['--coordinator', 'http://coord:9750', 'volume', 'list'], {}, /--coordinator: coordinator address "http:\/\/coord:9750" is not host:port/, '--coordinator'],
    ['a malformed THINFLEET_COORDINATOR', ['volume', 'list'], { THINFLEET_COORDINATOR: 'coord:99999' }, /THINFLEET_COORDINATOR: .*out of range/, 'THINFLEET_COORDINATOR'],
  ])('%s', async (_title, argv, env, message, field) => {
    const fake = recordingAgent();
    const human = memoryIo({ env });
    expect(await runCli(argv, human.io, fake)).toBe(2);
    expect(human.stderr()).toMatch(/^thinfleet: /);
    expect(human.stderr()).toMatch(message);
    const json = memoryIo({ env });
    expect(await runCli(['--json', ...argv], json.io, fake)).toBe(2);
    expect(JSON.parse(json.stdout())).toMatchObject({ error: { status: null, code: 'USAGE', field } });
    expect(fake.connects).toEqual([]);
    expect(fake.coordinatorConnects).toEqual([]);
    expect(fake.calls).toEqual([]);
  });
});

// Real servers from here on.

const scratch = mkdtempSync(join(tmpdir(), 'tf-cli-coord-'));
const agentSocket = join(scratch, 'agent.sock');
const servers: Server[] = [];
let coordinatorAddress = '';
let absentAddress = '';
let lastCreate: { pool: string; hosts: string[] } | null = null;
/** GetVolume of pool `failover` answers HOST_UNREACHABLE this many more times. */
let unreachableAnswers = 0;
let getVolumeCalls = 0;

const volumeOf = (pool: string, name: string): Volume => ({ pool, name, uuid: `uuid-${name}`, sizeBytes: GiB, created: '2025-01-01T00:00:00Z' });

function volumeHandlers(volumes: readonly Volume[]): Partial<VolumeServiceHandlers> {
  return {
    ListVolumes(call, callback) {
      callback(null, { volumes: volumes.filter((volume) => call.request.pool === '' || volume.pool === call.request.pool) });
    },
    CreateVolume(call, callback) {
      lastCreate = { pool: call.request.pool, hosts: call.metadata.get('tf-host').map(String) };
      callback(null, { volume: volumeOf(call.request.pool === '' ? 'tank' : call.request.pool, call.request.name) });
    },
    GetVolume(call, callback) {
      if (call.request.pool === 'failover') {
        getVolumeCalls++;
        if (unreachableAnswers > 0) {
          unreachableAnswers--;
          const trailers = new Metadata();
          trailers.set('tf-error-code', 'HOST_UNREACHABLE');
          callback({ code: status.UNAVAILABLE, details: 'pool failover: its holder node-1 did not answer (the connection was refused, ECONNREFUSED)', metadata: trailers });
          return;
        }
        callback(null, { volume: volumeOf('failover', call.request.name) });
        return;
      }
      getVolumeCalls++;
      const trailers = new Metadata();
      trailers.set('tf-error-code', 'POOL_NOT_READY');
      const error: Partial<ServiceError> = { code: status.FAILED_PRECONDITION, details: `pool ${call.request.pool} has no ready owner`, metadata: trailers };
      callback(error);
    },
  };
}

const clusterHandlers: ClusterServiceHandlers = {
  ClusterStatus(_call, callback) {
    callback(null, CLUSTER_STATUS);
  },
  FindVolume(call, callback) {
    const found = call.request.name === 'vm1' || call.request.name === 'tank/vm1';
    callback(null, {
      locations: found
        ? [
            { pool: 'tank', name: 'vm1', uuid: 'uuid-vm1', sizeBytes: 10 * GiB, owner: 'node-1' },
            { pool: 'scratch', name: 'vm1', uuid: 'uuid-vm1b', sizeBytes: GiB, owner: '' },
          ]
        : [],
    });
  },
};

const healthHandlers: HealthHandlers = {
  Check(_call, callback) {
    callback(null, { status: 'SERVING' });
  },
  Watch(call) {
    call.end();
  },
};

async function serve(address: string, coordinator: boolean, volumes: readonly Volume[]): Promise<number> {
  const server = new Server();
  servers.push(server);
  const agentApi = loadAgentApi();
  server.addService(agentApi.VolumeService.service, volumeHandlers(volumes) as VolumeServiceHandlers);
  server.addService(agentApi.Health.service, healthHandlers);
  if (coordinator) server.addService(loadCoordinatorApi().ClusterService.service, clusterHandlers);
  return new Promise<number>((resolve, reject) => server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
}

beforeAll(async () => {
  await serve(`unix:${agentSocket}`, false, [volumeOf('local', 'here')]);
  coordinatorAddress = `127.0.0.1:${await serve('127.0.0.1:0', true, [volumeOf('tank', 'vm1'), volumeOf('scratch', 'tmp')])}`;
  // A port that was just free: bound, then released before any test runs.
  const released = new Server();
  const port = await new Promise<number>((resolve, reject) => released.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  await new Promise<void>((resolve) => released.tryShutdown(() => resolve()));
  absentAddress = `127.0.0.1:${port}`;
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.tryShutdown(() => resolve()))));
  rmSync(scratch, { recursive: true, force: true });
});

async function cli(argv: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = memoryIo({ env });
  const code = await runCli(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

const names = (stdout: string): string[] => (JSON.parse(stdout) as { volumes: Volume[] }).volumes.map((volume) => `${volume.pool}/${volume.name}`);

describe('against real servers', () => {
  it('lists every pool of the cluster through the coordinator, and the local pools through the agent', async () => {
    const env = { THINFLEET_AGENT: agentSocket, THINFLEET_COORDINATOR: coordinatorAddress };
    expect(names((await cli(['--json', 'volume', 'list'], env)).stdout)).toEqual(['tank/vm1', 'scratch/tmp']);
    expect(names((await cli(['--json', 'volume', 'list'], { THINFLEET_AGENT: agentSocket })).stdout)).toEqual(['local/here']);
    expect(names((await cli(['--json', '--agent', agentSocket, 'volume', 'list'], env)).stdout)).toEqual(['local/here']);
    expect(names((await cli(['--json', '--coordinator', coordinatorAddress, 'volume', 'list', 'scratch'], { THINFLEET_AGENT: agentSocket })).stdout)).toEqual(['scratch/tmp']);
  });

  it('leaves the pool to the coordinator and sends --host as tf-host', async () => {
    const placed = await cli(['--coordinator', coordinatorAddress, 'volume', 'create', 'vm9', '--size', '1GiB', '--host', 'node-2']);
    expect(placed).toEqual({ code: 0, stdout: 'created tank/vm9: 1.0 GiB\n', stderr: '' });
    expect(lastCreate).toEqual({ pool: '', hosts: ['node-2'] });
    await cli(['--coordinator', coordinatorAddress, 'volume', 'create', 'scratch/vm10', '--size', '1GiB']);
    expect(lastCreate).toEqual({ pool: 'scratch', hosts: [] });
  });

  it('prints the cluster status as tables, and the response with --json', async () => {
    const human = await cli(['--coordinator', coordinatorAddress, 'cluster', 'status']);
    expect(human.code).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toBe(
      [
        'coordinator:  coord-1',
        'etcd:         http://127.0.0.1:2379 (embedded)',
        '',
        'Hosts (2):',
        'NODE    ADDRESS        VERSION  FENCING      POOLS',
        'node-1  10.0.0.1:9745  0.1.0    watchdog 5s  tank,scratch',
        'node-2  10.0.0.2:9745  0.1.0    NONE         tank',
        '',
        'Pools (2):',
        'NAME     OWNER   TOKEN  READY  WAITERS  HOSTS                 USED/SIZE  VOLUMES',
        'scratch  -           -  no     -        node-1              0 B/1.0 GiB        0',
        'tank     node-1     12  yes    node-2   node-1,node-2  1.0 GiB/10.0 GiB        3',
        '',
      ].join('\n'),
    );
    const json = await cli(['--json', 'cluster', 'status'], { THINFLEET_COORDINATOR: coordinatorAddress });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(CLUSTER_STATUS);
  });

  it('finds a volume in every pool, and exits 1 when there is none', async () => {
    const found = await cli(['--coordinator', coordinatorAddress, 'volume', 'find', 'vm1']);
    expect(found).toEqual({
      code: 0,
      stdout: ['POOL     NAME      SIZE  OWNER   UUID', 'tank     vm1   10.0 GiB  node-1  uuid-vm1', 'scratch  vm1    1.0 GiB  -       uuid-vm1b', ''].join('\n'),
      stderr: '',
    });
    const none = await cli(['--coordinator', coordinatorAddress, 'volume', 'find', 'ghost']);
    expect(none).toEqual({ code: 1, stdout: '', stderr: 'thinfleet: no volume ghost in the cluster\n' });
    const noneJson = await cli(['--coordinator', coordinatorAddress, '--json', 'volume', 'find', 'ghost']);
    expect(noneJson.code).toBe(1);
    expect(JSON.parse(noneJson.stdout)).toEqual({ locations: [] });
  });

  it('reports what the coordinator refuses with exit 1 and its error code', async () => {
    const refused = await cli(['--coordinator', coordinatorAddress, '--json', 'volume', 'show', 'tank/vm1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('thinfleet: pool tank has no ready owner\n');
    expect(JSON.parse(refused.stdout)).toEqual({ error: { status: 'FAILED_PRECONDITION', code: 'POOL_NOT_READY', message: 'pool tank has no ready owner', field: null, item: null } });
  });

  it('a host the coordinator cannot reach is its answer: exit 1, its code, no grpc internals; --wait retries it, and only it', async () => {
    unreachableAnswers = 100;
    const down = await cli(['--coordinator', coordinatorAddress, '--json', 'volume', 'show', 'failover/vm1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe('thinfleet: pool failover: its holder node-1 did not answer (the connection was refused, ECONNREFUSED)\n');
    expect(JSON.parse(down.stdout)).toMatchObject({ error: { status: 'UNAVAILABLE', code: 'HOST_UNREACHABLE' } });

    unreachableAnswers = 2;
    getVolumeCalls = 0;
    const waited = await cli(['--coordinator', coordinatorAddress, '--wait', '5', 'volume', 'show', 'failover/vm1']);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain('failover/vm1');
    expect(getVolumeCalls).toBe(3);

    getVolumeCalls = 0;
    const refused = await cli(['--coordinator', coordinatorAddress, '--wait', '5', 'volume', 'show', 'tank/vm1']);
    expect(refused.code).toBe(1);
    expect(getVolumeCalls).toBe(1);

    expect(await cli(['--coordinator', coordinatorAddress, '--wait', 'soon', 'volume', 'show', 'tank/vm1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--wait') });
  });

  it('asks the coordinator for its health', async () => {
    expect(await cli(['--coordinator', coordinatorAddress, 'health'])).toEqual({ code: 0, stdout: 'SERVING\n', stderr: '' });
  });

  it('exits 3 naming the coordinator when nothing listens there', async () => {
    const expected = `thinfleet: cannot reach the coordinator at ${absentAddress}: the connection was refused (ECONNREFUSED). Is thinfleet-coordinator running? (--coordinator or THINFLEET_COORDINATOR choose another address)\n`;
    expect(await cli(['--coordinator', absentAddress, 'volume', 'list'])).toEqual({ code: 3, stdout: '', stderr: expected });
    expect(await cli(['cluster', 'status'], { THINFLEET_COORDINATOR: absentAddress })).toEqual({ code: 3, stdout: '', stderr: expected });
    const json = await cli(['--coordinator', absentAddress, '--json', 'volume', 'find', 'vm1']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { status: 'UNAVAILABLE', code: null, message: expected.slice('thinfleet: '.length, -1) } });
  });
});
