/**
 * `thinfleet pool ...`: create, list, show, discover, activate, join, deactivate and destroy pools.
 * All but list and show change one host's devices, so they go to that host's agent only.
 */
import type { Pool__Output } from '@thinfleet/proto';
import { expectPositionals } from './args.js';
import { present, type CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { formatBytes } from './sizes.js';
import { fieldError } from './usage-error.js';
import { discoveredTable, poolTable, poolView } from './views.js';

function recoveryNote(pool: Pool__Output): string {
  const recovery = pool.lastRecovery;
  if (recovery === null || recovery.outcome === '' || recovery.outcome === 'clean') return '';
  return ` (recovery: ${recovery.outcome}${recovery.transactionId === '' ? '' : ` transaction ${recovery.transactionId}`})`;
}

/** The pool commands, in help order. */
export const POOL_COMMANDS: readonly CommandSpec[] = [
  {
    words: ['pool', 'create'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      device: { type: 'string', multiple: true, required: true, placeholder: 'PATH', description: 'a block device or regular file (repeat; device 0 first)' },
      'block-size': { type: 'string', placeholder: 'SIZE', description: 'data block size: a multiple of 64KiB up to 1GiB (default 64KiB)' },
      'metadata-size': { type: 'string', placeholder: 'SIZE', description: 'kernel metadata size (default: computed from the data size)' },
      force: { type: 'boolean', description: 'overwrite devices that carry a thinfleet label' },
    },
    summary: 'make a new pool on devices (it is active when the command returns)',
    details: 'Regular files are attached as loop devices. Devices that already carry a thinfleet label are refused unless --force.',
    examples: ['pool create tank --device /dev/sdb', 'pool create tank --device /dev/sdb --device /dev/sdc --block-size 256KiB', 'pool create demo --device /var/tmp/demo.img --force'],
    async run(context, args) {
      const [name = ''] = expectPositionals(args, this.arguments);
      const devices = args.strings('device');
      if (devices.length === 0) throw fieldError('--device', 'at least one --device is required');
      const request = {
        name,
        devices: [...devices],
        dataBlockBytes: args.size('block-size') ?? 0,
        metadataBytes: args.size('metadata-size') ?? 0,
        force: args.flag('force'),
      };
      const response = await (await context.agent()).createPool(request);
      const pool = present(response.pool, 'pool');
      context.out.result(response, () => `created pool ${pool.name}: ${formatBytes(pool.dataTotalBytes)} of data in ${formatBytes(pool.dataBlockBytes)} blocks`);
      return EXIT.OK;
    },
  },
  {
    words: ['pool', 'list'],
    arguments: [],
    options: {},
    summary: 'list the pools the agent knows, active or not (with --coordinator: the pools of the cluster)',
    examples: ['pool list', '--json pool list'],
    async run(context, args) {
      expectPositionals(args, this.arguments);
      const response = await (await context.agent()).listPools({});
      context.out.result(response, () => poolTable(response.pools));
      return EXIT.OK;
    },
  },
  {
    words: ['pool', 'show'],
    arguments: ['NAME'],
    options: {},
    summary: "show one pool: devices, space, volumes, the kernel's transaction id",
    examples: ['pool show tank'],
    async run(context, args) {
      const [name = ''] = expectPositionals(args, this.arguments);
      const response = await (await context.agent()).getPool({ name });
      context.out.result(response, () => poolView(present(response.pool, 'pool')));
      return EXIT.OK;
    },
  },
  {
    words: ['pool', 'discover'],
    via: 'agent',
    arguments: [],
    options: {
      device: { type: 'string', multiple: true, required: true, placeholder: 'PATH', description: 'a device or file to read labels from (repeat)' },
    },
    summary: 'read the thinfleet labels on devices and report the pools they belong to (changes nothing)',
    examples: ['pool discover --device /dev/sdb --device /dev/sdc'],
    async run(context, args) {
      expectPositionals(args, this.arguments);
      const devices = args.strings('device');
      if (devices.length === 0) throw fieldError('--device', 'at least one --device is required');
      const response = await (await context.agent()).discoverPools({ devices: [...devices] });
      context.out.result(response, () => (response.pools.length === 0 ? 'no thinfleet pool on these devices' : discoveredTable(response.pools)));
      return EXIT.OK;
    },
  },
  {
    words: ['pool', 'activate'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      device: { type: 'string', multiple: true, placeholder: 'PATH', description: 'activate (import) from these devices instead of the recorded ones (repeat)' },
    },
    summary: 'activate a known pool, or import one from its devices; recovers an interrupted transaction first',
    details: 'Idempotent: an active pool is reported as it is. NAME may be the pool uuid when importing.',
    examples: ['pool activate tank', 'pool activate tank --device /dev/sdb --device /dev/sdc'],
    async run(context, args) {
      const [name = ''] = expectPositionals(args, this.arguments);
      const response = await (await context.agent()).activatePool({ name, devices: [...args.strings('device')] });
      const pool = present(response.pool, 'pool');
      context.out.result(response, () => `pool ${pool.name} is active${recoveryNote(pool)}`);
      return EXIT.OK;
    },
  },
  {
    words: ['pool', 'join'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      device: { type: 'string', multiple: true, required: true, placeholder: 'PATH', description: "every device of the pool, as this host names it (repeat)" },
      prefer: { type: 'boolean', description: 'cluster mode: the coordinator hands the pool to this host first when its holder dies' },
    },
    summary: 'make this host know a pool on shared storage without activating it or taking its lock',
    details:
      'Reads the labels only. In cluster mode the host then reports that it reaches the pool, so the coordinator can route the pool here (a call for it, or failover when its holder dies); the holder keeps it. Idempotent: run again to change --prefer.',
    examples: ['pool join tank --device /dev/sdb', 'pool join tank --device /dev/mapper/san-lun7 --prefer'],
    async run(context, args) {
      const [name = ''] = expectPositionals(args, this.arguments);
      const devices = args.strings('device');
      if (devices.length === 0) throw fieldError('--device', 'at least one --device is required');
      const response = await (await context.agent()).joinPool({ name, devices: [...devices], prefer: args.flag('prefer') });
      const pool = present(response.pool, 'pool');
      context.out.result(response, () => `joined pool ${pool.name}: this host reaches it (${pool.active ? 'active here' : 'not active here'})${args.flag('prefer') ? '; preferred' : ''}`);
      return EXIT.OK;
    },
  },
  {
    words: ['pool', 'deactivate'],
    via: 'agent',
    arguments: ['NAME'],
    options: {},
    summary: 'deactivate a pool and all its volumes (refused while a volume is open)',
    details: 'Idempotent.',
    examples: ['pool deactivate tank'],
    async run(context, args) {
      const [name = ''] = expectPositionals(args, this.arguments);
      const response = await (await context.agent()).deactivatePool({ name });
      context.out.result(response, () => `pool ${present(response.pool, 'pool').name} is inactive`);
      return EXIT.OK;
    },
  },
  {
    words: ['pool', 'destroy'],
    via: 'agent',
    arguments: ['NAME'],
    options: {
      force: { type: 'boolean', description: 'destroy the pool together with its volumes' },
    },
    summary: 'wipe the pool labels so no host finds the pool again (refused while it has volumes unless --force)',
    examples: ['pool destroy scratch', 'pool destroy scratch --force'],
    async run(context, args) {
      const [name = ''] = expectPositionals(args, this.arguments);
      const response = await (await context.agent()).destroyPool({ name, force: args.flag('force') });
      context.out.result(response, () => `destroyed pool ${name}`);
      return EXIT.OK;
    },
  },
];
