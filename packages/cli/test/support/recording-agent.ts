/**
 * The fake transport of the request-mapping tests: stands where AgentClient (and, for a
 * coordinator, AgentClient.connectCoordinator and CoordinatorClient) stand, records each request
 * a command builds, and answers with canned responses. Only for checking the requests;
 * everything that talks to a server is tested against a real one.
 */
import type { AgentConnectOptions, CoordinatorConnectOptions } from '@thinfleet/client';
import type { ClusterStatusResponse__Output, DeviceSnapshot__Output, Job__Output, PoolEvent__Output, Pool__Output, Volume__Output } from '@thinfleet/proto';
import type { AgentConnection, ClusterConnection, ConnectAgent, ConnectCluster, ConnectCoordinator } from '../../src/index.js';

export interface RecordedCall {
  readonly method: string;
  readonly request: unknown;
  /** The per-call options, only when the command passed some. */
  readonly options?: unknown;
}

export const CLUSTER_STATUS: ClusterStatusResponse__Output = {
  hosts: [
    {
      nodeId: 'node-1',
      address: '10.0.0.1:9745',
      session: '694d8a2b1f3c0e01',
      version: '0.1.0',
      coordinator: 'coord-1',
      pools: ['tank', 'scratch'],
      fencing: 'watchdog',
      watchdogTimeoutSeconds: 5,
    },
    { nodeId: 'node-2', address: '10.0.0.2:9745', session: '694d8a2b1f3c0e02', version: '0.1.0', coordinator: 'coord-1', pools: ['tank'], fencing: 'none', watchdogTimeoutSeconds: 0 },
  ],
  pools: [
    { name: 'scratch', uuid: 'u-2', owner: '', token: '', ready: false, waiters: [], hosts: ['node-1'], dataSizeBytes: 2 ** 30, dataUsedBytes: 0, volumeCount: 0 },
    {
      name: 'tank',
      uuid: 'u-1',
      owner: 'node-1',
      token: '12',
      ready: true,
      waiters: ['node-2'],
      hosts: ['node-1', 'node-2'],
      dataSizeBytes: 10 * 2 ** 30,
      dataUsedBytes: 2 ** 30,
      volumeCount: 3,
    },
  ],
  etcdEndpoints: ['http://127.0.0.1:2379'],
  embeddedEtcd: true,
  coordinator: 'coord-1',
};

export const DEVICE_SNAPSHOT: DeviceSnapshot__Output = {
  pool: 'tank',
  name: 'base',
  cowUuid: 'uuid-base',
  cowSizeBytes: 2 ** 30 + 3 * 4096,
  device: { path: '/dev/loop3', sizeBytes: 2 ** 30, label: 'loop-file:/images/base.img' },
  chunkSectors: 8,
  created: '2026-12-06T10:00:00.000Z',
  state: 'active',
  jobId: '',
  originDevicePath: '/dev/mapper/tf-tank-base-_dsorigin',
  snapshotDevicePath: '/dev/mapper/tf-tank-base-_dssnap',
  status: '16/2097176 16',
};

export const POOL: Pool__Output = {
  name: 'tank',
  uuid: '8d3f5a52-52c4-4b0e-9d59-0a4c2b8f1e11',
  active: true,
  devices: ['/dev/sdb'],
  transactionId: '7',
  mode: 'rw',
  needsCheck: false,
  dataBlockBytes: 65536,
  dataTotalBytes: 10 * 2 ** 30,
  dataUsedBytes: 2 ** 30,
  metadataTotalBytes: 64 * 2 ** 20,
  metadataUsedBytes: 16 * 2 ** 20,
  volumes: 2,
  activeVolumes: 1,
  maxVolumeBytes: 2 ** 40,
  lastRecovery: { outcome: 'clean', transactionId: '', kernelTransactionId: '7' },
  noSpaceMode: 'queue',
  provisionedBytes: 3 * 2 ** 30,
  problem: '',
};

export function volume(name: string, extra: Partial<Volume__Output> = {}): Volume__Output {
  return {
    pool: 'tank',
    name,
    uuid: `uuid-${name}`,
    thinId: 1,
    sizeBytes: 10 * 2 ** 30,
    origin: '',
    externalOrigin: '',
    created: '2025-01-01T00:00:00Z',
    revisionOf: '',
    revision: 0,
    pinned: false,
    active: false,
    devicePath: '',
    jobId: '',
    deviceSimulated: false,
    wasActive: false,
    ...extra,
  };
}

export function job(state: Job__Output['state'], doneBytes: number, extra: Partial<Job__Output> = {}): Job__Output {
  return {
    id: 'j1',
    kind: 'delete',
    pool: 'tank',
    volume: 'vm1',
    state,
    doneBytes,
    totalBytes: 100 * 2 ** 20,
    created: '2025-01-01T00:00:00Z',
    updated: '2025-01-01T00:00:01Z',
    error: '',
    errorCode: '',
    phase: '',
    ...extra,
  };
}

/** What watchPoolEvents yields. */
export const POOL_EVENTS: readonly PoolEvent__Output[] = [
  {
    pool: 'tank',
    kind: 'data-threshold-crossed',
    usedBytes: 9 * 2 ** 30,
    totalBytes: 10 * 2 ** 30,
    thresholdPercent: 80,
    time: '2025-01-01T00:00:00.000Z',
    message: 'pool tank: data use 90%',
    current: true,
  },
  {
    pool: 'tank',
    kind: 'out-of-data-space',
    usedBytes: 10 * 2 ** 30,
    totalBytes: 10 * 2 ** 30,
    thresholdPercent: 0,
    time: '2025-01-01T00:00:05.000Z',
    message: 'pool tank is out of data space',
    current: false,
  },
];

const DEFAULT_RESPONSES: Record<string, unknown> = {
  createPool: { pool: POOL, overwritten: [] },
  forgetPool: { releasedFiles: [] },
  listPools: { pools: [POOL] },
  getPool: { pool: POOL },
  discoverPools: { pools: [] },
  activatePool: { pool: POOL },
  joinPool: { pool: { ...POOL, active: false } },
  deactivatePool: { pool: { ...POOL, active: false } },
  destroyPool: {},
  createVolume: { volume: volume('vm1') },
  snapshotVolume: { volume: volume('snap', { origin: 'vm1' }) },
  listVolumes: { volumes: [volume('vm1'), volume('vm1.rev2', { revisionOf: 'vm1', revision: 2 }), volume('vm1.rev1', { revisionOf: 'vm1', revision: 1 })], inactivePools: [] },
  getVolume: { volume: volume('vm1') },
  renameVolume: { volume: volume('vm2') },
  resizeVolume: { volume: volume('vm1') },
  activateVolume: { volume: volume('vm1', { active: true, devicePath: '/dev/mapper/tf-tank-vm1' }) },
  deactivateVolume: { volume: volume('vm1') },
  deleteVolume: { volume: volume('vm1'), jobId: '' },
  revertVolume: { volume: volume('vm1') },
  createRevision: { volume: volume('vm1.rev3', { revisionOf: 'vm1', revision: 3 }) },
  pinVolume: { volume: volume('vm1', { pinned: true }) },
  batch: { transactionId: '8', results: [], deferredErrors: [] },
  listJobs: { jobs: [] },
  getJob: { job: job('JOB_STATE_RUNNING', 0) },
  flattenVolume: { job: job('JOB_STATE_RUNNING', 0, { id: 'f1', kind: 'flatten', phase: 'copy' }) },
  moveVolume: { job: job('JOB_STATE_RUNNING', 0, { id: 'm1', kind: 'move', phase: 'prepare' }) },
  cancelJob: { job: job('JOB_STATE_CANCELLED', 0) },
  createDeviceSnapshot: { snapshot: DEVICE_SNAPSHOT },
  listDeviceSnapshots: { snapshots: [DEVICE_SNAPSHOT] },
  deleteDeviceSnapshot: { originKept: false },
  mergeDeviceSnapshot: { job: job('JOB_STATE_RUNNING', 0) },
  importVolume: { job: job('JOB_STATE_RUNNING', 0, { id: 'j1', kind: 'import' }) },
  exportVolume: { job: job('JOB_STATE_RUNNING', 0, { id: 'j1', kind: 'export' }) },
  copyVolume: { job: job('JOB_STATE_RUNNING', 0, { id: 'j1', kind: 'copy' }) },
  diffVolumes: { ranges: [], blockBytes: 65536, sizeBytes: 2 ** 20, nextFromBytes: 0 },
  health: 'SERVING',
  clusterStatus: CLUSTER_STATUS,
  extendPool: { pool: POOL, addedBytes: 2 ** 30 },
  setPool: { pool: { ...POOL, noSpaceMode: 'error' } },
  findVolume: { locations: [{ pool: 'tank', name: 'vm1', uuid: 'uuid-vm1', sizeBytes: 10 * 2 ** 30, owner: 'node-1' }] },
};

export interface RecordingAgent {
  /** For runCli's `connect`. */
  readonly connect: ConnectAgent;
  /** For runCli's `connectCoordinator`. */
  readonly connectCoordinator: ConnectCoordinator;
  /** For runCli's `connectCluster`. */
  readonly connectCluster: ConnectCluster;
  /** Every call, agent API and cluster service alike, in order. */
  readonly calls: RecordedCall[];
  /** Connections to an agent. */
  readonly connects: Array<{ target: string; options: AgentConnectOptions }>;
  /** Connections to a coordinator: its agent API (`agent`) or its cluster service (`cluster`). */
  readonly coordinatorConnects: Array<{ service: 'agent' | 'cluster'; address: string; options: CoordinatorConnectOptions }>;
  /** Connections closed, of every kind. */
  closed: number;
}

/**
 * A recording agent. `responses` overrides the canned answer per method; `jobUpdates` is what
 * watchJob yields.
 */
export function recordingAgent(responses: Record<string, unknown> = {}, jobUpdates: readonly Job__Output[] = []): RecordingAgent {
  const recorder: RecordingAgent = {
    calls: [],
    connects: [],
    coordinatorConnects: [],
    closed: 0,
    connect: async (target, options) => {
      recorder.connects.push({ target, options });
      return agent;
    },
    connectCoordinator: async (address, options) => {
      recorder.coordinatorConnects.push({ service: 'agent', address, options });
      return agent;
    },
    connectCluster: async (address, options) => {
      recorder.coordinatorConnects.push({ service: 'cluster', address, options });
      return agent as unknown as ClusterConnection;
    },
  };
  const answers = { ...DEFAULT_RESPONSES, ...responses };
  const agent = new Proxy({} as AgentConnection, {
    get(_target, method: string) {
      if (method === 'then') return undefined;
      if (method === 'close') return () => void (recorder.closed += 1);
      if (method === 'watchPoolEvents') {
        return (name: string) => {
          recorder.calls.push({ method, request: name });
          return (async function* () {
            yield* POOL_EVENTS;
          })();
        };
      }
      if (method === 'watchJob') {
        return (id: string) => {
          recorder.calls.push({ method, request: id });
          return (async function* () {
            yield* jobUpdates;
          })();
        };
      }
      return async (request: unknown, options?: unknown) => {
        recorder.calls.push(options === undefined ? { method, request } : { method, request, options });
        const answer = answers[method];
        if (answer instanceof Error) throw answer;
        if (answer === undefined) throw new Error(`no canned answer for ${method}`);
        return answer;
      };
    },
  });
  return recorder;
}
