/**
 * The agent's metrics on prom-client: the text exposition Prometheus reads (escaping,
 * histogram buckets), label checks our callers rely on, and collect callbacks whose failures
 * never fail a scrape (CollectGuard).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { samples, sampleValue } from '../../../test/support/metric-samples.js';
import { COLLECTOR_ERRORS_METRIC, CollectGuard } from '../src/metrics/collect-guard.js';

describe('the exposition of a prom-client registry', () => {
  it('escapes help text and label values and counts histogram buckets cumulatively', async () => {
    const registers = [new Registry()];
    const [r] = registers as [Registry];
    new Gauge({ name: 'app_temperature_celsius', help: 'Temperature.\nSecond line with \\ backslash.', registers }).set(-2.5);
    new Gauge({ name: 'g', help: 'G.', labelNames: ['path'], registers }).set({ path: 'C:\\dir "x"\nnext' }, 1);
    const h = new Histogram({ name: 'h_seconds', help: 'H.', buckets: [0.001, 0.01, 0.1, 1], registers });
    for (const v of [0, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.2, 1, 1.5, 100, -3]) h.observe(v);
    const text = await r.metrics();
    expect(text).toContain('# HELP app_temperature_celsius Temperature.\\nSecond line with \\\\ backslash.\n# TYPE app_temperature_celsius gauge\napp_temperature_celsius -2.5\n');
    expect(text).toContain('g{path="C:\\\\dir \\"x\\"\\nnext"} 1\n');
    expect(samples(text).find((s) => s.name === 'g')?.labels).toEqual({ path: 'C:\\dir "x"\nnext' });
    const bucket = (le: string): number | undefined => sampleValue(text, 'h_seconds_bucket', { le });
    expect([bucket('0.001'), bucket('0.01'), bucket('0.1'), bucket('1'), bucket('+Inf')]).toEqual([3, 5, 7, 9, 11]);
    expect(sampleValue(text, 'h_seconds_count')).toBe(11);
    expect(r.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('throws when the labels of a call do not match the declared label names, and refuses NaN', () => {
    const registers = [new Registry()];
    const c = new Counter({ name: 'c_total', help: 'C.', labelNames: ['pool'], registers });
    expect(() => c.inc({ pool: 'a', volume: 'b' } as never)).toThrow(/volume/);
    expect(() => c.inc({ poool: 'a' } as never)).toThrow(/poool/);
    expect(() => new Counter({ name: 'c_total', help: 'again', registers })).toThrow(/already been registered/);
    expect(() => new Histogram({ name: 'h', help: 'H.', buckets: [1], registers }).observe(NaN)).toThrow(/not a valid number/);
  });
});

describe('CollectGuard', () => {
  it('runs collect callbacks at each scrape', async () => {
    const registry = new Registry();
    const guard = new CollectGuard(registry);
    let n = 0;
    const g: Gauge = new Gauge({ name: 'g', help: 'G.', registers: [registry], collect: guard.wrap('g', () => g.set(++n)) });
    expect(sampleValue(await registry.metrics(), 'g')).toBe(1);
    expect(sampleValue(await registry.metrics(), 'g')).toBe(2);
  });

  it('logs and counts a callback that throws, and neither fails the scrape nor stops the others', async () => {
    const warnings: Array<{ obj: unknown; msg: unknown }> = [];
    const logger = { warn: (obj: unknown, msg?: unknown) => warnings.push({ obj, msg }) } as never;
    const registry = new Registry();
    const guard = new CollectGuard(registry, logger);
    const registers = [registry];
    new Gauge({
      name: 'broken_value',
      help: 'B.',
      registers,
      collect: guard.wrap('broken', () => {
        throw new Error('pool went away');
      }),
    });
    const fine: Gauge = new Gauge({ name: 'fine_value', help: 'F.', registers, collect: guard.wrap('fine', async () => fine.set(42)) });

    const first = await registry.metrics();
    expect(sampleValue(first, 'fine_value')).toBe(42);
    expect(sampleValue(first, COLLECTOR_ERRORS_METRIC, { collector: 'broken' })).toBe(1);
    expect(sampleValue(await registry.metrics(), COLLECTOR_ERRORS_METRIC, { collector: 'broken' })).toBe(2);
    expect(warnings).toHaveLength(2);
    expect((warnings[0]?.obj as { err: Error }).err.message).toBe('pool went away');
    expect((warnings[0]?.obj as { collector: string }).collector).toBe('broken');
    expect(warnings[0]?.msg).toBe('metrics collector failed');
  });

  it('is needed: an unguarded callback that throws fails the whole scrape', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'g',
      help: 'G.',
      registers: [registry],
      collect: () => {
        throw new Error('boom');
      },
    });
    await expect(registry.metrics()).rejects.toThrow('boom');
  });
});
