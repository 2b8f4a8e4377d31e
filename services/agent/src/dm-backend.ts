/**
 * Chooses the device-mapper the agent drives: the kernel's through the native binding, or the
 * simulated one (an in-process kernel model whose memory lives in `<stateDir>/sim-kernel`).
 * `auto` means the kernel's, and refuses to start without it rather than silently simulating.
 */
import { join } from 'node:path';
import { NativeBlockClient, NativeDmClient, openSimHost, type BlockClient, type DmClient } from '@thinfleet/devmapper';
import { hasDeviceMapper } from '@thinfleet/dm-native';
import { AgentConfigError, type DmBackendKind } from './agent-config.js';

export interface DmBackend {
  /** Which backend this is, for logs and the info metric's label only: ask `simulated` to decide anything. */
  readonly kind: 'native' | 'sim';
  /**
   * True when the device-mapper is the in-process model, not the kernel: no /dev/mapper devices
   * exist (volumes say so, `Volume.device_simulated`, and the agent warns at start).
   */
  readonly simulated: boolean;
  readonly dm: DmClient;
  readonly block: BlockClient;
  /** Releases file handles (the simulated kernel's); the kernel's state stays. */
  close(): void;
}

/**
 * Opens the backend `kind` asks for.
 * @throws AgentConfigError when `native` or `auto` is asked on a host without device-mapper,
 *   or when the agent is not root (the ioctls need CAP_SYS_ADMIN)
 */
export async function openDmBackend(kind: DmBackendKind, stateDir: string): Promise<DmBackend> {
  if (kind === 'sim') {
    const host = await openSimHost(join(stateDir, 'sim-kernel'));
    return { kind: 'sim', simulated: true, dm: host.dm, block: host.block, close: () => host.close() };
  }
  if (!hasDeviceMapper()) {
    throw new AgentConfigError(
      'this host has no device-mapper (/dev/mapper/control is missing or has no driver): load it with `modprobe dm_thin_pool` as root, or start the agent with --dm sim for the simulated one',
      'dm',
    );
  }
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    throw new AgentConfigError('the native device-mapper needs root (CAP_SYS_ADMIN); run the agent as root, or with --dm sim', 'dm');
  }
  return { kind: 'native', simulated: false, dm: new NativeDmClient(), block: new NativeBlockClient(), close: () => {} };
}
