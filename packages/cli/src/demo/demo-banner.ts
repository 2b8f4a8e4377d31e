/**
 * What `thinfleet demo` prints once its cluster is up: the endpoints and pids, then commands to
 * try, a failover to watch, and how to stop. With --json the same facts as one document
 * (DemoReady) for scripts.
 */
import { formatBytes } from '../sizes.js';
import { formatTable } from '../table.js';
import { DEMO_LOCK } from './demo-layout.js';

/** The demo's endpoints and pids: the --json document, and what the text is made from. */
export interface DemoReady {
  /** The demo directory (state, shared pool files, logs). */
  readonly dir: string;
  /** Always true: the hosts run the simulated device-mapper (volumes live in files). */
  readonly simulated: boolean;
  readonly coordinator: { readonly address: string; readonly pid: number; readonly logFile: string };
  /** The coordinator's embedded etcd. */
  readonly etcd: { readonly endpoint: string };
  readonly hosts: ReadonlyArray<{ readonly nodeId: string; readonly socket: string; readonly stateDir: string; readonly pid: number; readonly logFile: string }>;
  /** The pools; `owner` is the host serving it when the demo became ready ("" for none). */
  readonly pools: ReadonlyArray<{ readonly name: string; readonly file: string; readonly sizeBytes: number; readonly owner: string }>;
}

/** The human text: endpoints, commands to try, the failover, how to stop. Ends with the ready line. */
export function demoBanner(ready: DemoReady): string {
  const bar = '='.repeat(78);
  const addr = ready.coordinator.address;
  const processes = formatTable(
    [{ header: 'PROCESS' }, { header: 'PID', align: 'right' }, { header: 'ENDPOINT' }],
    [['coordinator', String(ready.coordinator.pid), `${addr} (embedded etcd ${ready.etcd.endpoint})`], ...ready.hosts.map((h) => [h.nodeId, String(h.pid), h.socket])],
  );
  const pools = ready.pools.map((p) => `  ${p.name}: ${formatBytes(p.sizeBytes)} in ${p.file}, served by ${p.owner === '' ? 'nobody yet' : p.owner}`);
  const victim = ready.pools.find((p) => p.owner !== '');
  const victimHost = ready.hosts.find((h) => h.nodeId === victim?.owner);
  const failoverSeconds = DEMO_LOCK.ttlSeconds + DEMO_LOCK.lockDelayMs / 1000;
  const lines = [
    bar,
    `thinfleet demo: a coordinator with its embedded etcd and ${ready.hosts.length} hosts on this machine.`,
    'SIMULATED DEVICE-MAPPER: volumes live in files under the demo directory; nothing appears',
    'under /dev/mapper. Every host reaches every pool: the pool files are the shared storage.',
    '',
    processes.trimEnd(),
    '',
    'Pools:',
    ...pools,
    '',
    `State and logs: ${ready.dir} (logs/). A second \`thinfleet demo\` with the same --dir finds`,
    'the same pools and volumes again.',
    '',
    'Try, in another terminal:',
    `  export THINFLEET_COORDINATOR=${addr}`,
    '  thinfleet cluster status',
    '  thinfleet volume create tank/vm1 --size 10GiB',
    '  thinfleet volume snapshot tank/vm1 vm1-before-upgrade',
    '  thinfleet volume list',
    '  thinfleet volume create vm2 --size 1GiB --host host-3    # the coordinator picks a pool',
    `  thinfleet --agent ${ready.hosts[0]?.socket ?? 'SOCKET'} pool list    # one host's own view`,
    '',
  ];
  if (victim !== undefined && victimHost !== undefined) {
    lines.push(
      `A failover: ${victimHost.nodeId} serves ${victim.name}. Crash it:`,
      `  kill -9 ${victimHost.pid}`,
      '  watch -n1 thinfleet cluster status',
      `    ${victim.name}'s OWNER becomes - once the host's lease runs out (${DEMO_LOCK.ttlSeconds} s); after the lock`,
      `    delay (about ${failoverSeconds} s in all, plus up to 2 s) the coordinator hands it, on its own, to a live`,
      '    host that joined it (HOSTS); volumes that were active on the dead host are listed with wasActive.',
      `  thinfleet volume list ${victim.name}      # every volume is there, served by the new owner`,
      `  thinfleet volume create ${victim.name}/after-failover --size 1GiB`,
      `  tail -f ${ready.coordinator.logFile}`,
      `A killed host stays down until the next \`thinfleet demo\`.`,
      '',
    );
  }
  lines.push('Ctrl-C stops everything (the hosts first, then the coordinator and its etcd).', bar, 'thinfleet demo: ready');
  return `${lines.join('\n')}\n`;
}
