/**
 * The host watchdog of an agent in cluster mode (docs/agent.md, "Fencing"): the start-up check
 * of `watchdogDevice`, and the watchdog the backend provides for it. The device is never opened
 * here: it is opened (armed) only once a pool is held (lease-watchdog.ts).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { NativeHostWatchdog, SimHostWatchdog, SimKernel, type DmClient, type HostWatchdog } from '@thinfleet/devmapper';
import type { Logger } from 'pino';
import { AgentConfigError } from '../agent-config.js';
import type { SessionClock } from './session-clock.js';

/** How to make the watchdog work on a host without one, for the refusal messages. */
const HOW_TO_FIX =
  'load a watchdog driver (the hardware one, or `modprobe softdog`), or set "fencing": "none" in the agent config to run without this backstop (a dead or hung agent then leaves its pools live in this kernel)';

/**
 * Checks, without opening it, that `path` can be this host's watchdog: a character device for
 * the kernel's device-mapper; for the simulated one (whose watchdog opens nothing) a FIFO or a
 * plain file stands in as well, as in tests.
 * @throws AgentConfigError naming `watchdogDevice`, saying how to fix it
 */
export function checkWatchdogDevice(path: string, simulated: boolean): void {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new AgentConfigError(`watchdogDevice ${path}: cannot use it (${code}); cluster mode with "fencing": "watchdog" needs a host watchdog: ${HOW_TO_FIX}`, 'watchdogDevice', {
      cause: err,
    });
  }
  if (stat.isCharacterDevice()) return;
  if (simulated && (stat.isFIFO() || stat.isFile())) return;
  throw new AgentConfigError(`watchdogDevice ${path}: not a character device; cluster mode with "fencing": "watchdog" needs a host watchdog: ${HOW_TO_FIX}`, 'watchdogDevice');
}

/** What makes the backend's watchdog. */
export interface HostWatchdogBackend {
  readonly simulated: boolean;
  readonly dm: DmClient;
  /** The agent's state directory (the simulated kernel's memory is in `sim-kernel/` there). */
  readonly stateDir: string;
  readonly devicePath: string;
  readonly clock: SessionClock;
  readonly logger: Logger;
  /** What the simulated watchdog's firing does (default {@link resetSimulatedHost}). */
  readonly onSimulatedFire?: () => void;
}

/**
 * The watchdog for the backend: dm-native's thread over `devicePath` for the kernel's
 * device-mapper, SimHostWatchdog on the session clock for the simulated one. Opens nothing.
 */
export function backendHostWatchdog(backend: HostWatchdogBackend): HostWatchdog {
  if (!backend.simulated) return new NativeHostWatchdog(backend.devicePath);
  return new SimHostWatchdog({
    dm: backend.dm,
    clock: backend.clock,
    devicePath: backend.devicePath,
    onFire: backend.onSimulatedFire ?? (() => resetSimulatedHost(backend.stateDir, backend.logger)),
  });
}

/**
 * What a fired watchdog does to a simulated host: what a reset does to a real one. The
 * simulated kernel lives in the agent's process and its memory in `<stateDir>/sim-kernel`: that
 * memory is forgotten (every device-mapper device is gone, the disk files keep what was
 * committed, as after a reboot) and the process exits at once with status 70, before anything
 * could write the memory again; systemd (or the test) starts the agent afresh on a host with no
 * devices. Logged at fatal first.
 */
export function resetSimulatedHost(stateDir: string, logger: Logger): never {
  logger.fatal({ stateDir }, 'SIMULATED HOST WATCHDOG FIRED: the simulated host is reset (its device-mapper devices are dropped) and the agent exits');
  SimKernel.reboot(join(stateDir, 'sim-kernel'));
  process.exit(70);
}
