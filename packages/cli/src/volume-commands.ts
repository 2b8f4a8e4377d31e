/**
 * `thinfleet volume ...`: create, snapshot, list, show, find, rename, resize, activate,
 * deactivate, delete, flatten, revert, pin and unpin thin volumes. Through a coordinator they work on any
 * host's pools; `create` may leave the pool to the coordinator, and `find` needs it.
 */
import type { CreateVolumeRequest, DeleteMode, Volume__Output } from '@thinfleet/proto';
import { agentCallCommand } from './agent-call-command.js';
import { parseVolumeRef, type VolumeRef } from './argument-values.js';
import { present, type CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { jobFailure, waitForJob } from './job-wait.js';
import type { ParsedArgs } from './parsed-args.js';
import { formatBytes } from './sizes.js';
import { fieldError, UsageError } from './usage-error.js';
import { locationTable, volumeView } from './views.js';
import { VOLUME_LIST_COMMAND } from './volume-list-command.js';

const ref = (volume: Volume__Output): string => `${volume.pool}/${volume.name}`;
/** Where an active volume can be used: its device, or, on the simulated device-mapper, the commands that reach it. */
function activeNote(volume: Volume__Output): string {
  if (!volume.active || volume.devicePath === '') return '';
  if (volume.deviceSimulated) return `, active in the agent's simulated device-mapper (its content: thinfleet volume read|write ${ref(volume)} FILE)`;
  return `, active at ${volume.devicePath}`;
}

/** The volume a command works on: its first argument, POOL/NAME. */
const volumeArg = (args: ParsedArgs): VolumeRef => parseVolumeRef(args.positionals[0] ?? '');

/** The volume an answer must carry (throws when a broken server left it out). */
const volumeOf = (response: { readonly volume: Volume__Output | null }): Volume__Output => present(response.volume, 'volume');

const BARE_NAME_HINT = 'a bare NAME needs --coordinator, which chooses the pool';

const activateOption = { type: 'boolean', description: 'make the block device as well' } as const;

/** The volume commands, in help order. */
export const VOLUME_COMMANDS: readonly CommandSpec[] = [
  // Entries alike by design (duplicates pairs them by shape): each declares one command's help, request and text; the shared run is agentCallCommand.
  {
    words: ['volume', 'create'],
    arguments: ['POOL/NAME'],
    options: {
      size: { type: 'string', required: true, placeholder: 'SIZE', description: 'virtual size (10GiB, 512M...); may be left out with --external-origin' },
      'external-origin': { type: 'string', placeholder: 'PATH', description: 'a read-only block device that unwritten blocks read from' },
      activate: activateOption,
      host: { type: 'string', placeholder: 'NODE', description: 'with --coordinator and a bare NAME: place the volume in a pool this host reaches' },
    },
    summary: 'make a new empty volume, or one over a read-only external origin',
    details:
      'The size is rounded up to the pool data block size. An existing name is refused (exit 1, ALREADY_EXISTS). ' +
      'With --coordinator, a bare NAME (no POOL/) lets the coordinator choose the pool; --host NODE asks for one that host reaches.',
    examples: [
      'volume create tank/vm1 --size 10GiB',
      'volume create tank/vm2 --size 20G --activate',
      'volume create tank/web1 --external-origin /dev/vg0/base-image',
      '--coordinator 127.0.0.1:9750 volume create vm3 --size 10GiB --host node-2',
    ],
    async run(context, args) {
      const [target = ''] = args.positionals;
      const placed = context.coordinator !== null && !target.includes('/');
      const { pool, name } = placed ? { pool: '', name: target } : parseVolumeRef(target, 'POOL/NAME', BARE_NAME_HINT);
      const host = args.string('host');
      if (host !== undefined) {
        if (context.coordinator === null) throw fieldError('--host', 'only with --coordinator: it asks the coordinator to place the volume in a pool that host reaches');
        if (!placed) throw fieldError('--host', `chooses where a new volume goes, so it takes a bare NAME, not ${target} (which names the pool)`);
        if (host === '') throw fieldError('--host', 'empty: give a node id (see thinfleet cluster status)');
      }
      const sizeBytes = args.size('size');
      const externalOrigin = args.string('external-origin') ?? '';
      if (sizeBytes === undefined && externalOrigin === '') throw fieldError('--size', 'required (unless --external-origin is given)');
      const request: CreateVolumeRequest = { pool, name, externalOrigin, activate: args.flag('activate') };
      if (sizeBytes !== undefined) request.sizeBytes = sizeBytes;
      const agent = await context.agent();
      const response = await (host === undefined ? agent.createVolume(request) : agent.createVolume(request, { placementHost: host }));
      const volume = present(response.volume, 'volume');
      context.out.result(response, () => `created ${ref(volume)}: ${formatBytes(volume.sizeBytes)}${activeNote(volume)}`);
      context.out.responseWarnings(response);
      return EXIT.OK;
    },
  },
  agentCallCommand({
    words: ['volume', 'snapshot'],
    arguments: ['POOL/SOURCE', 'NAME'],
    options: { activate: activateOption },
    summary: 'make a writable snapshot of a volume (active or not)',
    examples: ['volume snapshot tank/vm1 vm1-before-upgrade', 'volume snapshot tank/base vm7 --activate'],
    request(args) {
      const [source = '', name = ''] = args.positionals;
      const { pool, name: sourceName } = parseVolumeRef(source, 'POOL/SOURCE');
      return { pool, source: sourceName, name, activate: args.flag('activate') };
    },
    call: (agent, request) => agent.snapshotVolume(request),
    human(response, request) {
      const volume = volumeOf(response);
      return `created snapshot ${ref(volume)} of ${request.pool}/${request.source}${activeNote(volume)}`;
    },
  }),
  VOLUME_LIST_COMMAND,
  agentCallCommand({
    words: ['volume', 'show'],
    arguments: ['POOL/NAME'],
    options: {
      usage: { type: 'boolean', description: 'also read mapped, exclusive and shared bytes (costs a metadata read)' },
    },
    summary: 'show one volume',
    examples: ['volume show tank/vm1', 'volume show tank/vm1 --usage'],
    request: (args) => ({ ...volumeArg(args), usage: args.flag('usage') }),
    call: (agent, request) => agent.getVolume(request),
    human: (response) => volumeView(volumeOf(response)),
  }),
  {
    words: ['volume', 'find'],
    arguments: ['NAME'],
    options: {},
    via: 'coordinator',
    summary: 'find which pool holds a volume, and which host owns that pool (needs --coordinator)',
    details:
      'NAME is a bare name, looked up in every pool of the cluster, or POOL/NAME. Prints POOL NAME SIZE OWNER UUID, one line per match; ' +
      'exit 1 when nothing matches. With --json: {"locations": [...]} (also when empty).',
    examples: ['--coordinator 127.0.0.1:9750 volume find vm1', '--coordinator 127.0.0.1:9750 --json volume find tank/vm1'],
    async run(context, args) {
      const [name = ''] = args.positionals;
      if (name === '') throw fieldError('NAME', 'empty');
      const response = await (await context.cluster()).findVolume(name);
      context.out.result(response, () => (response.locations.length === 0 ? '' : locationTable(response.locations)));
      return response.locations.length === 0 ? context.out.failed(`no volume ${name} in the cluster`) : EXIT.OK;
    },
  },
  agentCallCommand({
    words: ['volume', 'rename'],
    arguments: ['POOL/NAME', 'NEWNAME'],
    summary: 'rename an inactive volume',
    examples: ['volume rename tank/vm1 vm1-old'],
    request: (args) => ({ ...volumeArg(args), newName: args.positionals[1] ?? '' }),
    call: (agent, request) => agent.renameVolume(request),
    human: (response, { pool, name }) => `renamed ${pool}/${name} to ${ref(volumeOf(response))}`,
  }),
  agentCallCommand({
    words: ['volume', 'resize'],
    arguments: ['POOL/NAME'],
    options: {
      size: { type: 'string', required: true, placeholder: 'SIZE', description: 'the new virtual size; shrinking is refused' },
    },
    summary: 'grow a volume (rounded up to the data block size)',
    examples: ['volume resize tank/vm1 --size 20GiB'],
    request(args) {
      const volume = volumeArg(args);
      const sizeBytes = args.size('size');
      if (sizeBytes === undefined) throw fieldError('--size', 'required');
      return { ...volume, sizeBytes };
    },
    call: (agent, request) => agent.resizeVolume(request),
    human(response) {
      const volume = volumeOf(response);
      return `resized ${ref(volume)} to ${formatBytes(volume.sizeBytes)}`;
    },
  }),
  agentCallCommand({
    words: ['volume', 'activate'],
    arguments: ['POOL/NAME'],
    summary: "make the volume's block device (idempotent)",
    examples: ['volume activate tank/vm1'],
    request: volumeArg,
    call: (agent, request) => agent.activateVolume(request),
    human(response) {
      const volume = volumeOf(response);
      return `${ref(volume)} is${activeNote(volume).replace(/^, /, ' ')}`;
    },
  }),
  agentCallCommand({
    words: ['volume', 'deactivate'],
    arguments: ['POOL/NAME'],
    summary: "remove the volume's block device (refused while open; idempotent)",
    examples: ['volume deactivate tank/vm1'],
    request: volumeArg,
    call: (agent, request) => agent.deactivateVolume(request),
    human: (response) => `${ref(volumeOf(response))} is inactive`,
  }),
  {
    words: ['volume', 'delete'],
    arguments: ['POOL/NAME'],
    options: {
      now: { type: 'boolean', description: 'one kernel delete now, whatever the volume maps' },
      chunked: { type: 'boolean', description: 'always through a background job that discards chunk by chunk, then deletes' },
      'no-wait': { type: 'boolean', description: 'do not wait for a background delete; print its job id' },
    },
    summary: 'delete a volume, at once or through a chunked background job',
    details:
      'Without --now or --chunked the agent chooses: a background job when the volume maps more than its threshold. ' +
      'When there is a job the command waits for it with a progress bar (exit 1 if it fails or is cancelled) unless --no-wait. ' +
      'With --json the document is the agent answer plus "job": the final state of the job it waited for.',
    examples: ['volume delete tank/vm1', 'volume delete tank/big --chunked', 'volume delete tank/big --chunked --no-wait'],
    async run(context, args) {
      const [target = ''] = args.positionals;
      const { pool, name } = parseVolumeRef(target);
      if (args.flag('now') && args.flag('chunked')) throw new UsageError('--now and --chunked exclude each other', { field: '--chunked' });
      const mode: DeleteMode = args.flag('now') ? 'DELETE_MODE_NOW' : args.flag('chunked') ? 'DELETE_MODE_CHUNKED' : 'DELETE_MODE_AUTO';
      const response = await (await context.agent()).deleteVolume({ pool, name, mode });
      if (response.jobId === '') {
        context.out.result(response, () => `deleted ${pool}/${name}`);
        return EXIT.OK;
      }
      if (args.flag('no-wait')) {
        context.out.result(response, () => `deleting ${pool}/${name} in the background: job ${response.jobId} (thinfleet job watch ${response.jobId})`);
        return EXIT.OK;
      }
      context.out.note(`deleting ${pool}/${name}: job ${response.jobId}`);
      const job = await waitForJob(context, response.jobId);
      context.out.result({ ...response, job }, () => '');
      const failure = jobFailure(response.jobId, job);
      if (failure !== null) return context.out.failed(failure);
      context.out.note(`deleted ${pool}/${name}`);
      return EXIT.OK;
    },
  },
  {
    words: ['volume', 'flatten'],
    arguments: ['POOL/NAME'],
    options: {
      'no-wait': { type: 'boolean', description: 'do not wait for the job; print its id' },
    },
    summary: 'detach a volume from its external origin: a background job copies the origin in, then drops it',
    details:
      'The volume may stay open and written meanwhile: each chunk pauses it briefly, and no write of its user is overwritten. ' +
      'The command waits for the job with a progress bar (exit 1 if it fails or is cancelled) unless --no-wait; interrupting it does not stop the job. ' +
      'With --json the document is {"job": Job}: in its final state, or with --no-wait as started.',
    examples: ['volume flatten tank/vm1', 'volume flatten tank/vm1 --no-wait && thinfleet job list'],
    async run(context, args) {
      const { pool, name } = parseVolumeRef(args.positionals[0] ?? '');
      const response = await (await context.agent()).flattenVolume({ pool, name });
      const started = present(response.job, 'job');
      if (args.flag('no-wait')) {
        context.out.result(response, () => `flattening ${pool}/${name} in the background: job ${started.id} (thinfleet job watch ${started.id})`);
        return EXIT.OK;
      }
      context.out.note(`flattening ${pool}/${name}: job ${started.id}`);
      const job = await waitForJob(context, started.id);
      context.out.result({ job }, () => '');
      const failure = jobFailure(started.id, job);
      if (failure !== null) return context.out.failed(failure);
      context.out.note(`flattened ${pool}/${name}: it no longer uses its external origin`);
      return EXIT.OK;
    },
  },
  agentCallCommand({
    words: ['volume', 'revert'],
    arguments: ['POOL/NAME', 'SNAPSHOT'],
    summary: 'give an inactive volume the content and size of one of its snapshots',
    examples: ['volume revert tank/vm1 vm1-before-upgrade'],
    request: (args) => ({ ...volumeArg(args), snapshot: args.positionals[1] ?? '' }),
    call: (agent, request) => agent.revertVolume(request),
    human(response, request) {
      const volume = volumeOf(response);
      return `reverted ${ref(volume)} to ${request.snapshot} (${formatBytes(volume.sizeBytes)})`;
    },
  }),
  ...(['pin', 'unpin'] as const).map((verb) =>
    agentCallCommand({
      words: ['volume', verb],
      arguments: ['POOL/NAME'],
      summary: verb === 'pin' ? 'pin a volume so revision rotation never deletes it' : 'unpin a volume: revision rotation may delete it again',
      examples: [`volume ${verb} tank/vm1.rev3`],
      request: (args) => ({ ...volumeArg(args), pinned: verb === 'pin' }),
      call: (agent, request) => agent.pinVolume(request),
      human: (response) => `${verb}ned ${ref(volumeOf(response))}`,
    }),
  ),
];
