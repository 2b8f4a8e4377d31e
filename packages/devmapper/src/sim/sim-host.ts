/**
 * Opens the simulated kernel's two faces together. `stateDir` holds what a kernel keeps in
 * memory; see SimKernel.
 */
import type { BlockClient } from '../block-client.js';
import { SimBlockClient } from './sim-block-client.js';
import { SimDmClient } from './sim-dm-client.js';
import { SimKernel } from './sim-kernel.js';

export interface SimHost {
  readonly dm: SimDmClient;
  readonly block: BlockClient;
  readonly kernel: SimKernel;
  /** Closes file handles; the state stays in stateDir. */
  close(): void;
}

/** Opens the simulated host whose kernel memory is kept in `stateDir` (created if missing). */
export async function openSimHost(stateDir: string): Promise<SimHost> {
  const kernel = await SimKernel.open(stateDir);
  return { dm: new SimDmClient(kernel), block: new SimBlockClient(kernel), kernel, close: () => kernel.close() };
}
