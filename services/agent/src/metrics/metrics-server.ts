/**
 * The HTTP endpoint Prometheus scrapes: `GET /metrics` answers the registry's text exposition,
 * every other path 404. Plain HTTP with no authentication: listen on loopback (the default
 * 127.0.0.1:9746) or a management network.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/** The content type of the text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Address to listen on, e.g. `127.0.0.1`, `::1`, `0.0.0.0`. */
  readonly host: string;
  /** TCP port; 0 picks a free one (see the returned `port`). */
  readonly port: number;
  /** Produces the exposition text; a rejection answers 500 with its message. */
  readonly render: () => Promise<string>;
  /** Where render failures are reported (warn). */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** A listening metrics server. */
export interface MetricsServer {
  /** The scrape URL, e.g. `http://127.0.0.1:9746/metrics`. */
  readonly url: string;
  /** The port it listens on (the one picked when 0 was asked). */
  readonly port: number;
  /** Stops listening, closes idle connections and resolves once open requests are answered. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the metrics endpoint. Resolves once it listens; rejects with the listen error
 * (`EADDRINUSE`, `EACCES`, ...) otherwise, leaving nothing open. Answers `GET`/`HEAD /metrics`
 * (a query string is ignored) with 200, other methods on it with 405, other paths with 404.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port, render, logger } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`metrics port must be an integer from 0 to 65535, got ${port}`);

  const server = createServer((req, res) => void answer(req, res, render, logger));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After listening, a server error (rare: e.g. EMFILE on accept) is logged, not thrown.
  server.on('error', (err) => logger?.warn({ err }, 'metrics server error'));

  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${bound}/metrics`,
    port: bound,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, render: () => Promise<string>, logger: Pick<Logger, 'warn'> | undefined): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') {
    send(res, 404, 'text/plain; charset=utf-8', 'not found: metrics are at /metrics\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  let body: string;
  try {
    body = await render();
  } catch (err) {
    logger?.warn({ err }, 'rendering metrics failed');
    const message = err instanceof Error ? err.message : String(err);
    send(res, 500, 'text/plain; charset=utf-8', `rendering metrics failed: ${message}\n`);
    return;
  }
  send(res, 200, METRICS_CONTENT_TYPE, body);
}

function send(res: ServerResponse, statusCode: number, contentType: string, body: string): void {
  res.writeHead(statusCode, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body); // node drops the body of a HEAD response itself
}
