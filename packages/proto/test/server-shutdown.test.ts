/**
 * shutdownServer: an idle server stops at once; a call that never finishes is cancelled once the
 * grace period is over, and not before.
 */
import { credentials, Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadAgentApi, shutdownServer } from '../src/index.js';

/** A server whose Health.Watch never ends (until cancelled), on a free loopback port. */
async function hangingServer(): Promise<{ server: Server; port: number; cancelled: Promise<void> }> {
  const server = new Server();
  let onCancelled: () => void = () => {};
  const cancelled = new Promise<void>((resolve) => {
    onCancelled = resolve;
  });
  server.addService(loadAgentApi().Health.service, {
    Check: (_call: unknown, callback: (err: null, value: unknown) => void) => callback(null, { status: 'SERVING' }),
    Watch: (call: ServerWritableStream<unknown, unknown>) => {
      call.write({ status: 'SERVING' });
      call.on('cancelled', onCancelled);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { server, port, cancelled };
}

describe('shutdownServer', () => {
  it('stops an idle server at once', async () => {
    const { server } = await hangingServer();
    const startedMs = performance.now();
    await shutdownServer(server, 5_000);
    expect(performance.now() - startedMs).toBeLessThan(1_000);
    await shutdownServer(server, 5_000); // again: already stopped
  });

  it('waits the grace period for a call in flight, then cancels it', async () => {
    const { server, port, cancelled } = await hangingServer();
    const client = new (loadAgentApi().Health)(`127.0.0.1:${port}`, credentials.createInsecure());
    const stream = client.Watch({ service: '' });
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.on('error', () => {});
    const startedMs = performance.now();
    await shutdownServer(server, 400);
    const tookMs = performance.now() - startedMs;
    expect(tookMs).toBeGreaterThanOrEqual(350);
    await cancelled; // the handler saw its call cancelled (the test times out otherwise)
    client.close();
  });
});
