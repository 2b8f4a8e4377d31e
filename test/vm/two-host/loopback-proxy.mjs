/**
 * A TCP relay on host loopback between one guest's guestfwd channel and a coordinator, so the
 * tier can cut that guest alone from the coordinator (`cut`: every open connection is destroyed
 * and new ones are closed at once, as a dead link would) and point it at another coordinator
 * (`upstreamPort`). Both ends are 127.0.0.1.
 */
import { connect, createServer } from 'node:net';

/**
 * @param {{upstreamPort?: number}} [options]  the coordinator's port (settable later)
 * @returns {Promise<{port: number, upstreamPort: number|undefined, cut: () => void, restore: () => void, close: () => void, cutAtMs: number|undefined}>}
 */
export async function startLoopbackProxy({ upstreamPort } = {}) {
  const open = new Set();
  const proxy = { port: 0, upstreamPort, cutAtMs: undefined, isCut: false };
  const server = createServer((client) => {
    if (proxy.isCut || proxy.upstreamPort === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: proxy.upstreamPort });
    const pair = [client, upstream];
    open.add(pair);
    const end = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  proxy.port = server.address().port;
  proxy.cut = () => {
    proxy.isCut = true;
    proxy.cutAtMs = Date.now();
    for (const [client, upstream] of open) {
      client.destroy();
      upstream.destroy();
    }
    open.clear();
  };
  proxy.restore = () => {
    proxy.isCut = false;
  };
  proxy.close = () => {
    proxy.cut();
    server.close();
  };
  return proxy;
}
