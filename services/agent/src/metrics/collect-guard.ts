/**
 * Keeps a failing `collect()` callback from failing a scrape. prom-client runs each metric's
 * `collect()` before reading it and rejects the whole scrape when one throws; a callback wrapped
 * here is logged and counted in `thinfleet_metrics_collector_errors_total{collector}` instead,
 * and the scrape goes on with whatever values its metrics hold.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';

/** The counter of collect callbacks that threw, labelled by collector name. */
export const COLLECTOR_ERRORS_METRIC = 'thinfleet_metrics_collector_errors_total';

/** A collect callback: brings a metric's values up to date before it is read. */
export type CollectFn = () => Promise<void> | void;

/** Wraps collect callbacks of one registry; construct once per registry (registering twice throws). */
export class CollectGuard {
  private readonly errors: Counter;
  /** Wrapped callbacks under way, so the error counter of a scrape includes this scrape's failures. */
  private readonly running = new Set<Promise<void>>();

  constructor(
    registry: Registry,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {
    this.errors = new Counter({
      name: COLLECTOR_ERRORS_METRIC,
      help: 'Collectors that threw while preparing a scrape.',
      labelNames: ['collector'],
      registers: [registry],
      // prom-client starts every metric's collect() in one synchronous loop; after one microtask
      // all of this scrape's callbacks are in `running`, and their failures are counted below.
      collect: async () => {
        await Promise.resolve();
        await Promise.all([...this.running]);
      },
    });
  }

  /**
   * `fn` as a collect callback that never rejects: a throw is logged (warn) and counted under
   * `name`, once per wrapped callback that saw it.
   */
  wrap(name: string, fn: CollectFn): () => Promise<void> {
    const guarded = async (): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        this.errors.inc({ collector: name });
        this.logger?.warn({ err, collector: name }, 'metrics collector failed');
      }
    };
    return () => {
      const run = guarded().finally(() => this.running.delete(run));
      this.running.add(run);
      return run;
    };
  }
}
