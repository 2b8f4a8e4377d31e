/**
 * A QMP (qemu's machine protocol) listener for one guest: connects to the unix socket qemu serves
 * (`-qmp unix:SOCK,server=on,wait=off`), enters command mode and records every event with the
 * host's receive time. The two-host tier reads the WATCHDOG event from it: qemu exits 0 whether
 * the guest powered itself off or its watchdog did, so the event is the only host-side proof.
 */
import { connect } from 'node:net';

/**
 * @typedef {object} QmpEvent
 * @property {string} event        qemu's event name (WATCHDOG, SHUTDOWN, ...)
 * @property {object} [data]       the event's data (WATCHDOG: `{action: "poweroff"}`)
 * @property {number} qemuTimeMs   qemu's own timestamp of the event (host realtime clock), ms
 * @property {number} receivedAtMs when this process read it (Date.now())
 */

/**
 * Connects to the QMP socket at `path`, retrying while qemu has not made it yet (up to
 * `timeoutMs`). Never throws after connecting: a closed socket just ends the recording.
 * @param {string} path
 * @param {{timeoutMs?: number, onEvent?: (e: QmpEvent) => void}} [options]
 * @returns {Promise<{events: QmpEvent[], first: (name: string) => QmpEvent | undefined, close: () => void}>}
 */
export async function watchQmp(path, { timeoutMs = 20_000, onEvent } = {}) {
  const deadline = Date.now() + timeoutMs;
  let socket;
  for (;;) {
    try {
      socket = await new Promise((resolve, reject) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`QMP socket ${path}: ${err.message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const events = [];
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line) continue;
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (msg.QMP) socket.write('{"execute":"qmp_capabilities"}\n');
      if (typeof msg.event === 'string') {
        const ts = msg.timestamp ?? {};
        const e = { event: msg.event, data: msg.data, qemuTimeMs: (ts.seconds ?? 0) * 1000 + (ts.microseconds ?? 0) / 1000, receivedAtMs: Date.now() };
        events.push(e);
        onEvent?.(e);
      }
    }
  });
  return {
    events,
    first: (name) => events.find((e) => e.event === name),
    close: () => socket.destroy(),
  };
}
