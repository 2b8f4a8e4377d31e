/**
 * Stopping a gRPC server the way both daemons do: let calls in flight finish, but not forever.
 */
import type { Server } from '@grpc/grpc-js';

/**
 * Stops `server` accepting calls and resolves once the calls in flight have finished, or after
 * `graceMs`, when the rest are cancelled (forceShutdown). Never rejects. Idempotent: a server
 * already shut down resolves at once.
 */
export function shutdownServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
