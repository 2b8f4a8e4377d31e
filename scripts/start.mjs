#!/usr/bin/env node
// The README's main job: runs the thinfleet agent on this host in the foreground.
// With the kernel's device-mapper when this host has one and we are root; otherwise with the
// simulated one (pools in their files under an in-process kernel model), said loudly. Extra arguments go
// to the agent (`npm start -- --log-level debug`). Stop it with Ctrl-C.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasDeviceMapper } from '@thinfleet/dm-native';
import { agentMain, DEFAULT_AGENT_CONFIG } from '@thinfleet/agent';

const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
const native = root && hasDeviceMapper();
const args = process.argv.slice(2);
const given = (flag) => args.includes(flag);

const defaults = [];
let stateDir = DEFAULT_AGENT_CONFIG.stateDir;
let socket = DEFAULT_AGENT_CONFIG.socket;
if (!root) {
  // Without root the system directories are not ours: keep everything per user.
  stateDir = join(process.env.XDG_STATE_HOME ?? join(process.env.HOME ?? '/tmp', '.local', 'state'), 'thinfleet');
  socket = join(process.env.XDG_RUNTIME_DIR ?? `/tmp/thinfleet-${process.getuid?.() ?? 'user'}`, 'thinfleet', 'agent.sock');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
}
if (!given('--state-dir')) defaults.push('--state-dir', stateDir);
if (!given('--socket')) defaults.push('--socket', socket);
if (!given('--dm')) defaults.push('--dm', native ? 'native' : 'sim');

const bar = '='.repeat(78);
const lines = [bar];
if (native) {
  lines.push("thinfleet agent: using the kernel's device-mapper.");
} else {
  lines.push('thinfleet agent: SIMULATED DEVICE-MAPPER');
  lines.push(root ? '  This host has no device-mapper (no dm_thin_pool driver),' : '  Not running as root,');
  lines.push('  so pools live in their backing files under an in-process model of dm-thin: nothing');
  lines.push('  appears under /dev/mapper; `thinfleet volume write|read POOL/NAME FILE` reach a');
  lines.push("  volume's content. Run as root on a host with dm_thin_pool for real volumes.");
}
const cli = root ? 'thinfleet' : `thinfleet --agent ${socket}`;
lines.push(
  '',
  `socket ${socket}   state ${stateDir}`,
  'In another terminal, for example:',
  `  truncate -s 2G ${join(stateDir, 'demo.img')}`,
  `  ${cli} pool create demo --device ${join(stateDir, 'demo.img')}`,
  `  ${cli} volume create demo/vm1 --size 10GiB --activate`,
  `  ${cli} volume snapshot demo/vm1 vm1-before-upgrade`,
  ...(native ? [] : [`  ${cli} volume write demo/vm1 /etc/os-release`]),
  `  ${cli} volume list`,
  bar,
);
console.error(lines.join('\n'));

process.exitCode = await agentMain([...defaults, ...args]);
setTimeout(() => process.exit(process.exitCode), 1000).unref();
