/**
 * Asks the coordinator which pools the cluster's registry knows (ClusterService.ClusterStatus),
 * so that `CreatePool{force}` never overwrites the label of a pool another host uses. One short
 * call per question; nothing is cached, since the registry may change at any time.
 */
import { Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadCoordinatorApi } from '@thinfleet/proto';
import type { ClusterConfig } from '../agent-config.js';
import { AgentError } from '../agent-error.js';
import { coordinatorCredentials } from './coordinator-endpoints.js';

/** A pool as the cluster's registry names it. */
export interface RegistryPool {
  readonly name: string;
  readonly uuid: string;
}

/** How long the question may take before the answer is "cannot ask". */
const LOOKUP_DEADLINE_MS = 5000;

/**
 * A function that lists the cluster registry's pools, or rejects with CLUSTER_UNAVAILABLE
 * when the coordinator cannot be asked (the caller then refuses rather than guesses).
 */
export function clusterPoolLookup(config: Pick<ClusterConfig, 'coordinators' | 'tls'>): () => Promise<RegistryPool[]> {
  const clients = new Map<string, Client>();
  const ask = (address: string): Promise<RegistryPool[]> =>
    new Promise<RegistryPool[]>((resolve, reject) => {
      let client = clients.get(address);
      try {
        client ??= new (loadCoordinatorApi().ClusterService)(address, coordinatorCredentials(config.tls)) as unknown as Client;
        clients.set(address, client);
      } catch (err) {
        reject(new AgentError('CLUSTER_UNAVAILABLE', `cannot ask the cluster registry which pools exist: ${(err as Error).message}`, { cause: err }));
        return;
      }
      const call = (client as unknown as Record<string, (r: unknown, m: Metadata, o: { deadline: Date }, cb: (err: ServiceError | null, res: { pools?: RegistryPool[] }) => void) => void>)
        .ClusterStatus!;
      call.call(client, {}, new Metadata(), { deadline: new Date(Date.now() + LOOKUP_DEADLINE_MS) }, (err, res) => {
        if (err !== null) {
          reject(new AgentError('CLUSTER_UNAVAILABLE', `cannot ask the cluster registry which pools exist (coordinator ${address}: ${err.details || err.message})`, { cause: err }));
          return;
        }
        resolve((res.pools ?? []).map((p) => ({ name: p.name, uuid: p.uuid })));
      });
    });
  // Each coordinator in turn until one answers; the last one's refusal is the answer otherwise.
  return async () => {
    let last: unknown = null;
    for (const address of config.coordinators) {
      try {
        return await ask(address);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
}
