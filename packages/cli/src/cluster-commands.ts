/**
 * `thinfleet cluster ...`: what the cluster coordinator knows about the cluster. Only through a
 * coordinator (--coordinator or THINFLEET_COORDINATOR).
 */
import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { clusterView } from './views.js';

/** The cluster commands, in help order. */
export const CLUSTER_COMMANDS: readonly CommandSpec[] = [
  {
    words: ['cluster', 'status'],
    arguments: [],
    options: {},
    via: 'coordinator',
    summary: 'show the hosts with live sessions and the pools: lock owner, token, waiters, hosts, space (needs --coordinator)',
    details:
      'Reads only. HOSTS: each host with a live session, its agent address, version and the pools it reaches. ' +
      'POOLS: the node holding the lock and its fencing token (- when nobody holds it), whether the owner serves the pool (READY), ' +
      'the nodes waiting for the lock in grant order, the nodes that reach the pool, data used/size and the volumes in the cluster index. ' +
      'With --json: the ClusterStatusResponse.',
    examples: ['--coordinator 127.0.0.1:9750 cluster status', '--coordinator coord-1:9750 --tls-ca ca.pem --tls-cert me.pem --tls-key me.key --json cluster status'],
    async run(context) {
      const response = await (await context.cluster()).clusterStatus();
      context.out.result(response, () => clusterView(response));
      return EXIT.OK;
    },
  },
];
