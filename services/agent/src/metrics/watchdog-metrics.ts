/**
 * The cluster-mode fencing metrics (docs/agent.md, "Fencing"), read from the lease watchdog's
 * status at each scrape: how the host is fenced, and whether its watchdog is armed, how often it
 * was pet since it was armed, and whether its deadline passed while armed.
 */
import { Gauge, type Registry } from 'prom-client';
import type { LeaseWatchdogStatus } from '../cluster/lease-watchdog.js';

/** Registers the fencing gauges in `registry` (once per registry; cluster mode only). */
export class WatchdogMetrics {
  constructor(registry: Registry, status: () => LeaseWatchdogStatus) {
    const registers = [registry];
    const value = (pick: (s: LeaseWatchdogStatus) => number) =>
      function (this: Gauge): void {
        this.set(pick(status()));
      };
    new Gauge({
      name: 'thinfleet_fencing_info',
      help: 'How this host is fenced without its agent: fencing "watchdog" or "none" (no backstop); always 1.',
      labelNames: ['fencing'],
      registers,
      collect(this: Gauge): void {
        this.reset();
        this.set({ fencing: status().fencing }, 1);
      },
    });
    new Gauge({
      name: 'thinfleet_host_watchdog_armed',
      help: 'Whether the host watchdog is armed (1: a pool is held here) or not (0).',
      registers,
      collect: value((s) => (s.watchdog?.armed === true ? 1 : 0)),
    });
    new Gauge({ name: 'thinfleet_host_watchdog_pets', help: 'Times the host watchdog was pet since it was last armed.', registers, collect: value((s) => s.watchdog?.pets ?? 0) });
    new Gauge({
      name: 'thinfleet_host_watchdog_expired',
      help: 'Whether the lease deadline passed while the watchdog was armed (1: petting stopped, the host is reset unless disarmed).',
      registers,
      collect: value((s) => (s.watchdog?.expired === true ? 1 : 0)),
    });
    new Gauge({
      name: 'thinfleet_host_watchdog_timeout_seconds',
      help: 'The host watchdog timeout its device reported when last armed; 0 before.',
      registers,
      collect: value((s) => s.deviceTimeoutSeconds),
    });
  }
}
