/**
 * The host's half of the two-host tier: a real etcd (test/support/etcd-server.mjs), the built
 * coordinator on 127.0.0.1, and the TLS files agents and coordinator use for the agent API
 * (mutual TLS; the coordinator dials each agent at 127.0.0.1:<its hostfwd port>, so the agents'
 * server certificate is for IP 127.0.0.1). Coordinator log lines are kept parsed, each with the
 * host time it was read (`atMs`); pino's own `time` is on the same host clock.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEtcd } from '../../support/etcd-server.mjs';
import { repoRoot } from '../vm.mjs';

const COORDINATOR_BIN = join(repoRoot, 'services/coordinator/bin/thinfleet-coordinator.mjs');

/** Whether the built coordinator knows `lock.watchdogTimeoutSeconds` (issue 13's watchdog work). */
export function coordinatorKnowsWatchdog() {
  const file = join(repoRoot, 'services/coordinator/dist/coordinator-config.js');
  return existsSync(file) && readFileSync(file, 'utf8').includes('watchdogTimeoutSeconds');
}

/** Whether the built agent takes several coordinator endpoints (`cluster.coordinators`, issue 13's session work). */
export function agentKnowsCoordinators() {
  const file = join(repoRoot, 'services/agent/dist/agent-config.js');
  return existsSync(file) && readFileSync(file, 'utf8').includes('coordinators');
}

/** A CA, a server certificate for 127.0.0.1 (the agents) and a client certificate (the coordinator and the tier). */
export function makeCertificates(dir) {
  mkdirSync(dir, { recursive: true });
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...key, '-days', '2', '-subj', '/CN=two-host-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  for (const [name, san] of [
    ['agent', 'IP:127.0.0.1'],
    ['client', 'DNS:two-host-client'],
  ]) {
    openssl('req', ...key, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  }
  const files = (name) => ({ caFile: join(dir, 'ca.crt'), certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) });
  return { agent: files('agent'), client: files('client') };
}

/**
 * Starts a coordinator process on etcd `etcdEndpoint`; resolves once it serves.
 * @returns {Promise<{id: string, address: string, port: number, log: object[], child: import('node:child_process').ChildProcess, exited: Promise<void>, kill: (signal?: string) => void}>}
 */
export async function startCoordinator({ id, runDir, etcdEndpoint, lock, agentTls, onLine }) {
  const config = join(runDir, `coordinator-${id}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      listen: '127.0.0.1:0',
      metricsListen: null,
      stateDir: join(runDir, `coordinator-${id}`),
      coordinatorId: id,
      etcd: { endpoints: [etcdEndpoint], tls: null, prefix: 'thinfleet/' },
      lock,
      agentTls,
      logLevel: 'info',
    }),
  );
  const child = spawn(process.execPath, [COORDINATOR_BIN, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const logFile = join(runDir, `coordinator-${id}.log`);
  let partial = '';
  const onData = (chunk) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const line of lines) {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        entry = { msg: line };
      }
      entry.atMs = Date.now();
      log.push(entry);
      appendFileSync(logFile, `${line}\n`);
      onLine?.(entry);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  let serving;
  while ((serving = log.find((l) => l.msg === 'coordinator serving')) === undefined) {
    if (child.exitCode !== null) throw new Error(`coordinator ${id} exited ${child.exitCode} before serving:\n${log.map((l) => JSON.stringify(l)).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`coordinator ${id} did not serve within 30 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const address = serving.address;
  return { id, address, port: Number(address.slice(address.lastIndexOf(':') + 1)), log, child, exited, kill: (signal = 'SIGTERM') => child.kill(signal) };
}

/** etcd, the certificates and the first coordinator. `dispose()` stops what it started. */
export async function startHostCluster({ runDir, lock, onCoordinatorLine }) {
  if (!existsSync(join(repoRoot, 'services/coordinator/dist/index.js')) || !existsSync(join(repoRoot, 'services/agent/dist/index.js'))) {
    throw new Error('the coordinator and agent are not built: run `npm run build` first (npm test builds)');
  }
  const tls = makeCertificates(join(runDir, 'tls'));
  const etcd = await startEtcd();
  const coordinators = [];
  const start = async (id) => {
    const c = await startCoordinator({ id, runDir, etcdEndpoint: etcd.endpoint, lock, agentTls: tls.client, onLine: onCoordinatorLine });
    coordinators.push(c);
    return c;
  };
  const first = await start('coord-1');
  return {
    etcd,
    tls,
    coordinators,
    /** The coordinator serving now (the last one started). */
    get coordinator() {
      return coordinators.at(-1) ?? first;
    },
    startCoordinator: start,
    async dispose() {
      for (const c of coordinators) c.kill('SIGKILL');
      await Promise.all(coordinators.map((c) => c.exited));
      await etcd.dispose();
    },
  };
}
