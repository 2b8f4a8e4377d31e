/**
 * An etcd client set up for the lock: no circuit breaker (etcd3's default stops every call for
 * 5 s after three failures, which would turn a short network fault into a long lock stall), one
 * quick retry on another endpoint, and watch reconnects backing off to at most 1 s, so a waiter
 * sees a released lock soon after etcd is reachable again.
 */
import { ExponentialBackoff, noop, retry, handleWhen } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';

export interface LockEtcdOptions {
  /** `http://host:port` or `https://host:port` endpoints of one etcd cluster. */
  readonly endpoints: readonly string[];
  /** PEM contents for TLS to etcd (production): the CA, and this client's certificate and key. */
  readonly tls?: { readonly ca: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  /** Per-call deadline for unary calls (default 5000 ms). */
  readonly callTimeoutMs?: number;
}

/** A new etcd client; the caller closes it (`close()`) after the sessions on it. */
export function connectEtcd(options: LockEtcdOptions): Etcd3 {
  const callTimeoutMs = options.callTimeoutMs ?? 5000;
  return new Etcd3({
    hosts: [...options.endpoints],
    ...(options.tls === undefined ? {} : { credentials: { rootCertificate: options.tls.ca, certChain: options.tls.cert, privateKey: options.tls.key } }),
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: {
      host: () => noop,
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 1 }),
      watchBackoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }).next(),
    },
  });
}
