/**
 * Boots one guest of the two-host tier (vm.mjs's runInVm) with what makes it a cluster host:
 *
 * - every shared image as virtio-blk with `share-rw=on`, `cache=none` and image locking off (so
 *   two qemus may open it read-write; O_DIRECT on the host, so the other guest reads what this
 *   one wrote), in the same order in both guests (/dev/vda, /dev/vdb, ...);
 * - an emulated watchdog, `-device i6300esb -action watchdog=poweroff` (/dev/watchdog);
 * - QMP on a unix socket, watched from the start (qmp.mjs): the WATCHDOG event and qemu's exit
 *   time are the host-side proof of when the guest stopped;
 * - one restricted user-mode NIC (restrict=on, net=192.0.2.0/24, a documentation range) whose
 *   only ways out are guestfwd to the coordinators' relays and the control server on host loopback, and
 *   hostfwd from 127.0.0.1:agentPort to the agent's TCP port 9747 in the guest.
 */
import { join } from 'node:path';
import { runInVm } from '../vm.mjs';
import { watchQmp } from './qmp.mjs';

/** In the guest: where the host's coordinators (through the tier's relays) and control server appear. */
export const GUEST_COORDINATORS = ['192.0.2.100:9750', '192.0.2.100:9752'];
export const GUEST_CONTROL = '192.0.2.100:9751';
/** The agent's TCP port inside the guest. */
export const GUEST_AGENT_PORT = 9747;

/** Where a guestfwd connection goes: a fresh `nc` to a port on host loopback per connection. */
const toLoopback = (port) => `cmd:/bin/busybox nc 127.0.0.1 ${port}`;

/**
 * @param {object} opts
 * @param {string} opts.name            guest name (a, b, a2 ...): the control channel's hello
 * @param {string[]} opts.images        shared raw images, in device order
 * @param {string} opts.runDir          where the QMP socket goes (host path)
 * @param {number[]} opts.coordinatorPorts host loopback ports behind GUEST_COORDINATORS, in order
 * @param {number} opts.controlPort     host loopback port of the control server
 * @param {number} opts.agentPort       host loopback port forwarded to the guest's agent
 * @param {number} [opts.memMiB=1536]
 * @param {number} [opts.timeoutSec=900]
 * @param {(text: string) => void} [opts.onOutput]
 * @returns {Promise<{name: string, qmp: object, done: Promise<object>, exitedAtMs: () => number|undefined, kill: () => void}>}
 *   `done` resolves runInVm's result plus `exitedAtMs` (host time qemu ended); `kill` stops qemu
 */
export async function bootGuest({ name, images, runDir, coordinatorPorts, controlPort, agentPort, memMiB = 1536, timeoutSec = 900, onOutput }) {
  const qmpPath = join(runDir, `qmp-${name}.sock`);
  const drives = images.flatMap((image, i) => ['-drive', `file=${image},format=raw,if=none,id=d${i},cache=none,file.locking=off`, '-device', `virtio-blk-pci,drive=d${i},share-rw=on`]);
  const nic = [
    'user',
    'model=virtio-net-pci',
    'net=192.0.2.0/24',
    'restrict=on',
    'ipv6=off',
    ...coordinatorPorts.map((port, i) => `guestfwd=tcp:${GUEST_COORDINATORS[i]}-${toLoopback(port)}`),
    `guestfwd=tcp:${GUEST_CONTROL}-${toLoopback(controlPort)}`,
    `hostfwd=tcp:127.0.0.1:${agentPort}-:${GUEST_AGENT_PORT}`,
  ].join(',');
  const extraQemuArgs = [...drives, '-device', 'i6300esb', '-action', 'watchdog=poweroff', '-qmp', `unix:${qmpPath},server=on,wait=off`, '-nic', nic];
  let exitedAtMs;
  const stop = new AbortController();
  const done = runInVm({
    command: [process.execPath, 'test/vm/two-host/guest-main.mjs', '--name', name],
    memMiB,
    smp: 1,
    timeoutSec,
    extraQemuArgs,
    signal: stop.signal,
    onOutput: onOutput ?? ((text) => process.stdout.write(text.replace(/^/gm, `[vm ${name}] `))),
  }).then((result) => {
    exitedAtMs = Date.now();
    return { ...result, exitedAtMs };
  });
  const qmp = await Promise.race([watchQmp(qmpPath), done.then((r) => Promise.reject(new Error(`guest ${name}: qemu ended (exit ${r.exitCode}) before its QMP socket answered`)))]);
  return { name, qmp, done, exitedAtMs: () => exitedAtMs, kill: () => stop.abort() };
}
