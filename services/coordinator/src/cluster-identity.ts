/**
 * Who is on the other end of a session stream, and which cluster this coordinator serves:
 *
 * - the agent's credential: the SHA-256 fingerprint of its client certificate (mutual TLS), ''
 *   in plaintext. The lock session records it with the lease (packages/lock session-owner.ts),
 *   so only the same node with the same certificate resumes the session.
 * - the cluster id: one per lock space, created once in etcd (packages/lock cluster-id.ts), read
 *   once per coordinator. A Hello naming another cluster is refused before anything is done.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { CLUSTER_ID_PATTERN, ensureClusterId } from '@thinfleet/lock';
import type { Etcd3 } from 'etcd3';

/** A stream that may know its peer's certificate (grpc-js server calls do). */
interface WithAuthContext {
  getAuthContext?(): { sslPeerCertificate?: { fingerprint256?: string } } | null;
}

/** The peer certificate's SHA-256 fingerprint (lower-case hex, no colons); '' without TLS. */
export function peerCredential(stream: WithAuthContext): string {
  const fingerprint = stream.getAuthContext?.()?.sslPeerCertificate?.fingerprint256 ?? '';
  return fingerprint.replaceAll(':', '').toLowerCase();
}

/** A short, safe rendering of an id an agent sent (never more than 64 characters). */
const shown = (id: string): string => JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}…` : id);

/**
 * Refuses a Hello whose `cluster_id` is set and is not `ours`.
 * @throws Error with code INVALID_ARGUMENT (malformed) or FAILED_PRECONDITION (another cluster)
 */
export function checkHelloClusterId(theirs: string, ours: string): void {
  if (theirs === '') return;
  if (!CLUSTER_ID_PATTERN.test(theirs)) throw Object.assign(new Error(`cluster_id ${shown(theirs)} is not a cluster id`), { code: grpcStatus.INVALID_ARGUMENT });
  if (theirs !== ours) {
    throw Object.assign(new Error(`this coordinator serves cluster ${ours}, not the agent's cluster ${theirs}`), { code: grpcStatus.FAILED_PRECONDITION });
  }
}

/** The cluster id, read (or created) on first use and kept; a failed read is tried again next time. */
export function clusterIdOnce(etcd: Etcd3, lockPrefix: string): () => Promise<string> {
  let pending: Promise<string> | null = null;
  return () => {
    pending ??= ensureClusterId(etcd, lockPrefix).catch((err: unknown) => {
      pending = null;
      // UNAVAILABLE: the agent opens its stream again (here or at the next coordinator).
      throw Object.assign(new Error(`cannot read the cluster id from etcd: ${(err as Error).message}`, { cause: err }), { code: grpcStatus.UNAVAILABLE });
    });
    return pending;
  };
}
