/**
 * The coordinator's configuration: a JSON file (default /etc/thinfleet/coordinator.json, the
 * packaged copy is deploy/config/coordinator.json) whose every key is optional, overridden by
 * command-line flags. Parsing fills the defaults and refuses unknown keys, wrong types and values
 * out of range, naming the key (`lock.marginMs`), so a typo never silently runs the coordinator
 * with a default.
 */
import { hostname } from 'node:os';
import {
  anyString,
  quote,
  hostPortSchema,
  nonEmptyString,
  optionalKeys,
  parseConfig,
  readConfigFile,
  says,
  strictSection,
  tlsFilesSchema,
  type ConfigProblem,
  type TlsFiles,
} from '@thinfleet/proto';
import { z } from 'zod';

export { splitHostPort, type TlsFiles } from '@thinfleet/proto';

/** Where the coordinator keeps its state (locks, registry). */
export interface EtcdConfig {
  /** Client URLs of an etcd cluster (`https://host:2379`); empty: run the embedded etcd. */
  readonly endpoints: readonly string[];
  /** Client certificate for the cluster (https endpoints only); null: no client certificate. */
  readonly tls: TlsFiles | null;
  /** Every key the coordinator writes starts with this (ends with `/`). */
  readonly prefix: string;
}

/** The single-member etcd the coordinator runs itself when `etcd.endpoints` is empty. */
export interface EmbeddedEtcdConfig {
  /** Absolute path of the etcd executable (Debian's etcd-server). */
  readonly binary: string;
  /** Ports on 127.0.0.1 for etcd's clients and its (unused, single-member) peer listener. */
  readonly clientPort: number;
  readonly peerPort: number;
}

/** The pool locks' timing (see docs/lock.md). */
export interface LockConfig {
  /** Lease TTL of an agent's session: an agent silent this long loses its locks. */
  readonly ttlSeconds: number;
  /** An agent stops writing this long before its lease can expire (clock drift, scheduling). */
  readonly marginMs: number;
  /**
   * After a holder's session expired, its pools stay locked this much longer. At least
   * {@link minLockDelayMs}: a dead holder's host is reset by its watchdog before the next grant.
   */
  readonly lockDelayMs: number;
  /**
   * The host watchdog timeout agents with fencing "watchdog" arm (sent in Welcome): a host
   * whose agent stops petting is reset this long after its last pet. An agent whose device
   * reports a longer timeout is refused.
   */
  readonly watchdogTimeoutSeconds: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CoordinatorConfig {
  /** `host:port` of the gRPC port (agents and clients); port 0 picks a free one (tests). */
  readonly listen: string;
  /** `host:port` of the Prometheus `/metrics` HTTP listener (port 0: a free one); null for none. */
  readonly metricsListen: string | null;
  /** The coordinator's own state; the embedded etcd keeps its data in `<stateDir>/etcd`. */
  readonly stateDir: string;
  /**
   * This coordinator's name (in Welcome messages and etcd values). In the file `""` means the
   * host name; parsing resolves it, so a parsed config never holds `""`.
   */
  readonly coordinatorId: string;
  readonly etcd: EtcdConfig;
  readonly embeddedEtcd: EmbeddedEtcdConfig;
  readonly lock: LockConfig;
  /** Server TLS for the gRPC port, mutual: clients must present a certificate from `caFile`. */
  readonly tls: TlsFiles | null;
  /** The client certificate the coordinator presents to agents it reaches over TCP. */
  readonly agentTls: TlsFiles | null;
  readonly logLevel: LogLevel;
}

/** What flags (or a test) may override: any key, and single keys of the nested sections. */
export interface CoordinatorConfigOverrides {
  readonly listen?: string;
  readonly metricsListen?: string | null;
  readonly stateDir?: string;
  readonly coordinatorId?: string;
  readonly etcd?: Partial<EtcdConfig>;
  readonly embeddedEtcd?: Partial<EmbeddedEtcdConfig>;
  readonly lock?: Partial<LockConfig>;
  readonly tls?: TlsFiles | null;
  readonly agentTls?: TlsFiles | null;
  readonly logLevel?: string;
}

/**
 * The built-in defaults, equal to deploy/config/coordinator.json. `coordinatorId` is `""` here
 * (the host name, resolved by {@link parseCoordinatorConfig}); pass the defaults through
 * {@link parseCoordinatorConfig} or {@link loadCoordinatorConfig} before use.
 */
export const DEFAULT_COORDINATOR_CONFIG: CoordinatorConfig = {
  listen: '127.0.0.1:9750',
  metricsListen: '127.0.0.1:9751',
  stateDir: '/var/lib/thinfleet-coordinator',
  coordinatorId: '',
  etcd: { endpoints: [], tls: null, prefix: 'thinfleet/' },
  embeddedEtcd: { binary: '/usr/bin/etcd', clientPort: 2379, peerPort: 2380 },
  lock: { ttlSeconds: 10, marginMs: 2000, lockDelayMs: 4000, watchdogTimeoutSeconds: 5 },
  tls: null,
  agentTls: null,
  logLevel: 'info',
};

export const DEFAULT_COORDINATOR_CONFIG_FILE = '/etc/thinfleet/coordinator.json';

/** A config problem: the message names the source and the key; `key` is null for the file as a whole. */
export class CoordinatorConfigError extends Error {
  constructor(
    message: string,
    readonly key: string | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CoordinatorConfigError';
  }
}

const toError = ({ message, key }: ConfigProblem): CoordinatorConfigError => new CoordinatorConfigError(message, key);

/** A whole number from `min` to `max` (a safe integer). */
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER): z.ZodNumber => {
  const what = says(`must be a whole number from ${min} to ${max}`);
  return z.number(what).int(what).min(min, what).max(max, what);
};

const isObject = z.record(z.string(), z.unknown(), says('must be an object'));

/** An http(s) URL naming a host and nothing else (an etcd client URL), no trailing path. */
const etcdEndpoint = nonEmptyString().check((ctx) => {
  const s = ctx.value;
  if (s.length === 0) return;
  let url: URL | null = null;
  try {
    url = new URL(s);
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    ctx.issues.push({ code: 'custom', input: s, message: `must be an http:// or https:// URL, got "${s}"` });
  } else if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    ctx.issues.push({ code: 'custom', input: s, message: `must be scheme://host:port only, got "${s}"` });
  }
});

const endpoints = z.array(etcdEndpoint, says('must be an array of URLs ([] for the embedded etcd)'));

const prefix = nonEmptyString().endsWith(
  '/',
  says((v) => `must end with "/", got "${String(v)}"`),
);

const absolutePath = nonEmptyString().startsWith(
  '/',
  says((v) => `must be an absolute path, got "${String(v)}"`),
);

/** `""` (the host name) or a name without whitespace, control characters or `/` (it goes into etcd keys). */
const coordinatorId = anyString().check((ctx) => {
  const s = ctx.value;
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\s/\u0000-\u001f\u007f]/.test(s) || s.length > 253) {
    ctx.issues.push({ code: 'custom', input: s, message: `must be at most 253 characters without whitespace or "/", got ${quote(s)}` });
  }
});

/** The nested sections: a layer may give some of their keys, the others keep the layer below's. */
const SECTIONS = {
  etcd: strictSection(optionalKeys({ endpoints, tls: tlsFilesSchema().nullable(), prefix })),
  embeddedEtcd: strictSection(optionalKeys({ binary: absolutePath, clientPort: wholeNumber(1, 65535), peerPort: wholeNumber(1, 65535) })),
  lock: strictSection(optionalKeys({ ttlSeconds: wholeNumber(2), marginMs: wholeNumber(0), lockDelayMs: wholeNumber(0), watchdogTimeoutSeconds: wholeNumber(1, 3600) })),
};

/** A layer's top-level keys; the sections only have to be objects here, their keys are checked after (as they always were). */
const TOP = strictSection(
  optionalKeys({
    listen: hostPortSchema(),
    metricsListen: hostPortSchema().nullable(),
    stateDir: absolutePath,
    coordinatorId,
    etcd: isObject,
    embeddedEtcd: isObject,
    lock: isObject,
    tls: tlsFilesSchema().nullable(),
    agentTls: tlsFilesSchema().nullable(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], says('must be one of fatal, error, warn, info, debug, trace, silent')),
  } satisfies Record<keyof CoordinatorConfig, z.ZodType>),
);

/** What a clock-rate difference and a host's power-off may add to the watchdog's reset, in ms (docs/lock.md, "Lock delay"). */
export const RESET_SLACK_MS = 1000;

/**
 * The shortest lock delay that lets a dead holder's host be reset before the next grant
 * (docs/lock.md, "Lock delay"): the grant comes no earlier than lastKeepAliveSent + TTL +
 * lockDelay; the last pet no later than lastKeepAliveSent + TTL - margin; the reset within the
 * watchdog timeout of it, plus {@link RESET_SLACK_MS}. Hence lockDelay >= timeout - margin + slack.
 */
export function minLockDelayMs(lock: Pick<LockConfig, 'marginMs' | 'watchdogTimeoutSeconds'>): number {
  return Math.max(0, lock.watchdogTimeoutSeconds * 1000 - lock.marginMs + RESET_SLACK_MS);
}

/** The rules that span keys, on a merged config whose every key passed its own check. */
const ACROSS_KEYS = z.custom<CoordinatorConfig>().check((ctx) => {
  const config = ctx.value;
  const refuse = (path: string[], message: string): void => {
    ctx.issues.push({ code: 'custom', input: config, path, message });
  };
  const { ttlSeconds, marginMs } = config.lock;
  if (marginMs * 2 >= ttlSeconds * 1000) return refuse(['lock', 'marginMs'], `must be below half the TTL (${(ttlSeconds * 1000) / 2} ms for lock.ttlSeconds ${ttlSeconds}), got ${marginMs}`);
  const minDelay = minLockDelayMs(config.lock);
  if (config.lock.lockDelayMs < minDelay) {
    return refuse(
      ['lock', 'lockDelayMs'],
      `must be at least ${minDelay} ms (lock.watchdogTimeoutSeconds ${config.lock.watchdogTimeoutSeconds} s - lock.marginMs ${marginMs} ms + ${RESET_SLACK_MS} ms), so that a dead holder's host is reset by its watchdog before the next grant; got ${config.lock.lockDelayMs}`,
    );
  }
  if (config.embeddedEtcd.clientPort === config.embeddedEtcd.peerPort)
    return refuse(['embeddedEtcd', 'peerPort'], `must differ from embeddedEtcd.clientPort (${config.embeddedEtcd.clientPort})`);
  const schemes = new Set(config.etcd.endpoints.map((e) => new URL(e).protocol));
  if (schemes.size > 1) return refuse(['etcd', 'endpoints'], 'must all be http:// or all https://');
  if (config.etcd.tls !== null) {
    if (config.etcd.endpoints.length === 0) return refuse(['etcd', 'tls'], 'needs etcd.endpoints (the embedded etcd listens on 127.0.0.1 without TLS)');
    if (!schemes.has('https:')) return refuse(['etcd', 'tls'], 'needs https:// endpoints');
  }
});

/**
 * Checks `value` (parsed JSON: an object whose every key is optional; nested sections `etcd`,
 * `embeddedEtcd`, `lock` may give some of their keys) and fills in the defaults. A
 * `coordinatorId` of `""` becomes `os.hostname()`. Pure apart from reading the host name.
 * @param source names the origin in error messages (a file path, `command line`)
 * @throws CoordinatorConfigError naming the key at fault, the message prefixed with `source`
 */
export function parseCoordinatorConfig(value: unknown, source: string): CoordinatorConfig {
  return withSource(source, () => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CoordinatorConfigError('must hold a JSON object', null);
    return resolveLayers(DEFAULT_COORDINATOR_CONFIG, value as Record<string, unknown>);
  });
}

function resolveLayers(base: CoordinatorConfig, layer: Record<string, unknown>): CoordinatorConfig {
  const top: Record<string, unknown> = { ...base, ...parseConfig(TOP, layer, toError) };
  for (const [section, schema] of Object.entries(SECTIONS)) {
    const given = layer[section];
    const below = base[section as keyof typeof SECTIONS];
    top[section] = given === undefined ? below : { ...below, ...parseConfig(z.object({ [section]: schema }), { [section]: given }, toError)[section] };
  }
  const config = parseConfig(ACROSS_KEYS, top as unknown as CoordinatorConfig, toError);
  return config.coordinatorId === '' ? { ...config, coordinatorId: hostname() } : config;
}

function withSource<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CoordinatorConfigError) throw new CoordinatorConfigError(`${source}: ${err.message}`, err.key, { cause: err.cause });
    throw err;
  }
}

/**
 * Reads the config file, then applies `overrides` (from flags) on top, checked the same way
 * (errors say `command line`). `path` null means the default path, where a missing file is fine
 * (a host that never wrote one runs on defaults); a named file must exist.
 * @throws CoordinatorConfigError for an unreadable file, bad JSON, unknown keys, wrong types or ranges
 */
export function loadCoordinatorConfig(path: string | null, overrides: CoordinatorConfigOverrides = {}): CoordinatorConfig {
  const { file, json: fromFile } = readConfigFile(path, DEFAULT_COORDINATOR_CONFIG_FILE, (message, cause) => new CoordinatorConfigError(message, null, { cause }));
  const config = parseCoordinatorConfig(fromFile, `config ${file}`);
  if (Object.keys(overrides).length === 0) return config;
  return withSource('command line', () => resolveLayers(config, overrides as Record<string, unknown>));
}
