#!/usr/bin/env node
/**
 * One lock node as a real process, for the fault and history tests (driven by lock-node.ts).
 *
 *   node lock-worker.mjs '<json config>'
 *
 * config: {
 *   endpoint: string,        etcd's URL, or a test proxy's in front of it
 *   nodeId: string,          this node's id (recorded as the holder in each lock's epoch)
 *   prefix: string,          key prefix of the locks (one per test, so tests do not meet)
 *   ttlSeconds?: number, marginMs?: number, lockDelayMs?: number, callTimeoutMs?: number
 * }
 *
 * It runs against the built package (`@thinfleet/lock` resolves to packages/lock/dist), opens
 * one LockSession and follows line commands on stdin, each answered by JSON lines on stdout:
 *
 *   take NAME     -> {"event":"granted","name","token","dirty","previousHolderDied","previousHolder","at"}
 *                    or {"event":"error","command":"take","name","code","message","at"}
 *   release NAME  -> {"event":"released","name","released":bool,"startedAt","at"} or an error;
 *                    startedAt is when release() was called (no writes under the lock after it)
 *   write NAME    -> {"event":"write","name","token":string|null,"deadlineLeftMs","at"}: the token
 *                    this node would put on a write to the pool now (null: it does not hold it)
 *   exit          -> releases what it holds (a "released" line each), closes the session,
 *                    {"event":"closed","at"}, exits 0 (end of stdin does the same)
 *
 * Unprompted lines: {"event":"ready","nodeId","lease","at"} once the session is open,
 * {"event":"lost","name","message","at"} when a held or queued lock is lost,
 * {"event":"session-lost","message","at"}, {"event":"contention","name","waiters","at"},
 * {"event":"waiting","name","at"} when a queued take watches the key before its own.
 * A session that cannot be opened prints {"event":"error","command":"open",...} and exits 2.
 *
 * Tokens are decimal strings. `at` is wall-clock ms (performance.timeOrigin + performance.now():
 * monotonic within the process, and comparable across processes on one host because
 * timeOrigin is the wall clock at process start), taken when the line is written.
 */
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { connectEtcd, LockSession } from '@thinfleet/lock';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const wallMs = () => performance.timeOrigin + performance.now();

/** One line to the parent; stdout is a pipe, so the write is synchronous and in order. */
const say = (event) => process.stdout.write(`${JSON.stringify({ ...event, at: wallMs() })}\n`);

const errorLine = (command, name, err) => ({
  event: 'error',
  command,
  name,
  code: err?.code ?? err?.name ?? 'ERROR',
  message: String(err?.message ?? err),
});

const etcd = connectEtcd({ endpoints: [cfg.endpoint], ...(cfg.callTimeoutMs === undefined ? {} : { callTimeoutMs: cfg.callTimeoutMs }) });
let session;
try {
  session = await LockSession.open({
    etcd,
    nodeId: cfg.nodeId,
    prefix: cfg.prefix,
    ...(cfg.ttlSeconds === undefined ? {} : { ttlSeconds: cfg.ttlSeconds }),
    ...(cfg.marginMs === undefined ? {} : { marginMs: cfg.marginMs }),
    ...(cfg.lockDelayMs === undefined ? {} : { lockDelayMs: cfg.lockDelayMs }),
  });
} catch (err) {
  say(errorLine('open', null, err));
  process.exit(2);
}
session.on('lost', (err) => say({ event: 'session-lost', message: err.message }));

/** Lock names whose events this process already listens to. */
const watched = new Set();

function lockOf(name) {
  const lock = session.lock(name);
  if (!watched.has(name)) {
    watched.add(name);
    lock.on('lost', (err) => say({ event: 'lost', name, message: err.message }));
    lock.on('contention', (waiters) => say({ event: 'contention', name, waiters }));
    lock.on('waiting', () => say({ event: 'waiting', name }));
  }
  return lock;
}

async function take(name) {
  try {
    const grant = await lockOf(name).take();
    say({
      event: 'granted',
      name,
      token: grant.token.toString(),
      dirty: grant.dirty,
      previousHolderDied: grant.previousHolderDied,
      previousHolder: grant.previousHolder,
    });
  } catch (err) {
    say(errorLine('take', name, err));
  }
}

async function release(name) {
  // From here on the node does not write under the lock (`held` is null while releasing).
  const startedAt = wallMs();
  try {
    say({ event: 'released', name, released: await lockOf(name).release(), startedAt });
  } catch (err) {
    say(errorLine('release', name, err));
  }
}

function write(name) {
  const held = lockOf(name).held;
  say({ event: 'write', name, token: held === null ? null : held.token.toString(), deadlineLeftMs: session.deadlineMs - session.now() });
}

let exiting = false;
async function exit() {
  if (exiting) return;
  exiting = true;
  for (const name of watched) {
    if (session.lock(name).held !== null) await release(name);
  }
  await session.close();
  etcd.close();
  say({ event: 'closed' });
  process.exit(0);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [command, name, ...rest] = line.trim().split(/\s+/);
  if (command === '' || command === undefined) return;
  if (command === 'exit') {
    void exit();
    return;
  }
  if (name === undefined || rest.length > 0 || !['take', 'release', 'write'].includes(command)) {
    say(errorLine(command, name ?? null, new Error(`unknown command: ${line}`)));
    return;
  }
  if (command === 'take') void take(name);
  else if (command === 'release') void release(name);
  else {
    try {
      write(name);
    } catch (err) {
      say(errorLine('write', name, err));
    }
  }
});
lines.on('close', () => void exit());

say({ event: 'ready', nodeId: cfg.nodeId, lease: session.leaseHex });
