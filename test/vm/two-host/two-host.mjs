/**
 * The two-host harness: the host cluster (host-cluster.mjs), the control server, and guests
 * booted on demand, each running its own agent in cluster mode (dm native, state on the guest's
 * tmpfs, TCP with mutual TLS on 9747, reached by the coordinator at 127.0.0.1:<hostfwd port>).
 * Scenarios use `host(name)` handles, `via` (the agent API through the coordinator) and the
 * coordinator's log.
 */
import { appendFileSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AgentClient } from '@thinfleet/client';
import { startControlServer } from './control-server.mjs';
import { bootGuest, GUEST_AGENT_PORT, GUEST_COORDINATORS } from './guest-vm.mjs';
import { agentKnowsCoordinators, coordinatorKnowsWatchdog, startHostCluster } from './host-cluster.mjs';
import { startLoopbackProxy } from './loopback-proxy.mjs';

const MiB = 1024 * 1024;

/** Polls `fn` until it returns something other than null/undefined/false; throws after `timeoutMs`. */
export async function waitFor(what, fn, timeoutMs = 60_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * @param {object} opts
 * @param {string} opts.runDir   a directory in the work tree (guests read the TLS files there)
 * @param {number} opts.imageCount  shared images (/dev/vda, /dev/vdb, ...), each `imageMiB`
 * @param {{ttlSeconds: number, marginMs: number, lockDelayMs: number, watchdogTimeoutSeconds: number}} opts.lock
 * @param {boolean} [opts.verbose]  echo guest consoles and agent logs
 */
export async function startTwoHost({ runDir, imageCount = 2, imageMiB = 1024, lock, verbose = false }) {
  mkdirSync(runDir, { recursive: true });
  const images = [];
  for (let i = 0; i < imageCount; i++) {
    const image = join(runDir, `shared-${i}.img`);
    writeFileSync(image, '');
    truncateSync(image, imageMiB * MiB);
    images.push(image);
  }
  const watchdog = coordinatorKnowsWatchdog();
  const coordinatorLock = watchdog ? lock : { ttlSeconds: lock.ttlSeconds, marginMs: lock.marginMs, lockDelayMs: lock.lockDelayMs };
  const cluster = await startHostCluster({ runDir, lock: coordinatorLock });
  const control = await startControlServer();
  const multiEndpoint = agentKnowsCoordinators();
  const hosts = new Map();
  const echo = (text) => verbose && process.stdout.write(text);

  const harness = {
    runDir,
    images,
    cluster,
    control,
    /** The agent API through the coordinator serving now (a scenario that replaces it replaces this). */
    via: await AgentClient.connectCoordinator(cluster.coordinator.address, { deadlineMs: 60_000 }),
    hosts,
    lock,
    /** Whether the built code arms watchdogs (issue 13's agent and coordinator work is in). */
    watchdog,
    /** Whether the built agent takes several coordinator endpoints (`cluster.coordinators`). */
    multiEndpoint,
    /** Every `lock granted` of `pool` in the coordinators' logs (each with `node`, `time`, `dirty`). */
    grants: (pool) =>
      cluster.coordinators
        .flatMap((c) => c.log)
        .filter((l) => l.msg === 'lock granted' && l.pool === pool)
        .sort((x, y) => x.time - y.time),
    /** Every `pool ready` of `pool` (the new holder serves it) in the coordinators' logs. */
    readies: (pool) =>
      cluster.coordinators
        .flatMap((c) => c.log)
        .filter((l) => l.msg === 'pool ready' && l.pool === pool)
        .sort((x, y) => x.time - y.time),

    /**
     * Boots guest `name` and starts its agent as cluster node `nodeId`; resolves once the agent
     * has its coordinator session.
     */
    async bootHost(name, nodeId) {
      const agentPort = await freePort();
      // One relay per coordinator endpoint: the first to the coordinator serving now, the
      // second to none until a second coordinator is started (connections to it are closed).
      const relays = [await startLoopbackProxy({ upstreamPort: cluster.coordinator.port }), await startLoopbackProxy()];
      const vm = await bootGuest({
        name,
        images,
        runDir,
        coordinatorPorts: relays.map((r) => r.port),
        controlPort: control.port,
        agentPort,
        onOutput: (text) => {
          appendFileSync(join(runDir, `console-${name}.log`), text);
          echo(text.replace(/^/gm, `[vm ${name}] `));
        },
      });
      const channel = await control.guest(name);
      const config = {
        socket: '/tmp/tf/agent.sock',
        stateDir: '/tmp/tf/state',
        dm: 'native',
        metricsListen: null,
        logLevel: 'info',
        deleteChunkBytes: MiB,
        tcp: { listen: `0.0.0.0:${GUEST_AGENT_PORT}`, ...cluster.tls.agent },
        cluster: { ...(multiEndpoint ? { coordinators: GUEST_COORDINATORS } : { coordinator: GUEST_COORDINATORS[0] }), nodeId, advertise: `127.0.0.1:${agentPort}`, tls: null },
        ...(watchdog ? { fencing: 'watchdog', watchdogDevice: '/dev/watchdog' } : {}),
      };
      const agentLog = [];
      channel.onEvent((e) => {
        if (e.event === 'agent-log') {
          let entry;
          try {
            entry = JSON.parse(e.line);
          } catch {
            entry = { msg: e.line };
          }
          entry.atMs = e.atMs;
          agentLog.push(entry);
          appendFileSync(join(runDir, `agent-${nodeId}.log`), `${e.line}\n`);
          echo(`[agent ${nodeId}] ${e.line}\n`);
        } else if (e.event !== 'ack') echo(`[${name}] ${JSON.stringify(e)}\n`);
      });
      if (watchdog) {
        // The device must already be set to the cluster's timeout (or less): the agent reports
        // it in its Hello before it first arms, and the coordinator refuses a longer one.
        const { timeoutSeconds } = await channel.call('setWatchdogTimeout', { device: '/dev/watchdog', seconds: lock.watchdogTimeoutSeconds });
        if (timeoutSeconds !== lock.watchdogTimeoutSeconds) throw new Error(`${name}: /dev/watchdog reports ${timeoutSeconds} s after wdctl -s ${lock.watchdogTimeoutSeconds}`);
      }
      const startedAt = Date.now();
      await channel.call('startAgent', { config });
      await waitFor(`agent ${nodeId} to join the cluster`, () => agentLog.some((l) => l.msg === 'coordinator session established'), 120_000);
      const client = await AgentClient.connect(`127.0.0.1:${agentPort}`, { tls: cluster.tls.client, deadlineMs: 120_000 });
      const host = { name, nodeId, vm, channel, agentLog, client, agentPort, relays, agentStartMs: Date.now() - startedAt };
      hosts.set(name, host);
      return host;
    },

    /** Ends a guest: `bye` if it still answers, then qemu is stopped if it has not ended within 20 s; resolves qemu's result. */
    async stopHost(name) {
      const host = hosts.get(name);
      if (host === undefined) return undefined;
      host.client.close();
      if (!host.channel.closed) await host.channel.call('bye', {}, 10_000).catch(() => {});
      const timer = setTimeout(() => host.vm.kill(), 20_000);
      const result = await host.vm.done;
      clearTimeout(timer);
      for (const relay of host.relays) relay.close();
      hosts.delete(name);
      return result;
    },

    async dispose() {
      harness.via.close();
      await Promise.all([...hosts.keys()].map((n) => harness.stopHost(n)));
      control.close();
      await cluster.dispose();
    },
  };
  return harness;
}
