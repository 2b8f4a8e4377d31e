/**
 * A coordinator for tests: in this process, on a real etcd the caller started, listening on a
 * free loopback port, with short lock timings unless told otherwise. Each gets its own key prefix,
 * so several tests (or several coordinators of one test) can share one etcd.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Coordinator } from '../../src/coordinator.js';
import { loadCoordinatorConfig, type LockConfig } from '../../src/coordinator-config.js';

let counter = 0;

/** A fresh key prefix for one test's cluster. */
export function testPrefix(): string {
  return `t${process.pid}-${Date.now()}-${counter++}/`;
}

export async function startTestCoordinator(options: {
  endpoint: string;
  prefix: string;
  id?: string;
  lock?: Partial<LockConfig>;
  acquireTimeoutMs?: number;
  /** The failover supervisor's sweep interval (its default otherwise). */
  failoverSweepMs?: number;
  /** Serve with mutual TLS (`tls` of the coordinator's config). */
  tls?: { caFile: string; certFile: string; keyFile: string };
}): Promise<Coordinator> {
  const config = loadCoordinatorConfig(null, {
    listen: '127.0.0.1:0',
    metricsListen: '127.0.0.1:0',
    stateDir: mkdtempSync(join(tmpdir(), 'tf-coord-')),
    coordinatorId: options.id ?? 'coord-test',
    etcd: { endpoints: [options.endpoint], prefix: options.prefix },
    lock: { ttlSeconds: 3, marginMs: 1000, lockDelayMs: 1000, watchdogTimeoutSeconds: 1, ...options.lock },
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  });
  const logger = pino({ level: process.env['THINFLEET_TEST_LOG'] ?? 'silent' });
  return Coordinator.start(config, {
    logger,
    ...(options.acquireTimeoutMs === undefined ? {} : { acquireTimeoutMs: options.acquireTimeoutMs }),
    ...(options.failoverSweepMs === undefined ? {} : { failoverSweepMs: options.failoverSweepMs }),
  });
}
