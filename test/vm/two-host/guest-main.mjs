/**
 * The guest side of the two-host tier: the command each qemu guest runs (through vm.mjs's job
 * script, chrooted into the host's root). Brings up eth0 on the restricted user network
 * (192.0.2.15/24; the host is reachable only at the guestfwd address 192.0.2.100), dials the
 * host's control server (control-server.mjs) and runs the host's commands until told to stop:
 *
 *   exec {argv, timeoutMs}        a program; answers {code, signal, stdout, stderr}
 *   setWatchdogTimeout {device, seconds}  the operator's step before the agent starts: the
 *                                 device's timeout set with `wdctl -s` (which closes it with the
 *                                 magic 'V', leaving it disarmed); answers sysfs's timeout
 *   startAgent {config}           writes /tmp/tf/agent.json and starts thinfleet-agent; its log
 *                                 lines come back as `agent-log` events, its end as `agent-exit`
 *   signalAgent {signal}          kill(2) of the agent (SIGKILL, SIGSTOP, SIGCONT, SIGTERM)
 *   startWriter {device, ...}     writer.mjs on a volume; each acknowledged write comes back as an
 *                                 `ack` event (the pattern log), its end as `writer-exit`
 *   stopWriter                    SIGTERM to the writer; answers once it exited
 *   readBack {device, records}    reads every record's block with O_DIRECT and compares
 *   bye                           ends this process (the guest then powers off)
 *
 *   node test/vm/two-host/guest-main.mjs --name NAME [--control 192.0.2.100:9751]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkArgs } from '../../support/args.mjs';
import { checkBlock } from './pattern.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const opts = { name: '', control: '192.0.2.100:9751' };
walkArgs(process.argv.slice(2), (a, value) => {
  if (a === '--name') opts.name = value();
  else if (a === '--control') opts.control = value();
  else throw new Error(`unknown option ${a}`);
});
if (!opts.name) throw new Error('--name is required');

const say = (text) => process.stdout.write(`[guest ${opts.name}] ${text}\n`);

function sh(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
}
sh(['ip', 'addr', 'add', '192.0.2.15/24', 'dev', 'eth0']);
sh(['ip', 'link', 'set', 'eth0', 'up']);

const [host, port] = [opts.control.slice(0, opts.control.lastIndexOf(':')), Number(opts.control.slice(opts.control.lastIndexOf(':') + 1))];
let socket;
for (let attempt = 1; ; attempt++) {
  try {
    socket = await new Promise((resolve, reject) => {
      const s = connect({ host, port });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    break;
  } catch (err) {
    if (attempt >= 100) throw err;
    await new Promise((r) => setTimeout(r, 100));
  }
}
socket.setNoDelay(true);
const send = (msg) => socket.write(`${JSON.stringify(msg)}\n`);
send({ hello: opts.name, kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim() });
say('control channel up');

let agent;
let writer;

/** Forwards a child's output line by line as events of `kind`. */
function forwardLines(stream, onLine) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
}

function run(argv, timeoutMs = 60_000) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => resolve({ code: -1, signal: null, stdout, stderr: `${stderr}${err.message}` }));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const commands = {
  exec: ({ argv, timeoutMs }) => run(argv, timeoutMs),

  async setWatchdogTimeout({ device, seconds }) {
    const r = await run(['wdctl', '-s', String(seconds), device]);
    if (r.code !== 0) throw new Error(`wdctl -s ${seconds} ${device}: exit ${r.code}: ${r.stderr.trim()}`);
    return { timeoutSeconds: Number(readFileSync('/sys/class/watchdog/watchdog0/timeout', 'utf8').trim()) };
  },

  startAgent({ config }) {
    if (agent && agent.exitCode === null && agent.signalCode === null) throw new Error('the agent is already running');
    const dir = '/tmp/tf';
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'agent.json');
    writeFileSync(file, JSON.stringify(config));
    agent = spawn(process.execPath, [join(repo, 'services/agent/bin/thinfleet-agent.mjs'), '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const onLine = (line) => send({ event: 'agent-log', line });
    forwardLines(agent.stdout, onLine);
    forwardLines(agent.stderr, onLine);
    agent.once('exit', (code, signal) => send({ event: 'agent-exit', code, signal }));
    return { pid: agent.pid };
  },

  signalAgent({ signal }) {
    if (!agent) throw new Error('no agent was started');
    process.kill(agent.pid, signal);
    return { pid: agent.pid, signal };
  },

  startWriter(args) {
    if (writer && writer.exitCode === null && writer.signalCode === null) throw new Error('a writer is already running');
    const argv = [
      join(here, 'writer.mjs'),
      '--device',
      args.device,
      '--tag',
      args.tag,
      '--slots',
      String(args.slots),
      '--stride',
      String(args.strideBytes),
      '--rate',
      String(args.perSecond),
    ];
    writer = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    forwardLines(writer.stdout, (line) => {
      try {
        send({ event: 'ack', tag: args.tag, ...JSON.parse(line) });
      } catch {
        send({ event: 'writer-log', tag: args.tag, line });
      }
    });
    forwardLines(writer.stderr, (line) => send({ event: 'writer-log', tag: args.tag, line }));
    const w = writer;
    w.once('exit', (code, signal) => send({ event: 'writer-exit', tag: args.tag, code, signal }));
    return { pid: w.pid };
  },

  async stopWriter() {
    const w = writer;
    if (!w || w.exitCode !== null || w.signalCode !== null) return { running: false };
    const exited = new Promise((resolve) => w.once('exit', (code, signal) => resolve({ code, signal })));
    w.kill('SIGTERM');
    return { running: true, ...(await exited) };
  },

  async readBack({ device, records }) {
    const mismatches = [];
    for (const rec of records) {
      const problem = await checkBlock(device, rec);
      if (problem !== null) mismatches.push({ ...rec, problem });
    }
    return { checked: records.length, mismatchCount: mismatches.length, mismatches: mismatches.slice(0, 10) };
  },

  bye() {
    setTimeout(() => {
      for (const child of [agent, writer]) child?.kill('SIGKILL');
      socket.end();
      process.exit(0);
    }, 50);
    return {};
  },
};

forwardLines(socket, async (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  const fn = commands[msg.cmd];
  try {
    if (fn === undefined) throw new Error(`unknown command ${msg.cmd}`);
    send({ id: msg.id, ok: true, result: await fn(msg) });
  } catch (err) {
    send({ id: msg.id, ok: false, error: err.message });
  }
});
socket.on('close', () => {
  say('control channel closed; stopping');
  for (const child of [agent, writer]) child?.kill('SIGKILL');
  process.exit(0);
});
