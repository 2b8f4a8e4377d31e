/**
 * Human renderings of the agent's pools, volumes and jobs and of the coordinator's cluster: the
 * tables of the list commands and the `key: value` views of the show commands. JSON output never
 * goes through here.
 */
import type { ClusterStatusResponse__Output, DiscoveredPool__Output, Job__Output, Pool__Output, VolumeLocation__Output, Volume__Output } from '@thinfleet/proto';
import { formatBytes, formatPercent, percentDone } from './sizes.js';
import { formatFields, formatTable, type Column } from './table.js';

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');
const orDash = (text: string): string => (text === '' ? '-' : text);

/** `pool list`: NAME ACTIVE MODE DATA USED% META USED% VOLUMES. */
export function poolTable(pools: readonly Pool__Output[]): string {
  return formatTable(
    [
      { header: 'NAME' },
      { header: 'ACTIVE' },
      { header: 'MODE' },
      { header: 'DATA', align: 'right' },
      { header: 'USED%', align: 'right' },
      { header: 'META', align: 'right' },
      { header: 'USED%', align: 'right' },
      { header: 'VOLUMES', align: 'right' },
    ],
    pools.map((pool) => [
      pool.name,
      yesNo(pool.active),
      pool.mode,
      formatBytes(pool.dataTotalBytes),
      formatPercent(pool.dataUsedBytes, pool.dataTotalBytes),
      formatBytes(pool.metadataTotalBytes),
      formatPercent(pool.metadataUsedBytes, pool.metadataTotalBytes),
      String(pool.volumes),
    ]),
  );
}

/** `pool show` and the pool commands that answer with a pool. */
export function poolView(pool: Pool__Output): string {
  const recovery = pool.lastRecovery;
  return formatFields([
    ['name', pool.name],
    ['uuid', pool.uuid],
    ['active', yesNo(pool.active)],
    [
      'mode',
      pool.mode === 'out_of_data_space'
        ? `out_of_data_space: writes to new blocks ${pool.noSpaceMode === 'error' ? 'fail' : 'wait'} until the pool is extended (thinfleet pool extend) or space is freed`
        : pool.mode,
    ],
    ['problem', pool.problem === '' ? null : pool.problem],
    ['needs check', pool.needsCheck ? 'yes: run thin_check before more changes' : null],
    ['devices', pool.devices.join(', ')],
    ['block size', formatBytes(pool.dataBlockBytes)],
    ['data', `${formatBytes(pool.dataUsedBytes)} of ${formatBytes(pool.dataTotalBytes)} used (${formatPercent(pool.dataUsedBytes, pool.dataTotalBytes)})`],
    ['metadata', `${formatBytes(pool.metadataUsedBytes)} of ${formatBytes(pool.metadataTotalBytes)} used (${formatPercent(pool.metadataUsedBytes, pool.metadataTotalBytes)})`],
    ['volumes', `${pool.volumes} (${pool.activeVolumes} active)`],
    ['provisioned', pool.active ? `${formatBytes(pool.provisionedBytes)} (${formatPercent(pool.provisionedBytes, pool.dataTotalBytes)} of data)` : null],
    [
      'no-space mode',
      pool.noSpaceMode === '' ? null : pool.noSpaceMode === 'error' ? 'error (writes fail at once when the data space is full)' : 'queue (writes wait for space when the data space is full)',
    ],
    ['max volume', pool.maxVolumeBytes > 0 ? formatBytes(pool.maxVolumeBytes) : null],
    ['transaction', pool.transactionId === '' ? null : pool.transactionId],
    ['last recovery', recovery === null ? null : recovery.transactionId === '' ? recovery.outcome : `${recovery.outcome} (transaction ${recovery.transactionId})`],
  ]);
}

/** `pool discover`: NAME UUID COMPLETE DEVICES, then each incomplete pool's problems. */
export function discoveredTable(pools: readonly DiscoveredPool__Output[]): string {
  const table = formatTable(
    [{ header: 'NAME' }, { header: 'UUID' }, { header: 'COMPLETE' }, { header: 'DEVICES' }],
    pools.map((pool) => [pool.name, pool.uuid, yesNo(pool.complete), pool.devices.map((device) => orDash(device)).join(',')]),
  );
  const problems = pools.flatMap((pool) => pool.problems.map((problem) => `${pool.name}: ${problem}\n`));
  return table + problems.join('');
}

/** The columns of `volume list`: POOL NAME SIZE ACTIVE ORIGIN, and MAPPED when usage was asked for. */
export function volumeTableColumns(usage: boolean): Column[] {
  const columns: Column[] = [{ header: 'POOL' }, { header: 'NAME' }, { header: 'SIZE', align: 'right' }, { header: 'ACTIVE' }, { header: 'ORIGIN' }];
  if (usage) columns.push({ header: 'MAPPED', align: 'right' });
  return columns;
}

/** One row of `volume list`. */
export function volumeTableRow(volume: Volume__Output, usage: boolean): string[] {
  const row = [volume.pool, volume.name, formatBytes(volume.sizeBytes), yesNo(volume.active), orDash(volume.origin || volume.externalOrigin)];
  if (usage) row.push(volume.mappedBytes === undefined ? '-' : formatBytes(volume.mappedBytes));
  return row;
}

/** `volume show` and the commands that answer with one volume. */
export function volumeView(volume: Volume__Output): string {
  const usage = (bytes: number | undefined): string | null => (bytes === undefined ? null : formatBytes(bytes));
  return formatFields([
    ['volume', `${volume.pool}/${volume.name}`],
    ['uuid', volume.uuid],
    ['thin id', String(volume.thinId)],
    ['size', `${formatBytes(volume.sizeBytes)} (${volume.sizeBytes} bytes)`],
    ['origin', volume.origin === '' ? null : volume.origin],
    ['external origin', volume.externalOrigin === '' ? null : volume.externalOrigin],
    ['revision of', volume.revisionOf === '' ? null : `${volume.revisionOf} (revision ${volume.revision})`],
    ['pinned', yesNo(volume.pinned)],
    ['active', volume.wasActive ? 'no (was active on a host that died: restart its users, then activate it)' : yesNo(volume.active)],
    ['device', volume.devicePath === '' ? null : volume.devicePath],
    ['mapped', usage(volume.mappedBytes)],
    ['exclusive', usage(volume.exclusiveBytes)],
    ['shared', usage(volume.sharedBytes)],
    ['created', volume.created],
    ['job', volume.jobId === '' ? null : volume.jobId],
  ]);
}

/** `revision list`: NAME REVISION SIZE PINNED CREATED. */
export function revisionTable(volumes: readonly Volume__Output[]): string {
  return formatTable(
    [{ header: 'NAME' }, { header: 'REVISION', align: 'right' }, { header: 'SIZE', align: 'right' }, { header: 'PINNED' }, { header: 'CREATED' }],
    volumes.map((volume) => [volume.name, String(volume.revision), formatBytes(volume.sizeBytes), yesNo(volume.pinned), volume.created]),
  );
}

/** A job state for people: `JOB_STATE_RUNNING` → `running`. */
export function jobStateName(state: string): string {
  return state.replace(/^JOB_STATE_/, '').toLowerCase();
}

/** A job's progress for people: `42% 1.2 GiB/2.9 GiB`. */
export function jobProgress(job: Job__Output): string {
  return `${percentDone(job.doneBytes, job.totalBytes)}% ${formatBytes(job.doneBytes)}/${formatBytes(job.totalBytes)}`;
}

/** `job list`: ID KIND POOL/VOLUME STATE PROGRESS. */
export function jobTable(jobs: readonly Job__Output[]): string {
  return formatTable(
    [{ header: 'ID' }, { header: 'KIND' }, { header: 'POOL/VOLUME' }, { header: 'STATE' }, { header: 'PROGRESS' }],
    jobs.map((job) => [job.id, job.kind, `${job.pool}/${job.volume}`, jobStateName(job.state), jobProgress(job)]),
  );
}

/** `job show` and `job cancel`. */
export function jobView(job: Job__Output): string {
  return formatFields([
    ['job', job.id],
    ['kind', job.kind],
    ['phase', job.phase === '' ? null : job.phase],
    ['volume', `${job.pool}/${job.volume}`],
    ['state', jobStateName(job.state)],
    ['progress', jobProgress(job)],
    ['error', job.error === '' ? null : job.errorCode === '' ? job.error : `${job.error} (${job.errorCode})`],
    ['created', job.created],
    ['updated', job.updated],
  ]);
}

const listOrDash = (items: readonly string[]): string => (items.length === 0 ? '-' : items.join(','));

/** A host's fencing for `cluster status`: `watchdog` (with its timeout once the agent knows it), else `NONE` in capitals: no backstop. */
const fencingOf = (host: { readonly fencing: string; readonly watchdogTimeoutSeconds: number }): string =>
  host.fencing === 'watchdog' ? (host.watchdogTimeoutSeconds > 0 ? `watchdog ${host.watchdogTimeoutSeconds}s` : 'watchdog') : 'NONE';

/**
 * `cluster status`: the coordinator and its etcd, then HOSTS (NODE ADDRESS VERSION FENCING POOLS) and
 * POOLS (NAME OWNER TOKEN READY WAITERS HOSTS USED/SIZE VOLUMES), each a table under a title.
 */
export function clusterView(status: ClusterStatusResponse__Output): string {
  const header = formatFields([
    ['coordinator', orDash(status.coordinator)],
    ['etcd', `${listOrDash(status.etcdEndpoints)}${status.embeddedEtcd ? ' (embedded)' : ''}`],
  ]);
  const hosts = formatTable(
    [{ header: 'NODE' }, { header: 'ADDRESS' }, { header: 'VERSION' }, { header: 'FENCING' }, { header: 'POOLS' }],
    status.hosts.map((host) => [host.nodeId, orDash(host.address), orDash(host.version), fencingOf(host), listOrDash(host.pools)]),
  );
  const pools = formatTable(
    [
      { header: 'NAME' },
      { header: 'OWNER' },
      { header: 'TOKEN', align: 'right' },
      { header: 'READY' },
      { header: 'WAITERS' },
      { header: 'HOSTS' },
      { header: 'USED/SIZE', align: 'right' },
      { header: 'VOLUMES', align: 'right' },
    ],
    status.pools.map((pool) => [
      pool.name,
      orDash(pool.owner),
      orDash(pool.token),
      yesNo(pool.ready),
      listOrDash(pool.waiters),
      listOrDash(pool.hosts),
      `${formatBytes(pool.dataUsedBytes)}/${formatBytes(pool.dataSizeBytes)}`,
      String(pool.volumeCount),
    ]),
  );
  return `${header}\nHosts (${status.hosts.length}):\n${hosts}\nPools (${status.pools.length}):\n${pools}`;
}

/** `volume find`: POOL NAME SIZE OWNER UUID. */
export function locationTable(locations: readonly VolumeLocation__Output[]): string {
  return formatTable(
    [{ header: 'POOL' }, { header: 'NAME' }, { header: 'SIZE', align: 'right' }, { header: 'OWNER' }, { header: 'UUID' }],
    locations.map((location) => [location.pool, location.name, formatBytes(location.sizeBytes), orDash(location.owner), orDash(location.uuid)]),
  );
}
