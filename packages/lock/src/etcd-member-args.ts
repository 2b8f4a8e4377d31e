/**
 * etcd's command line for a one-member cluster on the loopback interface: what the
 * coordinator's embedded etcd and the tests' etcd servers share. Each adds its own tuning.
 */

/** Where a one-member etcd keeps its data and listens. */
export interface EtcdMember {
  name: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
}

/**
 * The arguments that make `member` a new one-member cluster serving clients at
 * http://127.0.0.1:clientPort, logging warnings and worse to stderr. Pure.
 */
export function singleMemberEtcdArgs(member: EtcdMember): string[] {
  const clientUrl = `http://127.0.0.1:${member.clientPort}`;
  const peerUrl = `http://127.0.0.1:${member.peerPort}`;
  return [
    '--name',
    member.name,
    '--data-dir',
    member.dataDir,
    '--listen-client-urls',
    clientUrl,
    '--advertise-client-urls',
    clientUrl,
    '--listen-peer-urls',
    peerUrl,
    '--initial-advertise-peer-urls',
    peerUrl,
    '--initial-cluster',
    `${member.name}=${peerUrl}`,
    '--initial-cluster-state',
    'new',
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
    '--log-level',
    'warn',
  ];
}
