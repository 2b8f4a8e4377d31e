/**
 * CoordinatorClient and AgentClient.connectCoordinator against real grpc-js servers on
 * 127.0.0.1 (port 0) with handlers written here: cluster status and find round trips, trailers as
 * typed error fields, the placement hint as request metadata, a coordinator that is not there,
 * plaintext only to loopback, and mutual TLS with certificates made by openssl for the run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { loadAgentApi, loadCoordinatorApi, type ClusterServiceHandlers, type ClusterStatusResponse, type VolumeServiceHandlers } from '@thinfleet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCallError, AgentClient, CoordinatorClient, isLoopbackHost, parseCoordinatorTarget } from '../src/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'tf-coord-client-'));
const pem = (name: string): string => join(scratch, name);

const STATUS: ClusterStatusResponse = {
  hosts: [{ nodeId: 'node-1', address: '10.0.0.1:9745', session: '1a2b', version: '0.1.0', coordinator: 'c1', pools: ['tank'], fencing: 'watchdog', watchdogTimeoutSeconds: 5 }],
  pools: [
    { name: 'tank', uuid: 'u-1', owner: 'node-1', token: '7', ready: true, waiters: ['node-2'], hosts: ['node-1', 'node-2'], dataSizeBytes: 2 ** 34, dataUsedBytes: 2 ** 30, volumeCount: 3 },
  ],
  etcdEndpoints: ['http://127.0.0.1:2379'],
  embeddedEtcd: true,
  coordinator: 'c1',
};

/** What the fake coordinator saw in the last CreateVolume: its pool and its `tf-host` values. */
let lastCreate: { pool: string; hosts: string[] } | null = null;

const clusterHandlers: ClusterServiceHandlers = {
  ClusterStatus(_call, callback) {
    callback(null, STATUS);
  },
  FindVolume(call, callback) {
    if (call.request.name === 'broken') {
      const trailers = new Metadata();
      trailers.set('tf-error-code', 'ETCD_UNAVAILABLE');
      trailers.set('tf-field', 'name');
      const error: Partial<ServiceError> = { code: status.FAILED_PRECONDITION, details: 'the cluster index is not readable', metadata: trailers };
      callback(error);
      return;
    }
    callback(null, { locations: call.request.name === 'vm1' ? [{ pool: 'tank', name: 'vm1', uuid: 'v-1', sizeBytes: 2 ** 30, owner: 'node-1' }] : [] });
  },
};

const volumeHandlers: Partial<VolumeServiceHandlers> = {
  CreateVolume(call, callback) {
    lastCreate = { pool: call.request.pool, hosts: call.metadata.get('tf-host').map(String) };
    callback(null, { volume: { pool: call.request.pool === '' ? 'placed' : call.request.pool, name: call.request.name, sizeBytes: 4096 } });
  },
};

async function serve(credentials: ServerCredentials): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(loadCoordinatorApi().ClusterService.service, clusterHandlers);
  server.addService(loadAgentApi().VolumeService.service, volumeHandlers as VolumeServiceHandlers);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))));
  return { server, port };
}

function openssl(args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { cwd: scratch, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`openssl ${args[0] ?? ''} failed (is openssl installed? apt-get install openssl): ${(err as Error).message}`, { cause: err });
  }
}

function authority(name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
}

function certificate(name: string, by: string, altNames: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  writeFileSync(pem(`${name}.ext`), `subjectAltName=${altNames}\n`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

let plain: { server: Server; port: number };
let secure: { server: Server; port: number };
let coordinator: CoordinatorClient;

beforeAll(async () => {
  authority('ca');
  certificate('coordinator', 'ca', 'DNS:localhost,IP:127.0.0.1');
  certificate('operator', 'ca', 'DNS:operator');
  plain = await serve(ServerCredentials.createInsecure());
  const serverTls = ServerCredentials.createSsl(readFileSync(pem('ca.crt')), [{ cert_chain: readFileSync(pem('coordinator.crt')), private_key: readFileSync(pem('coordinator.key')) }], true);
  secure = await serve(serverTls);
  coordinator = await CoordinatorClient.connect(`127.0.0.1:${plain.port}`);
});

afterAll(async () => {
  coordinator?.close();
  for (const { server } of [plain, secure]) if (server !== undefined) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

describe('CoordinatorClient', () => {
  it('reads the cluster status', async () => {
    const response = await coordinator.clusterStatus();
    expect(response).toEqual(STATUS);
    expect(coordinator.target).toEqual({ kind: 'coordinator', host: '127.0.0.1', port: plain.port, address: `127.0.0.1:${plain.port}`, loopback: true });
  });

  it('finds a volume by name, and answers an unknown one with no locations', async () => {
    expect((await coordinator.findVolume('vm1')).locations).toEqual([{ pool: 'tank', name: 'vm1', uuid: 'v-1', sizeBytes: 2 ** 30, owner: 'node-1' }]);
    expect((await coordinator.findVolume('nothing')).locations).toEqual([]);
  });

  it('fails with an AgentCallError carrying the trailers', async () => {
    const error = await coordinator.findVolume('broken').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ status: 'FAILED_PRECONDITION', errorCode: 'ETCD_UNAVAILABLE', field: 'name', message: 'the cluster index is not readable', isUnavailable: false });
  });

  it('reports a port nobody listens on as unavailable', async () => {
    const gone = await serve(ServerCredentials.createInsecure());
    await new Promise<void>((resolve) => gone.server.tryShutdown(() => resolve()));
    const absent = await CoordinatorClient.connect(`127.0.0.1:${gone.port}`);
    try {
      const error = await absent.clusterStatus().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(AgentCallError);
      expect(error).toMatchObject({ status: 'UNAVAILABLE', isUnavailable: true, errorCode: null });
    } finally {
      absent.close();
    }
  });

  it('talks plaintext only to loopback, and names a PEM file it cannot read', async () => {
    await expect(CoordinatorClient.connect('coord.example:9750')).rejects.toThrow(/not a loopback address, so the connection needs mutual TLS/);
    await expect(AgentClient.connectCoordinator('10.0.0.5:9750')).rejects.toThrow(/needs mutual TLS/);
    const missing = pem('absent.pem');
    await expect(CoordinatorClient.connect('coord.example:9750', { tls: { caFile: missing, certFile: missing, keyFile: missing } })).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(missing),
    });
  });

  it('speaks mutual TLS when given the files, to a remote-looking name too', async () => {
    const tls = { caFile: pem('ca.crt'), certFile: pem('operator.crt'), keyFile: pem('operator.key') };
    const client = await CoordinatorClient.connect(`localhost:${secure.port}`, { tls });
    try {
      expect((await client.clusterStatus()).coordinator).toBe('c1');
    } finally {
      client.close();
    }
    const agentApi = await AgentClient.connectCoordinator(`localhost:${secure.port}`, { tls });
    try {
      expect((await agentApi.createVolume({ pool: 'tank', name: 'a', sizeBytes: 4096 })).volume?.pool).toBe('tank');
    } finally {
      agentApi.close();
    }
  });
});

describe('AgentClient.connectCoordinator', () => {
  it('sends the agent API to the coordinator, with the placement hint as tf-host metadata', async () => {
    const client = await AgentClient.connectCoordinator(`127.0.0.1:${plain.port}`);
    try {
      expect(client.target).toMatchObject({ kind: 'coordinator', loopback: true });
      const placed = await client.createVolume({ pool: '', name: 'vm9', sizeBytes: 4096 }, { placementHost: 'node-2' });
      expect(placed.volume).toMatchObject({ pool: 'placed', name: 'vm9' });
      expect(lastCreate).toEqual({ pool: '', hosts: ['node-2'] });
      await client.createVolume({ pool: 'tank', name: 'vm10', sizeBytes: 4096 });
      expect(lastCreate).toEqual({ pool: 'tank', hosts: [] });
    } finally {
      client.close();
    }
  });
});

describe('coordinator addresses', () => {
  it('parses host:port, [v6]:port and a bare host with the default port', () => {
    expect(parseCoordinatorTarget('127.0.0.1:9750')).toEqual({ kind: 'coordinator', host: '127.0.0.1', port: 9750, address: '127.0.0.1:9750', loopback: true });
    expect(parseCoordinatorTarget('[::1]:9751')).toMatchObject({ host: '[::1]', port: 9751, address: '[::1]:9751', loopback: true });
    expect(parseCoordinatorTarget('coord.example')).toMatchObject({ host: 'coord.example', port: 9750, address: 'coord.example:9750', loopback: false });
    expect(() => parseCoordinatorTarget('')).toThrow(/empty/);
    expect(() => parseCoordinatorTarget('host:0')).toThrow(/out of range/);
    expect(() => parseCoordinatorTarget('/run/coord.sock')).toThrow(/is not host:port/);
    expect(() => parseCoordinatorTarget('http://coord:9750')).toThrow(/is not host:port/);
  });

  it('knows loopback addresses without resolving names', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['10.0.0.1', '128.0.0.1', '::2', '[fe80::1]', 'coord.example', 'localhost.example', '0.0.0.0']) expect(isLoopbackHost(host), host).toBe(false);
  });
});
