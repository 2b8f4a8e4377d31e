/**
 * The fake transport of the request-mapping tests: stands where AgentClient stands, records each
 * request a command builds, and answers with canned responses. Only for checking the requests;
 * everything that talks to an agent is tested against a real one.
 */
import type { AgentConnectOptions } from '@thinfleet/client';
import type { Job__Output, Pool__Output, Volume__Output } from '@thinfleet/proto';
import type { AgentConnection, ConnectAgent } from '../../src/index.js';

export interface RecordedCall {
  readonly method: string;
  readonly request: unknown;
}

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
    ...extra,
  };
}

const DEFAULT_RESPONSES: Record<string, unknown> = {
  createPool: { pool: POOL },
  listPools: { pools: [POOL] },
  getPool: { pool: POOL },
  discoverPools: { pools: [] },
  activatePool: { pool: POOL },
  deactivatePool: { pool: { ...POOL, active: false } },
  destroyPool: {},
  createVolume: { volume: volume('vm1') },
  snapshotVolume: { volume: volume('snap', { origin: 'vm1' }) },
  listVolumes: { volumes: [volume('vm1'), volume('vm1.rev2', { revisionOf: 'vm1', revision: 2 }), volume('vm1.rev1', { revisionOf: 'vm1', revision: 1 })] },
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
  cancelJob: { job: job('JOB_STATE_CANCELLED', 0) },
  health: 'SERVING',
};

export interface RecordingAgent {
  readonly connect: ConnectAgent;
  readonly calls: RecordedCall[];
  readonly connects: Array<{ target: string; options: AgentConnectOptions }>;
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
    closed: 0,
    connect: async (target, options) => {
      recorder.connects.push({ target, options });
      return agent;
    },
  };
  const answers = { ...DEFAULT_RESPONSES, ...responses };
  const agent = new Proxy({} as AgentConnection, {
    get(_target, method: string) {
      if (method === 'then') return undefined;
      if (method === 'close') return () => void (recorder.closed += 1);
      if (method === 'watchJob') {
        return (id: string) => {
          recorder.calls.push({ method, request: id });
          return (async function* () {
            yield* jobUpdates;
          })();
        };
      }
      return async (request: unknown) => {
        recorder.calls.push({ method, request });
        const answer = answers[method];
        if (answer instanceof Error) throw answer;
        if (answer === undefined) throw new Error(`no canned answer for ${method}`);
        return answer;
      };
    },
  });
  return recorder;
}
