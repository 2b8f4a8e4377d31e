/**
 * What goes wrong before, at and after the agent: usage errors (exit 2, the field named,
 * nothing sent), batch files checked whole, agent refusals (exit 1 with the agent's fields), and
 * an agent that is not there (exit 3, with the real client on a socket that does not exist).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AgentCallError } from '@thinfleet/client';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_OPS, runCli, SIZE_RULE } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';
import { recordingAgent } from './support/recording-agent.js';

const scratch = mkdtempSync(join(tmpdir(), 'tf-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function usage(argv: readonly string[], stdin?: string): Promise<{ stderr: string; json: { error: Record<string, unknown> } }> {
  const agent = recordingAgent();
  const human = memoryIo(stdin === undefined ? {} : { stdin });
  expect(await runCli(argv, human.io, { connect: agent.connect })).toBe(2);
  const json = memoryIo(stdin === undefined ? {} : { stdin });
  expect(await runCli(['--json', ...argv], json.io, { connect: agent.connect })).toBe(2);
  expect(agent.connects).toEqual([]);
  expect(agent.calls).toEqual([]);
  expect(human.stderr()).toMatch(/^thinfleet: /m);
  return { stderr: human.stderr(), json: JSON.parse(json.stdout()) as { error: Record<string, unknown> } };
}

describe('usage errors: exit 2, nothing sent', () => {
  it.each<[string, readonly string[], RegExp, string | null]>([
    ['no command', [], /missing a command/, null],
    ['a group without its command', ['pool'], /missing a pool command/, null],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/, null],
    ['an unknown subcommand', ['pool', 'grow'], /unknown pool command "grow"/, null],
    ['a missing argument', ['volume', 'show'], /missing POOL\/NAME/, 'POOL/NAME'],
    ['a missing second argument', ['volume', 'rename', 'tank/vm1'], /missing NEWNAME/, 'NEWNAME'],
    ['an argument too many', ['volume', 'show', 'tank/vm1', 'extra'], /unexpected argument "extra"/, null],
    ['a volume without its pool', ['volume', 'create', 'vm1', '--size', '1G'], /POOL\/NAME: expected POOL\/NAME, got "vm1"/, 'POOL/NAME'],
    ['a pool without a volume name', ['volume', 'show', 'tank/'], /expected POOL\/NAME/, 'POOL/NAME'],
    ['volume create without --size', ['volume', 'create', 'tank/vm1'], /--size: required/, '--size'],
    ['volume resize without --size', ['volume', 'resize', 'tank/vm1'], /--size: required/, '--size'],
    ['a negative size', ['volume', 'create', 'tank/vm1', '--size', '-5G'], /--size: .*negative/, '--size'],
    ['a zero size', ['volume', 'resize', 'tank/vm1', '--size', '0'], /--size: .*zero/, '--size'],
    ['a decimal unit', ['volume', 'create', 'tank/vm1', '--size', '10GB'], /--size: .*GiB/, '--size'],
    ['a fraction of a byte', ['pool', 'create', 'tank', '--device', '/d', '--block-size', '1.3B'], /--block-size: .*whole number of bytes/, '--block-size'],
    ['a size above 2^53', ['volume', 'create', 'tank/vm1', '--size', '16PiB'], /--size: .*too large/, '--size'],
    ['a size of exactly 8 PiB (the agent would refuse it)', ['volume', 'create', 'tank/vm1', '--size', '8PiB'], /--size: "8PiB" is too large: sizes must be below 8 PiB/, '--size'],
    ['pool create without --device', ['pool', 'create', 'tank'], /--device: at least one/, '--device'],
    ['a flag without its value', ['pool', 'create', 'tank', '--device'], /--device needs a value/, '--device'],
    ['a value for a boolean flag', ['volume', 'list', '--usage=yes'], /--usage takes no value/, '--usage'],
    ['an unknown flag', ['volume', 'list', '--bogus'], /unknown flag --bogus for thinfleet volume list/, '--bogus'],
    ['a flag of another command', ['volume', 'show', 'tank/vm1', '--force'], /unknown flag --force/, '--force'],
    ['a single flag given twice', ['volume', 'resize', 'tank/vm1', '--size', '1G', '--size', '2G'], /--size given more than once/, '--size'],
    ['--now with --chunked', ['volume', 'delete', 'tank/vm1', '--now', '--chunked'], /exclude each other/, '--chunked'],
    ['--keep 0', ['revision', 'create', 'tank/vm1', '--keep', '0'], /--keep: 0 is out of range/, '--keep'],
    ['--keep not a number', ['revision', 'create', 'tank/vm1', '--keep', 'two'], /--keep: "two" is not a whole number/, '--keep'],
    ['--timeout 0', ['--timeout', '0', 'pool', 'list'], /--timeout: "0" is not a number of seconds/, '--timeout'],
    ['--timeout not a number', ['pool', 'list', '--timeout', 'soon'], /--timeout/, '--timeout'],
    ['a TCP agent without TLS', ['--agent', 'node-2:9745', 'pool', 'list'], /TCP address, which needs mutual TLS/, '--tls-ca'],
    ['a TCP agent with part of TLS', ['--agent', 'node-2:9745', '--tls-ca', 'ca.pem', 'pool', 'list'], /--tls-cert and --tls-key/, '--tls-cert'],
    ['an empty --agent', ['--agent', '', 'pool', 'list'], /--agent: agent target is empty/, '--agent'],
    ['batch without a file', ['batch'], /missing FILE\|-/, 'FILE|-'],
    ['a batch file that does not exist', ['batch', '/nonexistent/ops.json'], /cannot read \/nonexistent\/ops.json: .*ENOENT/, 'FILE'],
  ])('%s', async (_title, argv, message, field) => {
    const { stderr, json } = await usage(argv);
    expect(stderr).toMatch(message);
    expect(json.error).toMatchObject({ status: null, code: 'USAGE', field });
    expect(json.error['message']).toMatch(message);
  });

  it('prints help for the group on stderr when its command is missing', async () => {
    const { io, stderr, stdout } = memoryIo();
    expect(await runCli(['volume'], io)).toBe(2);
    expect(stderr()).toContain('volume snapshot POOL/SOURCE NAME');
    expect(stdout()).toBe('');
  });

  it('names the flag once when the message already starts with it', async () => {
    const { stderr } = await usage(['volume', 'create', 'tank/vm1', '--size', '1x']);
    expect(stderr).toBe('thinfleet: --size: "1x": unknown unit "x" (use B, KiB, MiB, GiB, TiB or PiB)\n');
  });
});

describe('help and version', () => {
  it.each([[['--help']], [['-h']], [['help']], [['pool', '--help']], [['volume', 'delete', '--help']], [['help', 'volume', 'delete']], [['batch', '-h']]])(
    '%j prints help on stdout and exits 0 without connecting',
    async (argv) => {
      const agent = recordingAgent();
      const { io, stdout } = memoryIo();
      expect(await runCli(argv, io, { connect: agent.connect })).toBe(0);
      expect(stdout()).toMatch(/^Usage: thinfleet|^thinfleet: /);
      expect(agent.connects).toEqual([]);
    },
  );

  it('documents the exit codes and gives examples in command help', async () => {
    const { io, stdout } = memoryIo();
    await runCli(['volume', 'delete', '--help'], io);
    expect(stdout()).toContain('Usage: thinfleet [GLOBAL FLAGS] volume delete POOL/NAME [--now] [--chunked] [--no-wait]');
    expect(stdout()).toContain('thinfleet volume delete tank/big --chunked');
    expect(stdout()).toMatch(/ {2}3 {2}the agent or coordinator could not be reached/);
  });

  it('shows job ids in the examples as the agent makes them, not ones that cannot exist', async () => {
    const texts: string[] = [];
    for (const argv of [['--help'], ['job', 'watch', '--help'], ['job', 'show', '--help'], ['job', 'cancel', '--help']]) {
      const { io, stdout } = memoryIo();
      await runCli(argv, io);
      texts.push(stdout());
    }
    const ids = [...texts.join('\n').matchAll(/job (?:watch|show|cancel) (\S+)/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(3);
    for (const id of ids) expect(id, 'the agent makes 12 lower-case letters and digits').toMatch(/^(?:ID|[0-9a-z]{12})$/);
  });

  it('states the one size rule in the overview', async () => {
    const { io, stdout } = memoryIo();
    await runCli(['--help'], io);
    expect(stdout()).toContain(`Sizes: ${SIZE_RULE}`);
  });

  it('prints the version', async () => {
    const { io, stdout } = memoryIo();
    expect(await runCli(['--version'], io)).toBe(0);
    expect(stdout()).toMatch(/^thinfleet \d+\.\d+\.\d+\n$/);
  });
});

describe('batch files are checked whole before anything is sent', () => {
  const op = (fields: Record<string, unknown>): string => JSON.stringify({ pool: 'tank', ops: [fields] });
  const good = { op: 'snapshot', source: 'vm1', name: 'vm1-s1' };

  it.each<[string, string, RegExp, string | null]>([
    ['text that is not JSON', '{"pool": "tank", ops: []}', /standard input is not valid JSON/, null],
    ['a top level that is not an object', '[]', /standard input must be a JSON object/, null],
    ['a missing pool', '{"ops": []}', /^pool: required/, 'pool'],
    ['a pool that is not a string', '{"pool": 7, "ops": []}', /^pool: must be a string/, 'pool'],
    ['missing ops', '{"pool": "tank"}', /^ops: required/, 'ops'],
    ['ops that are not an array', '{"pool": "tank", "ops": {}}', /^ops: must be an array/, 'ops'],
    ['an unknown top-level key', '{"pool": "tank", "ops": [], "dry_run": true}', /^dry_run: unknown field/, 'dry_run'],
    ['an op that is not an object', '{"pool": "tank", "ops": ["snapshot"]}', /^ops\[0\]: must be an object/, 'ops[0]'],
    ['an op without its kind', op({ name: 'a' }), /^ops\[0\]\.op: required/, 'ops[0].op'],
    ['an unknown op', op({ op: 'explode', name: 'a' }), /^ops\[0\]\.op: unknown op "explode" \(one of create, snapshot, delete/, 'ops[0].op'],
    ['a missing name', op({ op: 'create', size: 1024 }), /^ops\[0\]\.name: required \(a string\)/, 'ops[0].name'],
    ['a name that is not a string', op({ op: 'delete', name: 42 }), /^ops\[0\]\.name: must be a string/, 'ops[0].name'],
    ['create without size or origin', op({ op: 'create', name: 'a' }), /^ops\[0\]\.size: required unless external_origin/, 'ops[0].size'],
    ['a size string with a decimal unit', op({ op: 'create', name: 'a', size: '10GB' }), /^ops\[0\]\.size: .*ambiguous/, 'ops[0].size'],
    ['a fractional size number', op({ op: 'resize', name: 'a', size: 1.5 }), /^ops\[0\]\.size: must be a whole number of bytes/, 'ops[0].size'],
    ['a negative size number', op({ op: 'resize', name: 'a', size: -1 }), /^ops\[0\]\.size: must be at least 1 byte/, 'ops[0].size'],
    ['a size of the wrong type', op({ op: 'resize', name: 'a', size: true }), /^ops\[0\]\.size: must be a number of bytes or a size string/, 'ops[0].size'],
    ['a boolean that is a string', op({ op: 'create', name: 'a', size: 1024, activate: 'yes' }), /^ops\[0\]\.activate: must be true or false/, 'ops[0].activate'],
    ['a misspelt key', op({ op: 'snapshot', source: 'vm1', nmae: 'x' }), /^ops\[0\]\.nmae: unknown field for op "snapshot"/, 'ops[0].nmae'],
    ['a key of another op', op({ op: 'delete', name: 'a', new_name: 'b' }), /^ops\[0\]\.new_name: unknown field for op "delete"/, 'ops[0].new_name'],
    ['pin without pinned', op({ op: 'pin', name: 'a' }), /^ops\[0\]\.pinned: required \(true or false\)/, 'ops[0].pinned'],
    ['rename without new_name', op({ op: 'rename', name: 'a' }), /^ops\[0\]\.new_name: required/, 'ops[0].new_name'],
    ['revert without snapshot', op({ op: 'revert', name: 'a' }), /^ops\[0\]\.snapshot: required/, 'ops[0].snapshot'],
    ['keep 0', op({ op: 'revision', name: 'a', keep: 0 }), /^ops\[0\]\.keep: must be a whole number from 1/, 'ops[0].keep'],
    ['an item that is not a string', op({ ...good, item: 5 }), /^ops\[0\]\.item: must be a string/, 'ops[0].item'],
    ['a mistake after good ops', JSON.stringify({ pool: 'tank', ops: [good, good, good, { op: 'delete' }] }), /^ops\[3\]\.name: required/, 'ops[3].name'],
    ['more than 10000 ops', JSON.stringify({ pool: 'tank', ops: Array.from({ length: MAX_BATCH_OPS + 1 }, () => good) }), /^ops: 10001 ops; one batch takes at most 10000/, 'ops'],
  ])('%s', async (_title, text, message, field) => {
    const { stderr, json } = await usage(['batch', '-'], text);
    expect(stderr).toMatch(new RegExp(`^thinfleet: ${message.source.replace(/^\^/, '')}`));
    expect(json.error).toMatchObject({ code: 'USAGE', field });
  });

  it('sends a batch of exactly 10000 ops', async () => {
    const agent = recordingAgent();
    const text = JSON.stringify({ pool: 'tank', ops: Array.from({ length: MAX_BATCH_OPS }, (_, index) => ({ op: 'create', name: `v${index}`, size: '1MiB' })) });
    const { io } = memoryIo({ stdin: text });
    expect(await runCli(['batch', '-'], io, { connect: agent.connect })).toBe(0);
    expect((agent.calls[0]?.request as { ops: unknown[] }).ops).toHaveLength(MAX_BATCH_OPS);
  });

  it('passes names with a slash to the agent, which decides', async () => {
    const agent = recordingAgent();
    const { io } = memoryIo({ stdin: op({ op: 'snapshot', source: 'vm1', name: 'a/b' }) });
    expect(await runCli(['batch', '-'], io, { connect: agent.connect })).toBe(0);
    expect(agent.calls[0]?.request).toMatchObject({ ops: [{ snapshot: { source: 'vm1', name: 'a/b' } }] });
  });
});

function refusal(code: status, details: string, trailers: Record<string, string>): AgentCallError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  const error: ServiceError = Object.assign(new Error(details), { code, details, metadata });
  return new AgentCallError(error);
}

describe('agent refusals: exit 1', () => {
  it('prints the agent message with the field, and the error document with --json', async () => {
    const error = refusal(status.INVALID_ARGUMENT, 'volume name "a/b": only letters, digits and + _ . -', { 'tf-error-code': 'INVALID_NAME', 'tf-field': 'name' });
    const human = memoryIo();
    expect(await runCli(['volume', 'create', 'tank/a/b', '--size', '1G'], human.io, { connect: recordingAgent({ createVolume: error }).connect })).toBe(1);
    expect(human.stderr()).toBe('thinfleet: volume name "a/b": only letters, digits and + _ . - (field: name)\n');
    expect(human.stdout()).toBe('');
    const json = memoryIo();
    expect(await runCli(['--json', 'volume', 'create', 'tank/a/b', '--size', '1G'], json.io, { connect: recordingAgent({ createVolume: error }).connect })).toBe(1);
    expect(JSON.parse(json.stdout())).toEqual({
      error: { status: 'INVALID_ARGUMENT', code: 'INVALID_NAME', message: 'volume name "a/b": only letters, digits and + _ . -', field: 'name', item: null },
    });
  });

  it('names the batch item at fault', async () => {
    const error = refusal(status.NOT_FOUND, 'no volume "ghost" in pool "tank"', { 'tf-error-code': 'NO_SUCH_VOLUME', 'tf-item': 'ops[2]' });
    const { io, stderr } = memoryIo({ stdin: JSON.stringify({ pool: 'tank', ops: [{ op: 'delete', name: 'ghost' }] }) });
    expect(await runCli(['batch', '-'], io, { connect: recordingAgent({ batch: error }).connect })).toBe(1);
    expect(stderr()).toBe('thinfleet: no volume "ghost" in pool "tank" (item: ops[2])\n');
  });

  it('reports steps that failed after a committed batch with exit 1', async () => {
    const answer = { transactionId: '9', results: [{ item: 'ops[0]', volume: null }], deferredErrors: [{ volume: 'a', message: 'activation failed: EBUSY' }] };
    const { io, stderr, stdout } = memoryIo({ stdin: JSON.stringify({ pool: 'tank', ops: [{ op: 'create', name: 'a', size: 1024, activate: true }] }) });
    expect(await runCli(['batch', '-'], io, { connect: recordingAgent({ batch: answer }).connect })).toBe(1);
    expect(stdout()).toContain('committed 1 ops as transaction 9');
    expect(stderr()).toContain('tank/a: activation failed: EBUSY');
  });

  it('exits 1 when health is not SERVING', async () => {
    const { io, stdout } = memoryIo();
    expect(await runCli(['--json', 'health'], io, { connect: recordingAgent({ health: 'NOT_SERVING' }).connect })).toBe(1);
    expect(JSON.parse(stdout())).toEqual({ status: 'NOT_SERVING' });
  });
});

describe('an agent that is not there: exit 3', () => {
  it('says which socket and asks whether the agent runs (real client, missing socket)', async () => {
    const socket = join(scratch, 'absent', 'agent.sock');
    const human = memoryIo();
    expect(await runCli(['--agent', socket, 'volume', 'list'], human.io)).toBe(3);
    expect(human.stderr()).toBe(`thinfleet: cannot reach the agent at ${socket}: no socket there (ENOENT). Is thinfleet-agent running? (--agent or THINFLEET_AGENT choose another socket)\n`);
    const json = memoryIo({ env: { THINFLEET_AGENT: socket } });
    expect(await runCli(['pool', 'list', '--json'], json.io)).toBe(3);
    expect(JSON.parse(json.stdout())).toMatchObject({ error: { status: 'UNAVAILABLE', code: null } });
  });

  it('treats an agent that is shutting down as unreachable, with its own message', async () => {
    const error = refusal(status.UNAVAILABLE, 'the agent is shutting down', { 'tf-error-code': 'SHUTTING_DOWN' });
    const { io, stderr } = memoryIo();
    expect(await runCli(['pool', 'list'], io, { connect: recordingAgent({ listPools: error }).connect })).toBe(3);
    expect(stderr()).toBe('thinfleet: the agent is shutting down\n');
  });
});
