/**
 * The command-line rules the CLI keeps on top of commander (command-line.ts): global flags
 * anywhere, `--flag=value`, repeated flags in order, `--` ending the flags, `--no-*` flags that are
 * plain flags, and the order in which mistakes are reported. Through runCli and the recording
 * agent, so what is checked is what reaches the agent.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';
import { recordingAgent } from './support/recording-agent.js';

const GiB = 2 ** 30;

async function sent(argv: readonly string[]): Promise<{ method: string; request: unknown; target: string | undefined; options: unknown; stdout: string }> {
  const agent = recordingAgent();
  const { io, stdout, stderr } = memoryIo();
  expect(await runCli(argv, io, { connect: agent.connect }), stderr()).toBe(0);
  expect(agent.calls).toHaveLength(1);
  const call = agent.calls[0];
  return { method: call?.method ?? '', request: call?.request, target: agent.connects[0]?.target, options: agent.connects[0]?.options, stdout: stdout() };
}

async function refused(argv: readonly string[]): Promise<{ message: string; field: unknown }> {
  const agent = recordingAgent();
  const { io, stdout } = memoryIo();
  expect(await runCli(['--json', ...argv], io, { connect: agent.connect })).toBe(2);
  expect(agent.connects).toEqual([]);
  const { error } = JSON.parse(stdout()) as { error: { message: string; field: unknown } };
  return error;
}

describe('flags and arguments', () => {
  it('takes a value after = (--size=10GiB), for a command flag and a global one', async () => {
    const { request, target } = await sent(['--agent=/run/a.sock', 'volume', 'create', 'tank/vm1', '--size=10GiB']);
    expect(request).toMatchObject({ pool: 'tank', name: 'vm1', sizeBytes: 10 * GiB });
    expect(target).toBe('/run/a.sock');
  });

  it('keeps a repeated flag in the order given, wherever it stands among the arguments', async () => {
    const { request } = await sent(['pool', 'create', '--device', '/dev/sdc', 'tank', '--device=/dev/sdb', '--device', '/dev/sda']);
    expect(request).toMatchObject({ name: 'tank', devices: ['/dev/sdc', '/dev/sdb', '/dev/sda'] });
  });

  it('takes global flags before the command words, between them and after the arguments', async () => {
    for (const argv of [
      ['--agent', '/run/a.sock', '--timeout', '5', 'volume', 'show', 'tank/vm1'],
      ['volume', '--agent', '/run/a.sock', 'show', '--timeout=5', 'tank/vm1'],
      ['volume', 'show', 'tank/vm1', '--timeout', '5', '--agent', '/run/a.sock'],
    ]) {
      const { method, request, target, options } = await sent(argv);
      expect(method).toBe('getVolume');
      expect(request).toMatchObject({ pool: 'tank', name: 'vm1' });
      expect(target).toBe('/run/a.sock');
      expect(options).toMatchObject({ deadlineMs: 5000 });
    }
  });

  it('takes a command flag before the arguments', async () => {
    const { request } = await sent(['volume', 'create', '--size', '1GiB', '--activate', 'tank/vm1']);
    expect(request).toMatchObject({ pool: 'tank', name: 'vm1', sizeBytes: GiB, activate: true });
  });

  it('passes what follows -- as arguments, even when it starts with a dash', async () => {
    const { request } = await sent(['volume', 'show', '--', 'tank/-odd']);
    expect(request).toMatchObject({ pool: 'tank', name: '-odd' });
  });

  it('takes a value that starts with a dash as the value of the flag before it', async () => {
    expect(await refused(['volume', 'create', 'tank/vm1', '--size', '-5G'])).toMatchObject({ field: '--size', message: expect.stringMatching(/^--size: .*negative/) });
  });

  it('reads --no-wait and --no-space-mode as flags of their own, absent unless given', async () => {
    const agent = recordingAgent({ deleteVolume: { volume: null, jobId: 'j1' } });
    const { io } = memoryIo();
    expect(await runCli(['volume', 'delete', 'tank/vm1', '--no-wait'], io, { connect: agent.connect })).toBe(0);
    expect(agent.calls.map((call) => call.method)).toEqual(['deleteVolume']);
    expect((await sent(['pool', 'create', 'tank', '--device', '/dev/sdb'])).request).not.toHaveProperty('noSpaceMode');
    expect((await sent(['pool', 'create', 'tank', '--no-space-mode=error', '--device', '/dev/sdb'])).request).toMatchObject({ noSpaceMode: 'error' });
  });
});

describe('mistakes', () => {
  it.each<[string, readonly string[], string, string | null]>([
    ['a global flag without its value', ['pool', 'list', '--agent'], '--agent needs a value (SOCKET|ADDR)', '--agent'],
    ['a value for a global boolean flag', ['pool', 'list', '--json=yes'], '--json takes no value', '--json'],
    ['a global flag given twice', ['--timeout', '5', 'pool', 'list', '--timeout=6'], '--timeout given more than once', '--timeout'],
    ['an unknown flag before the command words', ['--bogus', 'pool', 'list'], 'unknown flag --bogus', '--bogus'],
    ['an unknown flag with a value after =', ['volume', 'list', '--bogus=1'], 'unknown flag --bogus for thinfleet volume list', '--bogus'],
    ['a command flag between the command words', ['volume', '--size', '1G', 'create', 'tank/vm1'], 'unknown flag --size for thinfleet volume', '--size'],
    ['an unknown short flag', ['pool', 'list', '-x'], 'unknown flag -x', '-x'],
    ['an argument to a command that takes none', ['pool', 'list', 'tank'], 'unexpected argument "tank"', null],
    ['an unknown command after a global flag', ['--json', 'frobnicate'], 'unknown command "frobnicate" (see thinfleet --help)', null],
  ])('%s', async (_title, argv, message, field) => {
    expect(await refused(argv)).toMatchObject({ message, field });
  });

  it('reports a wrong number of arguments only after the route is checked, as before', async () => {
    expect(await refused(['--agent', 'node-2:9745', 'volume', 'show'])).toMatchObject({ field: '--tls-ca' });
    expect(await refused(['volume', 'show'])).toMatchObject({ message: 'missing POOL/NAME', field: 'POOL/NAME' });
  });

  it('reports an unknown flag before a missing argument', async () => {
    expect(await refused(['volume', 'show', '--bogus'])).toMatchObject({ field: '--bogus' });
  });
});

describe('help and version win over a missing argument or command', () => {
  it.each([[['volume', 'delete', '--help']], [['help', 'volume', 'delete']], [['-h', 'volume', 'delete', 'a', 'b', 'c']]])('%j is the command help', async (argv) => {
    const { io, stdout, stderr } = memoryIo();
    expect(await runCli(argv, io)).toBe(0);
    expect(stdout()).toMatch(/^Usage: thinfleet \[GLOBAL FLAGS\] volume delete POOL\/NAME/);
    expect(stderr()).toBe('');
  });

  it('shows the group help for a group with --help, and the overview with --help alone', async () => {
    const group = memoryIo();
    expect(await runCli(['--help', 'pool'], group.io)).toBe(0);
    expect(group.stdout()).toMatch(/^Usage: thinfleet \[GLOBAL FLAGS\] pool COMMAND/);
    const overview = memoryIo();
    expect(await runCli(['--json', '--help'], overview.io)).toBe(0);
    expect(overview.stdout()).toMatch(/^thinfleet: /);
  });

  it('prints the version even after a group without its command', async () => {
    const { io, stdout } = memoryIo();
    expect(await runCli(['pool', '--version'], io)).toBe(0);
    expect(stdout()).toMatch(/^thinfleet \d+\.\d+\.\d+\n$/);
  });

  it('still refuses an unknown flag when help is asked for', async () => {
    const { io, stdout, stderr } = memoryIo();
    expect(await runCli(['volume', 'list', '--bogus', '--help'], io)).toBe(2);
    expect(stdout()).toBe('');
    expect(stderr()).toBe('thinfleet: unknown flag --bogus for thinfleet volume list (field: --bogus)\n');
  });
});
