/**
 * A small Prometheus registry: counters, gauges and histograms with labels, collectors that
 * refresh values before each scrape, and rendering to the text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Everything lives in memory: a restart starts every counter from zero again, which
 * Prometheus's `rate()` and `increase()` treat as a counter reset. Rendering is deterministic:
 * families sorted by name, series by their label values in label-name order.
 */
import type { Logger } from 'pino';

/** Label values of one series, keyed by label name. */
export type Labels = Readonly<Record<string, string>>;

/** The kinds of metric the registry renders. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The registry's own counter of collectors that threw, labelled by collector name. */
export const COLLECTOR_ERRORS_METRIC = 'thinfleet_metrics_collector_errors_total';

/**
 * Formats a sample value as Prometheus expects: `+Inf`, `-Inf`, `NaN`, otherwise JavaScript's
 * shortest round-trip form (which Prometheus's float parser reads back exactly).
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed (quotes stay as they are). */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** Orders label-value tuples element by element, by UTF-16 code units (locale-independent). */
function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** One series: its label values in label-name order, and the kind's state. */
interface Series<State> {
  readonly values: readonly string[];
  state: State;
}

/**
 * What every metric kind shares: a name, help text, label names, and series keyed by their
 * label values. Label sets are checked on every call: a call whose labels do not match the
 * declared names exactly throws, because it is a bug in the caller.
 */
abstract class MetricFamily<State> {
  private readonly series = new Map<string, Series<State>>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly type: MetricType,
  ) {}

  /** The state of a series that was never touched. */
  protected abstract initial(): State;

  /** The sample lines of one series. */
  protected abstract renderSeries(pairs: ReadonlyArray<readonly [string, string]>, state: State, out: string[]): void;

  /** The label values of `labels` in label-name order; throws when the label set is wrong. */
  private valuesOf(labels: Labels): string[] {
    const given = Object.keys(labels);
    const bad = given.length !== this.labelNames.length || given.some((k) => !this.labelNames.includes(k));
    if (bad) {
      throw new RangeError(`metric ${this.name}: labels {${given.join(', ')}} do not match its label names {${this.labelNames.join(', ')}}`);
    }
    return this.labelNames.map((n) => {
      const v = labels[n];
      if (typeof v !== 'string') throw new TypeError(`metric ${this.name}: label ${n} must be a string, got ${typeof v}`);
      return v;
    });
  }

  /** The series for `labels`, made at its initial state when missing. */
  protected seriesFor(labels: Labels): Series<State> {
    const values = this.valuesOf(labels);
    const key = JSON.stringify(values);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { values, state: this.initial() };
      this.series.set(key, s);
    }
    return s;
  }

  /** The series for `labels`, or undefined when it has none. */
  protected existing(labels: Labels): Series<State> | undefined {
    return this.series.get(JSON.stringify(this.valuesOf(labels)));
  }

  /** Drops the series with these labels (a metric without labels goes back to its initial state). Idempotent. */
  remove(labels: Labels): void {
    this.series.delete(JSON.stringify(this.valuesOf(labels)));
  }

  /**
   * Drops every series (a metric without labels goes back to its initial state). Use it to
   * forget the series of things that went away, then set the ones still there. Idempotent.
   */
  reset(): void {
    this.series.clear();
  }

  /** Label values of every series, in render order. */
  seriesLabels(): Labels[] {
    return this.sorted().map((s) => Object.fromEntries(this.labelNames.map((n, i) => [n, s.values[i] as string])));
  }

  /**
   * The series in render order. A metric without labels always has its one series, at the
   * initial state until touched, so it renders as 0 from the start.
   */
  private sorted(): Array<Series<State>> {
    if (this.labelNames.length === 0 && this.series.size === 0) return [{ values: [], state: this.initial() }];
    return [...this.series.values()].sort((a, b) => compareValues(a.values, b.values));
  }

  /** Appends the family's HELP, TYPE and sample lines to `out`. */
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`);
    out.push(`# TYPE ${this.name} ${this.type}`);
    for (const s of this.sorted()) {
      const pairs = this.labelNames.map((n, i) => [n, s.values[i] as string] as const);
      this.renderSeries(pairs, s.state, out);
    }
  }
}

/** A monotonically increasing count. */
export class Counter extends MetricFamily<{ value: number }> {
  /** Use {@link MetricsRegistry.counter}. */
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, labelNames, 'counter');
  }

  protected initial(): { value: number } {
    return { value: 0 };
  }

  /**
   * Adds `by` (default 1) to the series of `labels`, making it at 0 first when new; `inc(labels, 0)`
   * makes a series show up as 0. Throws a RangeError for a negative or non-finite `by`.
   */
  inc(labels: Labels = {}, by = 1): void {
    if (!Number.isFinite(by) || by < 0) throw new RangeError(`counter ${this.name}: cannot add ${by}`);
    this.seriesFor(labels).state.value += by;
  }

  /** The series' value, or undefined when it has none. */
  get(labels: Labels = {}): number | undefined {
    return this.existing(labels)?.state.value;
  }

  protected renderSeries(pairs: ReadonlyArray<readonly [string, string]>, state: { value: number }, out: string[]): void {
    out.push(`${this.name}${renderLabels(pairs)} ${formatValue(state.value)}`);
  }
}

/** A value that goes up and down. */
export class Gauge extends MetricFamily<{ value: number }> {
  /** Use {@link MetricsRegistry.gauge}. */
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, labelNames, 'gauge');
  }

  protected initial(): { value: number } {
    return { value: 0 };
  }

  /** Sets the series of `labels` to `value` (any number, including NaN and infinities). */
  set(labels: Labels, value: number): void {
    if (typeof value !== 'number') throw new TypeError(`gauge ${this.name}: value must be a number`);
    this.seriesFor(labels).state.value = value;
  }

  /** Adds `by` (default 1; may be negative) to the series of `labels`, made at 0 when new. */
  inc(labels: Labels = {}, by = 1): void {
    this.seriesFor(labels).state.value += by;
  }

  /** The series' value, or undefined when it has none. */
  get(labels: Labels = {}): number | undefined {
    return this.existing(labels)?.state.value;
  }

  protected renderSeries(pairs: ReadonlyArray<readonly [string, string]>, state: { value: number }, out: string[]): void {
    out.push(`${this.name}${renderLabels(pairs)} ${formatValue(state.value)}`);
  }
}

/** Per series of a histogram: observations per bucket (not cumulative), their sum and count. */
interface HistogramState {
  /** One count per finite upper bound, then one for +Inf. */
  readonly bucketCounts: number[];
  sum: number;
  count: number;
}

/**
 * Observations sorted into buckets by upper bound. Rendered as cumulative `_bucket` series
 * (`le` = each bound, then `+Inf`), `_sum` and `_count`; an observation equal to a bound
 * counts in that bound's bucket.
 */
export class Histogram extends MetricFamily<HistogramState> {
  /** Finite upper bounds, strictly increasing. */
  readonly buckets: readonly number[];

  /** Use {@link MetricsRegistry.histogram}. */
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames, 'histogram');
    this.buckets = checkBuckets(name, buckets);
  }

  protected initial(): HistogramState {
    return { bucketCounts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** Records one observation of `value` in the series of `labels`. Throws a RangeError for NaN. */
  observe(labels: Labels, value: number): void {
    if (typeof value !== 'number' || Number.isNaN(value)) throw new RangeError(`histogram ${this.name}: cannot observe ${value}`);
    const s = this.seriesFor(labels).state;
    let i = this.buckets.findIndex((le) => value <= le);
    if (i < 0) i = this.buckets.length;
    s.bucketCounts[i] = (s.bucketCounts[i] as number) + 1;
    s.sum += value;
    s.count += 1;
  }

  /** The series' count and sum, or undefined when it has none. */
  get(labels: Labels = {}): { count: number; sum: number } | undefined {
    const s = this.existing(labels)?.state;
    return s === undefined ? undefined : { count: s.count, sum: s.sum };
  }

  protected renderSeries(pairs: ReadonlyArray<readonly [string, string]>, state: HistogramState, out: string[]): void {
    let cumulative = 0;
    const bounds = [...this.buckets.map(formatValue), '+Inf'];
    bounds.forEach((le, i) => {
      cumulative += state.bucketCounts[i] as number;
      out.push(`${this.name}_bucket${renderLabels([...pairs, ['le', le]])} ${cumulative}`);
    });
    out.push(`${this.name}_sum${renderLabels(pairs)} ${formatValue(state.sum)}`);
    out.push(`${this.name}_count${renderLabels(pairs)} ${state.count}`);
  }
}

function checkBuckets(name: string, buckets: readonly number[]): readonly number[] {
  if (buckets.length === 0) throw new RangeError(`histogram ${name}: needs at least one bucket`);
  buckets.forEach((b, i) => {
    if (!Number.isFinite(b)) throw new RangeError(`histogram ${name}: bucket bounds must be finite (+Inf is implied), got ${b}`);
    if (i > 0 && b <= (buckets[i - 1] as number)) throw new RangeError(`histogram ${name}: bucket bounds must increase strictly`);
  });
  return [...buckets];
}

/** A function run before each render to bring values up to date. */
export type Collector = () => Promise<void>;

/** Options of {@link MetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** Where collector failures are reported (warn). */
  readonly logger?: Pick<Logger, 'warn'>;
}

/**
 * Holds metric families and renders them. Not persistent: values live as long as the object.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry();
 * const requests = registry.counter('app_requests_total', 'Requests served.', ['method']);
 * requests.inc({ method: 'GET' });
 * const text = await registry.render();
 * ```
 */
export class MetricsRegistry {
  private readonly families = new Map<string, MetricFamily<unknown>>();
  private readonly collectors: Array<{ name: string; fn: Collector }> = [];
  private readonly collectorErrors: Counter;

  constructor(private readonly options: MetricsRegistryOptions = {}) {
    this.collectorErrors = this.counter(COLLECTOR_ERRORS_METRIC, 'Collectors that threw while preparing a scrape.', ['collector']);
  }

  /** Registers a counter. Throws when the name is taken or a name is invalid. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, this.checkNames(name, labelNames, false)));
  }

  /** Registers a gauge. Throws when the name is taken or a name is invalid. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, this.checkNames(name, labelNames, false)));
  }

  /**
   * Registers a histogram with finite, strictly increasing upper bounds in seconds (`+Inf` is
   * added). Throws when the name is taken, a name is invalid, a label is called `le`, or the
   * bounds are not strictly increasing finite numbers.
   */
  histogram(name: string, help: string, labelNames: readonly string[], bucketsSeconds: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, this.checkNames(name, labelNames, true), bucketsSeconds));
  }

  /**
   * Runs `fn` before each render, in the order added. A collector that throws is logged and
   * counted in `thinfleet_metrics_collector_errors_total{collector=name}`; the scrape goes on
   * with whatever values the metrics hold. `name` defaults to `collector<index>`.
   */
  addCollector(fn: Collector, name = `collector${this.collectors.length}`): void {
    this.collectors.push({ name, fn });
  }

  /** The registered family called `name`, if any. */
  get(name: string): Counter | Gauge | Histogram | undefined {
    return this.families.get(name) as Counter | Gauge | Histogram | undefined;
  }

  /**
   * Runs the collectors, then renders every family in the text exposition format 0.0.4,
   * families sorted by name. Never rejects because of a collector.
   */
  async render(): Promise<string> {
    for (const c of this.collectors) {
      try {
        await c.fn();
      } catch (err) {
        this.collectorErrors.inc({ collector: c.name });
        this.options.logger?.warn({ err, collector: c.name }, 'metrics collector failed');
      }
    }
    const out: string[] = [];
    const names = [...this.families.keys()].sort();
    for (const n of names) (this.families.get(n) as MetricFamily<unknown>).render(out);
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }

  private checkNames(name: string, labelNames: readonly string[], histogram: boolean): readonly string[] {
    if (!METRIC_NAME.test(name)) throw new RangeError(`invalid metric name ${JSON.stringify(name)}`);
    if (this.families.has(name)) throw new RangeError(`metric ${name} is already registered`);
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new RangeError(`metric ${name}: invalid label name ${JSON.stringify(l)}`);
      if (histogram && l === 'le') throw new RangeError(`histogram ${name}: label name le is reserved`);
      if (seen.has(l)) throw new RangeError(`metric ${name}: label ${l} given twice`);
      seen.add(l);
    }
    return [...labelNames];
  }

  private add<F extends MetricFamily<unknown>>(family: F): F {
    this.families.set(family.name, family as MetricFamily<unknown>);
    return family;
  }
}
