/**
 * `thinfleet demo`: a whole cluster on this machine to try in one command, as `cockroach demo`
 * gives CockroachDB's users. It starts the coordinator (with its embedded etcd) and three agents
 * as three hosts (simulated device-mapper, each with its own state directory and unix socket,
 * everything on 127.0.0.1), with two pools on backing files every host reaches; prints what to
 * try; and on SIGINT or SIGTERM stops the hosts, then the coordinator. Its state stays in the
 * demo directory, so the next start finds the same pools and volumes.
 *
 * Why always simulated: the three hosts share this machine's kernel. With the kernel's
 * device-mapper they would share one device namespace (`tf-<pool>-...`), and an agent starting in
 * cluster mode fences every pool whose devices it finds live in the kernel, which here would be
 * another demo host's. The simulated kernel keeps each host's devices in its own state directory.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CoordinatorClient } from '@thinfleet/client';
import type { CommandSpec } from '../command.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';
import { demoBanner, type DemoReady } from './demo-banner.js';
import { setUpPools, waitForPoolsServed, waitForSessions } from './demo-cluster.js';
import { choosePorts, DEMO_HOSTS, DEMO_LOCK, DEMO_POOLS, defaultDemoDir, demoLayout, makeDirectories, writeAgentConfig, writeCoordinatorConfig, type DemoLayout } from './demo-layout.js';
import { endLeftovers, forgetChildren, recordChildren } from './demo-leftovers.js';
import { findServiceBin, startProcess, stopProcesses, type DemoProcess } from './demo-processes.js';

/** The etcd the coordinator runs (Debian's etcd-server). */
const ETCD_BINARY = '/usr/bin/etcd';
/** The longest unix socket path Linux takes (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;
/** At stop, how long the hosts, then the coordinator, get before SIGKILL. */
const STOP_GRACE_MS = 15_000;

/** The file naming the demo running on a directory. */
const pidFileOf = (layout: DemoLayout): string => `${layout.dir}/demo.pid`;

/**
 * Refuses when another live demo runs on the directory (its `demo.pid` names a live process
 * running `demo`): two demos on one directory would share sockets and etcd data. A stale pid
 * file (its process gone, or the pid reused by another program) is ignored.
 * @throws UsageError naming the running demo's pid
 */
function refuseWhenRunning(layout: DemoLayout): void {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFileOf(layout), 'utf8').trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (Number.isSafeInteger(pid) && pid > 1 && pid !== process.pid && isDemo(pid)) {
    throw new UsageError(`a thinfleet demo (pid ${pid}) is already running on ${layout.dir}: stop it first, or give another --dir`, { field: '--dir' });
  }
}

/** Whether `pid` is alive and its command line runs `demo`. */
function isDemo(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('demo');
  } catch {
    return false;
  }
}

/**
 * A second signal within this long of the first counts as the same one: `npm run demo` forwards
 * the terminal's SIGINT to the demo, which also gets it from the terminal itself.
 */
const SAME_SIGNAL_MS = 1_000;

/** Calls `stop` on the first SIGINT or SIGTERM, `hurry` on a later one. Returns the cleanup. */
function onStopSignal(stop: () => void, hurry: () => void): () => void {
  let firstAt: number | null = null;
  const handler = (): void => {
    const now = performance.now();
    if (firstAt === null) {
      firstAt = now;
      stop();
    } else if (now - firstAt >= SAME_SIGNAL_MS) {
      hurry();
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** The demo command. */
export const DEMO_COMMAND: CommandSpec = {
  words: ['demo'],
  arguments: [],
  options: {
    dir: {
      type: 'string',
      placeholder: 'DIR',
      description: 'where the demo keeps its state, pool files and logs (default /var/lib/thinfleet-demo for root, else $XDG_STATE_HOME/thinfleet-demo)',
    },
  },
  summary: 'run a coordinator and three hosts on this machine to try thinfleet (simulated device-mapper); Ctrl-C stops it',
  details:
    'Starts the coordinator with its embedded etcd (127.0.0.1, ports 9850-9852 or free ones) and three agents, host-1 to host-3, ' +
    'each with its own unix socket and state directory and the simulated device-mapper, sharing the pools tank and scratch on files in DIR/shared. ' +
    'Prints the endpoints, the pids, commands to try and a failover to watch, then runs until SIGINT (Ctrl-C) or SIGTERM, ' +
    'which stop the hosts and then the coordinator; another signal a second or more later kills them at once. No process outlives the demo. ' +
    'A second start with the same --dir finds the same pools and volumes. Needs the built services (npm run build) and etcd (/usr/bin/etcd). ' +
    "With --json: one document with the directory, the coordinator address and pid, the etcd endpoint, each host's socket and pid, and the pools with their owners.",
  examples: ['demo', 'demo --dir /tmp/tf-demo', '--json demo --dir /tmp/tf-demo'],
  async run(context, args) {
    const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;
    const given = args.string('dir');
    if (given === '') throw new UsageError('--dir: must not be empty', { field: '--dir' });
    const layout = demoLayout(given ?? defaultDemoDir(context.io.env, isRoot));
    refuseWhenRunning(layout);
    const longest = DEMO_HOSTS.map((h) => layout.hostSocket(h)).reduce((a, b) => (b.length > a.length ? b : a));
    if (Buffer.byteLength(longest) > MAX_SOCKET_PATH_BYTES) {
      throw new UsageError(`--dir: too long for the hosts' unix sockets (${longest.slice(0, 60)}... is over ${MAX_SOCKET_PATH_BYTES} bytes); choose a shorter directory`, { field: '--dir' });
    }
    if (!existsSync(ETCD_BINARY)) throw new Error(`etcd is not installed at ${ETCD_BINARY}: apt-get install etcd-server`);
    const coordinatorBin = findServiceBin('@thinfleet/coordinator', 'thinfleet-coordinator');
    const agentBin = findServiceBin('@thinfleet/agent', 'thinfleet-agent');
    makeDirectories(layout);
    const pidFile = pidFileOf(layout);
    writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
    const leftovers = await endLeftovers(layout.dir);
    if (leftovers.length > 0) context.io.stderr(`thinfleet demo: ended processes an earlier demo on ${layout.dir} left running (pids ${leftovers.join(', ')})\n`);

    let stopRequested!: () => void;
    const stopping = new Promise<'signal'>((resolve) => (stopRequested = () => resolve('signal')));
    const hosts: DemoProcess[] = [];
    let coordinator: DemoProcess | null = null;
    const all = (): DemoProcess[] => [...hosts, ...(coordinator === null ? [] : [coordinator])];
    let stoppingNow = false;
    const removeHandlers = onStopSignal(
      () => {
        stoppingNow = true;
        context.io.stderr('thinfleet demo: stopping the hosts, then the coordinator (Ctrl-C again, a second later, kills them at once)\n');
        stopRequested();
      },
      () => {
        for (const p of all()) p.signal('SIGKILL');
      },
    );
    let exitCode: ExitCode = EXIT.OK;
    try {
      const ports = await choosePorts(layout);
      const address = `127.0.0.1:${ports.coordinator}`;
      writeCoordinatorConfig(layout, ports, ETCD_BINARY);
      coordinator = await startProcess('coordinator', coordinatorBin, ['--config', layout.coordinatorConfig], layout.logFile('coordinator'));
      recordChildren(layout.dir, [coordinator.pid]);
      for (const host of DEMO_HOSTS) {
        writeAgentConfig(layout, host, ports);
        hosts.push(await startProcess(host, agentBin, ['--config', layout.hostConfig(host)], layout.logFile(host)));
        recordChildren(
          layout.dir,
          all().map((p) => p.pid),
        );
      }
      const starting = (async (): Promise<'ready'> => {
        await waitForSessions(address, all());
        await setUpPools(layout, all());
        await waitForPoolsServed(address, all());
        return 'ready';
      })();
      starting.catch(() => undefined);
      if ((await Promise.race([starting, stopping])) === 'signal') return EXIT.OK;

      const ready = await describe(layout, address, ports.etcdClient, coordinator, hosts);
      // With --json, one line: scripts read it as the ready line.
      if (context.out.json) context.io.stdout(`${JSON.stringify(ready)}\n`);
      else context.io.stdout(demoBanner(ready));
      // Say when a host dies (the failover to watch) or the coordinator does (the end of the demo).
      for (const host of hosts) {
        void host.exited.then((how) => {
          if (!stoppingNow && coordinator?.exit() === null) {
            context.io.stderr(
              `thinfleet demo: ${host.name} (pid ${host.pid}) exited (${how}); once its lease runs out (${DEMO_LOCK.ttlSeconds} s) the pools it served can go to another host: see \`thinfleet cluster status\`\n`,
            );
          }
        });
      }
      const coordinatorGone = coordinator.exited.then((how) => how);
      const outcome = await Promise.race([stopping, coordinatorGone]);
      if (outcome !== 'signal') {
        context.io.stderr(`thinfleet demo: the coordinator (pid ${coordinator.pid}) exited (${outcome}); stopping the hosts. See ${coordinator.logFile}\n`);
        exitCode = EXIT.FAILED;
      }
      return exitCode;
    } finally {
      await stopProcesses(hosts, STOP_GRACE_MS);
      if (coordinator !== null) await stopProcesses([coordinator], STOP_GRACE_MS);
      removeHandlers();
      forgetChildren(layout.dir);
      rmSync(pidFile, { force: true });
    }
  },
};

/** The endpoints, pids and pool owners once the cluster is up. */
async function describe(layout: DemoLayout, address: string, etcdPort: number, coordinator: DemoProcess, hosts: readonly DemoProcess[]): Promise<DemoReady> {
  const client = await CoordinatorClient.connect(address, { deadlineMs: 5_000 });
  let owners = new Map<string, string>();
  try {
    const status = await client.clusterStatus();
    owners = new Map(status.pools.map((p) => [p.name, p.ready ? p.owner : '']));
  } finally {
    client.close();
  }
  return {
    dir: layout.dir,
    simulated: true,
    coordinator: { address, pid: coordinator.pid, logFile: coordinator.logFile },
    etcd: { endpoint: `http://127.0.0.1:${etcdPort}` },
    hosts: hosts.map((h) => ({ nodeId: h.name, socket: layout.hostSocket(h.name), stateDir: layout.hostDir(h.name), pid: h.pid, logFile: h.logFile })),
    pools: DEMO_POOLS.map((p) => ({ name: p.name, file: layout.poolFile(p), sizeBytes: p.sizeBytes, owner: owners.get(p.name) ?? '' })),
  };
}
