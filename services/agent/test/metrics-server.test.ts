/**
 * The metrics HTTP endpoint over real HTTP on a free port: a scrape of a live registry, the
 * status codes of other paths and methods and of a failing render, and close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { METRICS_CONTENT_TYPE, startMetricsServer, type MetricsServer } from '../src/metrics/metrics-server.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(render: () => Promise<string>): Promise<MetricsServer> {
  const s = await startMetricsServer({ host: '127.0.0.1', port: 0, render });
  servers.push(s);
  return s;
}

describe('startMetricsServer', () => {
  it('serves the registry at GET /metrics with the exposition content type', async () => {
    const registry = new Registry();
    const c: Counter = new Counter({ name: 'scrapes_total', help: 'Scrapes.', registers: [registry], collect: () => c.inc() });
    const s = await start(() => registry.metrics());
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/metrics`);

    const res = await fetch(s.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
    expect(await res.text()).toBe(['# HELP scrapes_total Scrapes.', '# TYPE scrapes_total counter', 'scrapes_total 1', ''].join('\n'));

    // Each scrape runs the collectors again; a query string is ignored.
    const again = await fetch(`${s.url}?name[]=x`);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('\nscrapes_total 2\n');
  });

  it('answers 404 elsewhere, 405 for other methods and HEAD without a body', async () => {
    let renders = 0;
    const s = await start(async () => {
      renders++;
      return 'x 1\n';
    });
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/extra`)).status).toBe(404);
    expect((await fetch(`${base}/metricsx`)).status).toBe(404);
    const post = await fetch(s.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(renders).toBe(0);
    const head = await fetch(s.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(head.headers.get('content-length')).toBe('4');
  });

  it('answers 500 with the message when rendering fails, and keeps serving', async () => {
    let fail = true;
    const warnings: unknown[] = [];
    const s = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      render: async () => {
        if (fail) throw new Error('registry exploded');
        return 'ok 1\n';
      },
      logger: { warn: (obj: unknown) => warnings.push(obj) },
    });
    servers.push(s);
    const res = await fetch(s.url);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('registry exploded');
    expect(warnings).toHaveLength(1);
    fail = false;
    expect(await (await fetch(s.url)).text()).toBe('ok 1\n');
  });

  it('close stops listening, is idempotent, and a taken port rejects the start', async () => {
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0, render: async () => '' });
    await fetch(s.url); // leaves a keep-alive connection that close must not wait on
    const taken = startMetricsServer({ host: '127.0.0.1', port: s.port, render: async () => '' });
    await expect(taken).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await s.close();
    await s.close();
    await expect(fetch(s.url)).rejects.toThrow();
  });

  it('refuses an invalid port', async () => {
    await expect(startMetricsServer({ host: '127.0.0.1', port: 70000, render: async () => '' })).rejects.toThrow(RangeError);
  });
});
