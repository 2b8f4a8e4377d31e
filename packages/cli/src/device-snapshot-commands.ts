/**
 * `thinfleet device snapshot ...`: create, list, delete and merge device snapshots (a classic
 * snapshot of a block device the pool does not own, its exception store a volume of the pool).
 * They go to an agent: the device is one host's.
 */
import type { DeviceSnapshot__Output } from '@thinfleet/proto';
import { agentCallCommand } from './agent-call-command.js';
import { parseVolumeRef } from './argument-values.js';
import { present, type CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { jobFailure, waitForJob } from './job-wait.js';
import { formatBytes } from './sizes.js';
import { formatTable } from './table.js';
import { fieldError, UsageError } from './usage-error.js';

const WRITE_HINT = 'write the device through this path: writes to the device itself bypass the snapshot';

/** `device snapshot list`: NAME DEVICE STATE STORE ORIGIN DEVICE. */
export function deviceSnapshotTable(snapshots: readonly DeviceSnapshot__Output[]): string {
  return formatTable(
    [{ header: 'NAME' }, { header: 'DEVICE' }, { header: 'SIZE', align: 'right' }, { header: 'STATE' }, { header: 'STORE', align: 'right' }, { header: 'WRITE THROUGH' }],
    snapshots.map((s) => [s.name, s.device?.path ?? '', formatBytes(s.device?.sizeBytes ?? 0), s.state, formatBytes(s.cowSizeBytes), s.originDevicePath || '-']),
  );
}

/** The chunk size flag in 512-byte sectors (0: the agent's default). */
function chunkSectors(bytes: number | undefined): number {
  if (bytes === undefined) return 0;
  if (bytes % 512 !== 0 || bytes < 4096 || (bytes & (bytes - 1)) !== 0) throw fieldError('--chunk-size', 'must be a power of two from 4KiB');
  return bytes / 512;
}

/** The device snapshot commands, in help order. */
export const DEVICE_SNAPSHOT_COMMANDS: readonly CommandSpec[] = [
  agentCallCommand({
    words: ['device', 'snapshot', 'create'],
    arguments: ['POOL/NAME'],
    options: {
      device: { type: 'string', required: true, placeholder: 'PATH', description: 'the block device to protect (absolute path)' },
      size: { type: 'string', placeholder: 'SIZE', description: "the exception store's size (default: the device's size plus overhead: it cannot overflow)" },
      'chunk-size': { type: 'string', placeholder: 'SIZE', description: 'exception chunk size, a power of two from 4KiB (default 4KiB)' },
    },
    via: 'agent',
    summary: 'protect a block device the pool does not own with a snapshot whose exception store is a volume of the pool',
    details:
      'Prints the origin device to write the device through from now on: writes to the device path itself bypass the exception store and would show in the snapshot. ' +
      "The pool's catalog records the device's size and label (wwid, serial, dm uuid or loop file); a host whose path names another device refuses to act (DEVICE_MISMATCH).",
    examples: ['device snapshot create tank/lun7-before --device /dev/disk/by-id/wwn-0x5000c500a1b2c3d4', 'device snapshot create tank/base --device /dev/loop3 --chunk-size 64KiB'],
    request(args) {
      const device = args.string('device');
      if (device === undefined || device === '') throw fieldError('--device', 'required');
      return { ...parseVolumeRef(args.positionals[0] ?? ''), device, sizeBytes: args.size('size') ?? 0, chunkSectors: chunkSectors(args.size('chunk-size')) };
    },
    call: (agent, request) => agent.createDeviceSnapshot(request),
    human(response) {
      const s = present(response.snapshot, 'snapshot');
      return `created device snapshot ${s.pool}/${s.name} of ${s.device?.path ?? ''}\n  origin (${WRITE_HINT}): ${s.originDevicePath}\n  snapshot: ${s.snapshotDevicePath}`;
    },
  }),
  agentCallCommand({
    words: ['device', 'snapshot', 'list'],
    arguments: ['POOL'],
    via: 'agent',
    summary: "list an active pool's device snapshots",
    examples: ['device snapshot list tank', '--json device snapshot list tank'],
    request(args) {
      const pool = args.positionals[0] ?? '';
      if (pool === '') throw new UsageError('POOL is required');
      return { pool };
    },
    call: (agent, request) => agent.listDeviceSnapshots(request),
    human: (response) => deviceSnapshotTable(response.snapshots),
  }),
  agentCallCommand({
    words: ['device', 'snapshot', 'delete'],
    arguments: ['POOL/NAME'],
    via: 'agent',
    summary: 'drop a device snapshot: the device keeps its current content, the exception store volume is deleted',
    details: 'Refused while a merge runs on it, or while its snapshot device is open. An open origin device stays, a plain mapping of the device.',
    examples: ['device snapshot delete tank/lun7-before'],
    request: (args) => parseVolumeRef(args.positionals[0] ?? ''),
    call: (agent, request) => agent.deleteDeviceSnapshot(request),
    human: (response, request) =>
      `deleted device snapshot ${request.pool}/${request.name}${response.originKept ? ' (its origin device is open: it stays, a plain mapping of the device)' : ''}`,
  }),
  {
    words: ['device', 'snapshot', 'merge'],
    arguments: ['POOL/NAME'],
    options: { 'no-wait': { type: 'boolean', description: 'do not wait for the merge; print its job id' } },
    via: 'agent',
    summary: 'roll the device back to the snapshot (a background merge job; the device stays usable through its origin device)',
    details:
      'The origin device shows the snapshot content at once; the kernel copies it back into the device in the background, and the exception store is deleted at the end. ' +
      "A started merge cannot be undone: job cancel ends the job, but the merge goes on and is finished at the pool's next activation. " +
      'The command follows the job with a progress bar until it ends (exit 1 if it fails or is cancelled) unless --no-wait, like volume delete, flatten, import and export. It travels with its pool: a hand-over or a crash resumes it on the next holder. With --json the document is {"job": Job} in its final state; with --no-wait as it started.',
    examples: ['device snapshot merge tank/lun7-before', 'device snapshot merge tank/lun7-before --no-wait && thinfleet job list'],
    async run(context, args) {
      const { pool, name } = parseVolumeRef(args.positionals[0] ?? '');
      const response = await (await context.agent()).mergeDeviceSnapshot({ pool, name });
      const started = present(response.job, 'job');
      if (args.flag('no-wait')) {
        context.out.result(response, () => `merging ${pool}/${name} back into its device: job ${started.id} (thinfleet job watch ${started.id})`);
        return EXIT.OK;
      }
      context.out.note(`merging ${pool}/${name}: job ${started.id}`);
      const job = await waitForJob(context, started.id);
      context.out.result({ ...response, job }, () => '');
      const failure = jobFailure(started.id, job);
      if (failure !== null) return context.out.failed(failure);
      context.out.note(`merged ${pool}/${name}: the device holds the snapshot's content`);
      return EXIT.OK;
    },
  },
];
