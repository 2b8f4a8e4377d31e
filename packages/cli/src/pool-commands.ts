/**
 * `thinfleet pool ...`: create, list, show, discover, activate, join, deactivate, destroy and forget pools.
 * All but list and show change one host's devices, so they go to that host's agent only.
 */
import type { PoolEvent__Output, Pool__Output } from '@thinfleet/proto';
import { agentCallCommand } from './agent-call-command.js';
import { parseCount } from './argument-values.js';
import { present, type CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { formatBytes } from './sizes.js';
import type { ParsedArgs } from './parsed-args.js';
import { fieldError } from './usage-error.js';
import { discoveredTable, poolTable, poolView } from './views.js';

function recoveryNote(pool: Pool__Output): string {
  const recovery = pool.lastRecovery;
  if (recovery === null || recovery.outcome === '' || recovery.outcome === 'clean') return '';
  return ` (recovery: ${recovery.outcome}${recovery.transactionId === '' ? '' : ` transaction ${recovery.transactionId}`})`;
}

/** The --no-space-mode flag, checked before anything is sent; undefined when absent. */
function noSpaceModeFlag(value: string | undefined): 'queue' | 'error' | undefined {
  if (value === undefined) return undefined;
  if (value === 'queue' || value === 'error') return value;
  throw fieldError('--no-space-mode', `must be queue or error, got "${value.slice(0, 16)}"`);
}

/** One line for a pool event: `TIME POOL KIND: message` (`(now)` for a watch's starting state). */
function eventLine(e: PoolEvent__Output): string {
  return `${e.time} ${e.pool} ${e.kind}${e.current ? ' (now)' : ''}: ${e.message}`;
}

/** The request of a command on one pool: its NAME argument. */
const poolName = (args: ParsedArgs): { name: string } => ({ name: args.positionals[0] ?? '' });

/** The --device values of a command that needs at least one. */
function requiredDevices(args: ParsedArgs): string[] {
  const devices = args.strings('device');
  if (devices.length === 0) throw fieldError('--device', 'at least one --device is required');
  return [...devices];
}

/** The pool commands, in help order. */
export const POOL_COMMANDS: readonly CommandSpec[] = [
  // Entries alike by design (duplicates pairs them by shape): each declares one command's help, request and text; the shared run is agentCallCommand.
  agentCallCommand({
    words: ['pool', 'create'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      device: { type: 'string', multiple: true, required: true, placeholder: 'PATH', description: 'a block device or regular file (repeat; device 0 first)' },
      'block-size': { type: 'string', placeholder: 'SIZE', description: 'data block size: a multiple of 64KiB up to 1GiB (default 64KiB)' },
      'metadata-size': { type: 'string', placeholder: 'SIZE', description: 'kernel metadata size (default: computed from the data size)' },
      force: { type: 'boolean', description: 'overwrite labels of pools that neither this host nor the cluster knows' },
      'no-space-mode': { type: 'string', placeholder: 'MODE', description: 'what writes do when the data space is full: queue (default: wait for space) or error (fail at once)' },
    },
    summary: 'make a new pool on devices (it is active when the command returns)',
    details:
      'Regular files are attached as loop devices. Devices that already carry a thinfleet label are refused unless --force. ' +
      'Nothing, --force included, touches a device another pool of this host uses (under any name: the file, a loop device over it), ' +
      'a device held by a device-mapper table, or a label of a pool this host or the cluster knows. Overwritten labels are printed.',
    examples: ['pool create tank --device /dev/sdb', 'pool create tank --device /dev/sdb --device /dev/sdc --block-size 256KiB', 'pool create demo --device /var/tmp/demo.img --force'],
    request(args) {
      const request = {
        ...poolName(args),
        devices: requiredDevices(args),
        dataBlockBytes: args.size('block-size') ?? 0,
        metadataBytes: args.size('metadata-size') ?? 0,
        force: args.flag('force'),
      };
      const noSpaceMode = noSpaceModeFlag(args.string('no-space-mode'));
      return noSpaceMode === undefined ? request : { ...request, noSpaceMode };
    },
    call: (agent, request) => agent.createPool(request),
    human(response) {
      const pool = present(response.pool, 'pool');
      const overwrote = response.overwritten.map((l) =>
        l.poolUuid === ''
          ? `\noverwrote a damaged thinfleet label on ${l.device}`
          : `\noverwrote the label of pool ${l.poolName} (uuid ${l.poolUuid}, device ${l.deviceIndex}) on ${l.device}`,
      );
      return `created pool ${pool.name}: ${formatBytes(pool.dataTotalBytes)} of data in ${formatBytes(pool.dataBlockBytes)} blocks${overwrote.join('')}`;
    },
  }),
  agentCallCommand({
    words: ['pool', 'list'],
    arguments: [],
    summary: 'list the pools the agent knows, active or not (with --coordinator: the pools of the cluster)',
    examples: ['pool list', '--json pool list'],
    request: () => ({}),
    call: (agent, request) => agent.listPools(request),
    human: (response) => poolTable(response.pools),
  }),
  agentCallCommand({
    words: ['pool', 'show'],
    arguments: ['NAME'],
    summary: "show one pool: devices, space, volumes, the kernel's transaction id",
    examples: ['pool show tank'],
    request: poolName,
    call: (agent, request) => agent.getPool(request),
    human: (response) => poolView(present(response.pool, 'pool')),
  }),
  agentCallCommand({
    words: ['pool', 'discover'],
    via: 'agent',
    arguments: [],
    options: {
      device: { type: 'string', multiple: true, required: true, placeholder: 'PATH', description: 'a device or file to read labels from (repeat)' },
    },
    summary: 'read the thinfleet labels on devices and report the pools they belong to (changes nothing)',
    examples: ['pool discover --device /dev/sdb --device /dev/sdc'],
    request: (args) => ({ devices: requiredDevices(args) }),
    call: (agent, request) => agent.discoverPools(request),
    human: (response) => (response.pools.length === 0 ? 'no thinfleet pool on these devices' : discoveredTable(response.pools)),
  }),
  agentCallCommand({
    words: ['pool', 'activate'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      device: { type: 'string', multiple: true, placeholder: 'PATH', description: 'activate (import) from these devices instead of the recorded ones (repeat)' },
    },
    summary: 'activate a known pool, or import one from its devices; recovers an interrupted transaction first',
    details: 'Idempotent: an active pool is reported as it is. NAME may be the pool uuid when importing.',
    examples: ['pool activate tank', 'pool activate tank --device /dev/sdb --device /dev/sdc'],
    request: (args) => ({ ...poolName(args), devices: [...args.strings('device')] }),
    call: (agent, request) => agent.activatePool(request),
    human(response) {
      const pool = present(response.pool, 'pool');
      return `pool ${pool.name} is active${recoveryNote(pool)}`;
    },
  }),
  agentCallCommand({
    words: ['pool', 'join'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      device: { type: 'string', multiple: true, required: true, placeholder: 'PATH', description: 'every device of the pool, as this host names it (repeat)' },
      prefer: { type: 'boolean', description: 'cluster mode: the coordinator hands the pool to this host first when its holder dies' },
    },
    summary: 'make this host know a pool on shared storage without activating it or taking its lock',
    details:
      'Reads the labels only. In cluster mode the host then reports that it reaches the pool, so the coordinator can route the pool here (a call for it, or failover when its holder dies); the holder keeps it. Idempotent: run again to change --prefer.',
    examples: ['pool join tank --device /dev/sdb', 'pool join tank --device /dev/mapper/san-lun7 --prefer'],
    request: (args) => ({ ...poolName(args), devices: requiredDevices(args), prefer: args.flag('prefer') }),
    call: (agent, request) => agent.joinPool(request),
    human(response, request) {
      const pool = present(response.pool, 'pool');
      return `joined pool ${pool.name}: this host reaches it (${pool.active ? 'active here' : 'not active here'})${request.prefer ? '; preferred' : ''}`;
    },
  }),
  agentCallCommand({
    words: ['pool', 'deactivate'],
    via: 'agent',
    arguments: ['NAME'],
    summary: 'deactivate a pool and all its volumes (refused while a volume is open)',
    details: 'Idempotent.',
    examples: ['pool deactivate tank'],
    request: poolName,
    call: (agent, request) => agent.deactivatePool(request),
    human: (response) => `pool ${present(response.pool, 'pool').name} is inactive`,
  }),
  agentCallCommand({
    words: ['pool', 'extend'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      device: { type: 'string', required: true, placeholder: 'PATH', description: "a block device or regular file to add, or one of the pool's devices with free space after its data" },
      size: { type: 'string', placeholder: 'SIZE', description: 'how much of the device to add (default: all of it)' },
    },
    summary: "grow an active pool's data region with a device (or more of one)",
    details:
      "Files are attached as loop devices. A new device gets a thinfleet label; one of the pool's own devices gives the space after its last extent " +
      '(a spare taken step by step, or a device that grew). Devices of another pool, labelled devices and devices under a device-mapper device are refused. ' +
      'A pool out of data space leaves that mode; queued writes go on.',
    examples: ['pool extend tank --device /dev/sdd', 'pool extend demo --device /var/tmp/spare.img --size 1GiB'],
    request(args) {
      const { name } = poolName(args);
      const device = args.string('device');
      if (device === undefined || device === '') throw fieldError('--device', 'required: the device or file to add');
      return { name, device, sizeBytes: args.size('size') ?? 0 };
    },
    call: (agent, request) => agent.extendPool(request),
    human(response) {
      const pool = present(response.pool, 'pool');
      return `extended pool ${pool.name} by ${formatBytes(response.addedBytes)}: ${formatBytes(pool.dataTotalBytes)} of data`;
    },
  }),
  agentCallCommand({
    words: ['pool', 'set'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      'no-space-mode': { type: 'string', required: true, placeholder: 'MODE', description: 'queue (wait for space) or error (fail writes at once) when the data space is full' },
    },
    summary: "change an active pool's settings (the thin-pool table is reloaded)",
    details: 'Idempotent. See docs/cli.md, "When the data space is full", for what VMs see in each mode.',
    examples: ['pool set tank --no-space-mode error'],
    request(args) {
      const { name } = poolName(args);
      const noSpaceMode = noSpaceModeFlag(args.string('no-space-mode'));
      if (noSpaceMode === undefined) throw fieldError('--no-space-mode', 'required: queue or error');
      return { name, noSpaceMode };
    },
    call: (agent, request) => agent.setPool(request),
    human(response) {
      const pool = present(response.pool, 'pool');
      return `pool ${pool.name}: no-space mode ${pool.noSpaceMode}`;
    },
  }),
  {
    words: ['pool', 'watch'],
    via: 'agent',
    arguments: ['[NAME]'],
    options: {
      count: { type: 'string', placeholder: 'N', description: 'stop after N events (default: run until interrupted)' },
    },
    summary: 'print capacity events of a pool (or of every pool) as they happen: thresholds crossed and cleared, out of data space, extended',
    details:
      "First the thresholds each pool is over now, marked (now); then one line per change as the agent's poll finds it (every poolCapacityPollMs). " +
      'With --json, one JSON document per line (JSON Lines): {"event": PoolEvent}.',
    examples: ['pool watch tank', '--json pool watch', 'pool watch tank --count 1'],
    async run(context, args) {
      const [name = ''] = args.positionals;
      const countText = args.string('count');
      const count = countText === undefined ? null : parseCount(countText, '--count', 1, 2 ** 31 - 1);
      const agent = await context.agent();
      let seen = 0;
      for await (const event of agent.watchPoolEvents(name)) {
        if (context.out.json) context.io.stdout(`${JSON.stringify({ event })}\n`);
        else context.io.stdout(`${eventLine(event)}\n`);
        seen += 1;
        if (count !== null && seen >= count) break;
      }
      return EXIT.OK;
    },
  },
  agentCallCommand({
    words: ['pool', 'destroy'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      force: { type: 'boolean', description: 'destroy the pool together with its volumes' },
    },
    summary: 'wipe the pool labels so no host finds the pool again (refused while it has volumes unless --force)',
    details: 'Only an active pool can be destroyed; `pool forget` drops the record of one that cannot be activated.',
    examples: ['pool destroy scratch', 'pool destroy scratch --force'],
    request: (args) => ({ ...poolName(args), force: args.flag('force') }),
    call: (agent, request) => agent.destroyPool(request),
    human: (_response, request) => `destroyed pool ${request.name}`,
  }),
  agentCallCommand({
    words: ['pool', 'forget'],
    via: 'agent',
    arguments: ['NAME'],
    summary: "drop this host's record of an inactive pool (e.g. its devices lost their label); writes nothing to its devices",
    details: 'Releases the loop devices the agent attached for the pool. Refused while the pool is active (deactivate or destroy it).',
    examples: ['pool forget scratch'],
    request: poolName,
    call: (agent, request) => agent.forgetPool(request),
    human(response, request) {
      const released = response.releasedFiles.length === 0 ? '' : `; released the loop devices of ${response.releasedFiles.join(', ')}`;
      return `forgot pool ${request.name}; its devices were not written${released}`;
    },
  }),
];
