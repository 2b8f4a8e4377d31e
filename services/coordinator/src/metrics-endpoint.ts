/**
 * The coordinator's HTTP endpoint Prometheus scrapes: `GET`/`HEAD /metrics` answers the registry's
 * text exposition (500 with the message when rendering fails), other methods on it 405, other
 * paths 404. Plain HTTP without authentication: listen on loopback (the default 127.0.0.1:9751)
 * or a management network.
 *
 * The agent serves the same protocol (services/agent/src/metrics/metrics-server.ts). The two
 * services share no package below them that serves HTTP, so each keeps its own small endpoint:
 * a deliberate duplicate until such a package exists.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** A listening endpoint. */
export interface MetricsEndpoint {
  /** The scrape URL, e.g. `http://127.0.0.1:9751/metrics`. */
  readonly url: string;
  /** Stops listening and closes idle connections; resolves once open requests are answered. Idempotent. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (0: a free port). Resolves once listening; rejects with the listen
 * error (`EADDRINUSE`, ...) leaving nothing open.
 */
export async function startMetricsEndpoint(options: { host: string; port: number; registry: Registry; logger: Pick<Logger, 'warn'> }): Promise<MetricsEndpoint> {
  const { host, port, registry, logger } = options;
  const server: Server = createServer((req, res) => {
    const reply = (status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
      res.end(body);
    };
    if ((req.url ?? '/').split('?')[0] !== '/metrics') return reply(404, 'text/plain; charset=utf-8', 'not found: metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    registry.metrics().then(
      (text) => reply(200, registry.contentType, text),
      (err: unknown) => {
        logger.warn({ err }, 'rendering metrics failed');
        reply(500, 'text/plain; charset=utf-8', `rendering metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.warn({ err }, 'metrics server error'));
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
