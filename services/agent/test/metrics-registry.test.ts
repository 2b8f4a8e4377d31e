/**
 * The metrics registry: the exact text exposition, histogram bucket arithmetic, escaping,
 * label checks, and collectors whose failures never fail a scrape.
 */
import { describe, expect, it } from 'vitest';
import { COLLECTOR_ERRORS_METRIC, escapeLabelValue, formatValue, MetricsRegistry } from '../src/metrics/metrics-registry.js';

/** The sample lines of `text` that belong to `name` (its own lines and its _bucket/_sum/_count). */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `) || l.startsWith(`${name}_`));
}

describe('MetricsRegistry.render', () => {
  it('renders a small registry exactly (golden)', async () => {
    const r = new MetricsRegistry();
    const req = r.counter('app_requests_total', 'Requests served.', ['method', 'code']);
    const temp = r.gauge('app_temperature_celsius', 'Temperature.\nSecond line with \\ backslash.');
    const lat = r.histogram('app_latency_seconds', 'Latency.', ['op'], [0.1, 1]);
    req.inc({ method: 'POST', code: '500' });
    req.inc({ code: '200', method: 'GET' }, 3);
    req.inc({ method: 'GET', code: '404' });
    temp.set({}, -2.5);
    lat.observe({ op: 'read' }, 0.05);
    lat.observe({ op: 'read' }, 0.1);
    lat.observe({ op: 'read' }, 0.5);
    lat.observe({ op: 'read' }, 7);

    expect(await r.render()).toBe(
      [
        '# HELP app_latency_seconds Latency.',
        '# TYPE app_latency_seconds histogram',
        'app_latency_seconds_bucket{op="read",le="0.1"} 2',
        'app_latency_seconds_bucket{op="read",le="1"} 3',
        'app_latency_seconds_bucket{op="read",le="+Inf"} 4',
        'app_latency_seconds_sum{op="read"} 7.65',
        'app_latency_seconds_count{op="read"} 4',
        '# HELP app_requests_total Requests served.',
        '# TYPE app_requests_total counter',
        'app_requests_total{method="GET",code="200"} 3',
        'app_requests_total{method="GET",code="404"} 1',
        'app_requests_total{method="POST",code="500"} 1',
        '# HELP app_temperature_celsius Temperature.\\nSecond line with \\\\ backslash.',
        '# TYPE app_temperature_celsius gauge',
        'app_temperature_celsius -2.5',
        `# HELP ${COLLECTOR_ERRORS_METRIC} Collectors that threw while preparing a scrape.`,
        `# TYPE ${COLLECTOR_ERRORS_METRIC} counter`,
        '',
      ].join('\n'),
    );
  });

  it('renders metrics without labels as 0 before they are touched, and again after reset', async () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_total', 'X.');
    expect(samples(await r.render(), 'x_total')).toEqual(['x_total 0']);
    c.inc();
    c.inc({}, 2);
    expect(samples(await r.render(), 'x_total')).toEqual(['x_total 3']);
    c.reset();
    expect(samples(await r.render(), 'x_total')).toEqual(['x_total 0']);
  });

  it('renders the same text for the same values whatever the order they were set in', async () => {
    const build = (order: string[]): MetricsRegistry => {
      const r = new MetricsRegistry();
      const b = r.gauge('b_value', 'B.', ['k']);
      const a = r.gauge('a_value', 'A.', ['k']);
      for (const k of order) {
        a.set({ k }, k.length);
        b.set({ k }, k.length * 2);
      }
      return r;
    };
    const one = await build(['zeta', 'alpha', 'Beta', 'é', '10', '9']).render();
    const two = await build(['9', 'é', '10', 'alpha', 'zeta', 'Beta']).render();
    expect(one).toBe(two);
    // Families by name, series by label value in code-unit order.
    expect(samples(one, 'a_value').map((l) => /k="([^"]*)"/.exec(l)?.[1])).toEqual(['10', '9', 'Beta', 'alpha', 'zeta', 'é']);
    expect(one.indexOf('a_value')).toBeLessThan(one.indexOf('b_value'));
  });

  it('escapes backslash, double quote and line feed in label values', async () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const r = new MetricsRegistry();
    r.gauge('g', 'G.', ['path']).set({ path: 'C:\\dir "x"\nnext' }, 1);
    expect(samples(await r.render(), 'g')).toEqual(['g{path="C:\\\\dir \\"x\\"\\nnext"} 1']);
  });

  it('formats special values the way Prometheus parses them', () => {
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(1e21)).toBe('1e+21');
    expect(formatValue(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatValue(2 ** 53)).toBe('9007199254740992');
  });
});

describe('histograms', () => {
  it('counts cumulatively, with values on a bound in that bucket and values above all in +Inf', async () => {
    const r = new MetricsRegistry();
    const h = r.histogram('h_seconds', 'H.', [], [0.001, 0.01, 0.1, 1]);
    for (const v of [0, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.2, 1, 1.5, 100, -3]) h.observe({}, v);
    expect(samples(await r.render(), 'h_seconds')).toEqual([
      'h_seconds_bucket{le="0.001"} 3', // 0, 0.001, -3
      'h_seconds_bucket{le="0.01"} 5', // + 0.0011, 0.01
      'h_seconds_bucket{le="0.1"} 7', // + 0.05, 0.1
      'h_seconds_bucket{le="1"} 9', // + 0.2, 1
      'h_seconds_bucket{le="+Inf"} 11', // + 1.5, 100
      `h_seconds_sum ${formatValue(0 + 0.001 + 0.0011 + 0.01 + 0.05 + 0.1 + 0.2 + 1 + 1.5 + 100 - 3)}`,
      'h_seconds_count 11',
    ]);
    expect(h.get()).toEqual({ count: 11, sum: 0 + 0.001 + 0.0011 + 0.01 + 0.05 + 0.1 + 0.2 + 1 + 1.5 + 100 - 3 });
  });

  it('renders an untouched histogram without labels as all zeros', async () => {
    const r = new MetricsRegistry();
    r.histogram('h', 'H.', [], [1]);
    expect(samples(await r.render(), 'h')).toEqual(['h_bucket{le="1"} 0', 'h_bucket{le="+Inf"} 0', 'h_sum 0', 'h_count 0']);
  });

  it('keeps series apart by label', async () => {
    const r = new MetricsRegistry();
    const h = r.histogram('h', 'H.', ['op'], [1]);
    h.observe({ op: 'b' }, 2);
    h.observe({ op: 'a' }, 0.5);
    expect(samples(await r.render(), 'h')).toEqual([
      'h_bucket{op="a",le="1"} 1',
      'h_bucket{op="a",le="+Inf"} 1',
      'h_sum{op="a"} 0.5',
      'h_count{op="a"} 1',
      'h_bucket{op="b",le="1"} 0',
      'h_bucket{op="b",le="+Inf"} 1',
      'h_sum{op="b"} 2',
      'h_count{op="b"} 1',
    ]);
  });

  it('refuses bad bucket bounds, the le label and NaN observations', () => {
    const r = new MetricsRegistry();
    expect(() => r.histogram('h1', 'H.', [], [])).toThrow(/at least one bucket/);
    expect(() => r.histogram('h2', 'H.', [], [1, 1])).toThrow(/increase strictly/);
    expect(() => r.histogram('h3', 'H.', [], [2, 1])).toThrow(/increase strictly/);
    expect(() => r.histogram('h4', 'H.', [], [1, Infinity])).toThrow(/finite/);
    expect(() => r.histogram('h5', 'H.', ['le'], [1])).toThrow(/le is reserved/);
    const h = r.histogram('h6', 'H.', [], [1]);
    expect(() => h.observe({}, NaN)).toThrow(RangeError);
    expect(h.get()).toBeUndefined();
  });
});

describe('labels and names', () => {
  it('throws when the labels of a call do not match the declared label names', () => {
    const r = new MetricsRegistry();
    const c = r.counter('c_total', 'C.', ['pool']);
    expect(() => c.inc({})).toThrow(/do not match/);
    expect(() => c.inc({ pool: 'a', volume: 'b' })).toThrow(/do not match/);
    expect(() => c.inc({ poool: 'a' })).toThrow(/do not match/);
    expect(() => c.inc({ pool: 7 as unknown as string })).toThrow(/must be a string/);
    const g = r.gauge('g', 'G.', ['a', 'b']);
    expect(() => g.set({ a: 'x', c: 'y' }, 1)).toThrow(/do not match/);
    g.set({ b: 'y', a: 'x' }, 1);
    expect(g.get({ a: 'x', b: 'y' })).toBe(1);
  });

  it('refuses invalid and duplicate names', () => {
    const r = new MetricsRegistry();
    r.counter('ok_total', 'OK.');
    expect(() => r.counter('ok_total', 'again')).toThrow(/already registered/);
    expect(() => r.gauge('1bad', 'B.')).toThrow(/invalid metric name/);
    expect(() => r.gauge('bad-name', 'B.')).toThrow(/invalid metric name/);
    expect(() => r.gauge('g', 'G.', ['__reserved'])).toThrow(/invalid label name/);
    expect(() => r.gauge('g', 'G.', ['a-b'])).toThrow(/invalid label name/);
    expect(() => r.gauge('g', 'G.', ['a', 'a'])).toThrow(/given twice/);
    expect(() => r.counter('c', 'C.').inc({}, -1)).toThrow(/cannot add -1/);
  });

  it('removes single series and resets whole families', async () => {
    const r = new MetricsRegistry();
    const g = r.gauge('g', 'G.', ['pool']);
    g.set({ pool: 'a' }, 1);
    g.set({ pool: 'b' }, 2);
    g.remove({ pool: 'a' });
    g.remove({ pool: 'zzz' });
    expect(samples(await r.render(), 'g')).toEqual(['g{pool="b"} 2']);
    g.reset();
    expect(samples(await r.render(), 'g')).toEqual([]);
    expect(await r.render()).toContain('# TYPE g gauge\n');
  });
});

describe('collectors', () => {
  it('run before each render, in order', async () => {
    const r = new MetricsRegistry();
    const g = r.gauge('g', 'G.');
    const calls: string[] = [];
    let n = 0;
    r.addCollector(async () => {
      calls.push('first');
      g.set({}, ++n);
    });
    r.addCollector(async () => {
      calls.push('second');
    });
    expect(samples(await r.render(), 'g')).toEqual(['g 1']);
    expect(samples(await r.render(), 'g')).toEqual(['g 2']);
    expect(calls).toEqual(['first', 'second', 'first', 'second']);
  });

  it('that throw are logged and counted, and neither fail the scrape nor stop the others', async () => {
    const warnings: Array<{ obj: unknown; msg: unknown }> = [];
    const logger = { warn: (obj: unknown, msg?: unknown) => warnings.push({ obj, msg }) } as never;
    const r = new MetricsRegistry({ logger });
    const g = r.gauge('g', 'G.');
    r.addCollector(async () => {
      throw new Error('pool went away');
    }, 'broken');
    r.addCollector(async () => g.set({}, 42), 'fine');

    const first = await r.render();
    expect(samples(first, 'g')).toEqual(['g 42']);
    expect(samples(first, COLLECTOR_ERRORS_METRIC)).toEqual([`${COLLECTOR_ERRORS_METRIC}{collector="broken"} 1`]);
    const second = await r.render();
    expect(samples(second, COLLECTOR_ERRORS_METRIC)).toEqual([`${COLLECTOR_ERRORS_METRIC}{collector="broken"} 2`]);
    expect(warnings).toHaveLength(2);
    expect((warnings[0]?.obj as { err: Error; collector: string }).err.message).toBe('pool went away');
    expect((warnings[0]?.obj as { collector: string }).collector).toBe('broken');
  });
});
