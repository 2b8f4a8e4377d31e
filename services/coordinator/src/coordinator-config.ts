/**
 * The coordinator's configuration: a JSON file (default /etc/thinfleet/coordinator.json, the
 * packaged copy is deploy/config/coordinator.json) whose every key is optional, overridden by
 * command-line flags. Parsing fills the defaults and refuses unknown keys, wrong types and values
 * out of range, naming the key (`lock.marginMs`), so a typo never silently runs the coordinator
 * with a default.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** PEM files for one side of a mutual-TLS connection. */
export interface TlsFiles {
  /** The CA that signs the peer's certificate. */
  readonly caFile: string;
  /** This side's certificate and its private key. */
  readonly certFile: string;
  readonly keyFile: string;
}

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
  /** After a holder's session expired, its pools stay locked this much longer. */
  readonly lockDelayMs: number;
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
  readonly logLevel?: LogLevel | string;
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
  lock: { ttlSeconds: 10, marginMs: 2000, lockDelayMs: 1000 },
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

type Check = (value: unknown, key: string) => unknown;

const fail = (key: string, what: string): never => {
  throw new CoordinatorConfigError(`${key}: ${what}`, key);
};

const isString: Check = (v, key) => (typeof v === 'string' && v.length > 0 ? v : fail(key, 'must be a non-empty string'));

const anyString: Check = (v, key) => (typeof v === 'string' ? v : fail(key, 'must be a string'));

const portNumber = (v: string, key: string, min: number): number => {
  const port = Number(v);
  if (!/^\d{1,5}$/.test(v) || port < min || port > 65535) fail(key, `port must be from ${min} to 65535, got "${v}"`);
  return port;
};

/** `host:port` with port 0..65535 (0: any free port); IPv6 hosts in brackets. */
const isListen: Check = (v, key) => {
  const s = isString(v, key) as string;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]/]+):([^:]*)$/.exec(s);
  if (m === null) return fail(key, `must be host:port, got "${s}"`);
  portNumber(m[2] as string, key, 0);
  return s;
};

const wholeNumber =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v, key) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : fail(key, `must be a whole number from ${min} to ${max}`);

const oneOf =
  (...values: string[]): Check =>
  (v, key) =>
    typeof v === 'string' && values.includes(v) ? v : fail(key, `must be one of ${values.join(', ')}`);

const orNull =
  (check: Check): Check =>
  (v, key) =>
    v === null ? null : check(v, key);

const isObject = (v: unknown, key: string): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(key, 'must be an object');

const tlsFiles: Check = (v, key) => checkObject(isObject(v, key), key, { caFile: isString, certFile: isString, keyFile: isString }, null);

/** An http(s) URL naming a host and nothing else (an etcd client URL), no trailing path. */
const etcdEndpoint = (v: unknown, key: string): string => {
  const s = isString(v, key) as string;
  let url: URL | null = null;
  try {
    url = new URL(s);
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    return fail(key, `must be an http:// or https:// URL, got "${s}"`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return fail(key, `must be scheme://host:port only, got "${s}"`);
  }
  return s;
};

const endpoints: Check = (v, key) => {
  if (!Array.isArray(v)) return fail(key, 'must be an array of URLs ([] for the embedded etcd)');
  return v.map((item, i) => etcdEndpoint(item, `${key}[${i}]`));
};

const prefix: Check = (v, key) => {
  const s = isString(v, key) as string;
  return s.endsWith('/') ? s : fail(key, `must end with "/", got "${s}"`);
};

const absolutePath: Check = (v, key) => {
  const s = isString(v, key) as string;
  return s.startsWith('/') ? s : fail(key, `must be an absolute path, got "${s}"`);
};

/** `""` (the host name) or a name without whitespace, control characters or `/` (it goes into etcd keys). */
const coordinatorId: Check = (v, key) => {
  const s = anyString(v, key) as string;
  if (/[\s/\u0000-\u001f\u007f]/.test(s) || s.length > 253) return fail(key, `must be at most 253 characters without whitespace or "/", got ${JSON.stringify(s)}`);
  return s;
};

/** Checks of one object's keys; `null` for a section whose missing keys keep their defaults. */
type Checks = Record<string, Check>;

const SECTION_CHECKS = {
  etcd: { endpoints, tls: orNull(tlsFiles), prefix },
  embeddedEtcd: { binary: absolutePath, clientPort: wholeNumber(1, 65535), peerPort: wholeNumber(1, 65535) },
  lock: { ttlSeconds: wholeNumber(2), marginMs: wholeNumber(0), lockDelayMs: wholeNumber(0) },
} satisfies Record<string, Checks>;

const TOP_CHECKS: Record<keyof CoordinatorConfig, Check> = {
  listen: isListen,
  metricsListen: orNull(isListen),
  stateDir: absolutePath,
  coordinatorId,
  etcd: (v, key) => isObject(v, key),
  embeddedEtcd: (v, key) => isObject(v, key),
  lock: (v, key) => isObject(v, key),
  tls: orNull(tlsFiles),
  agentTls: orNull(tlsFiles),
  logLevel: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
};

/**
 * Checks each key of `value` and returns the checked copy. With `defaults` given, missing keys
 * take their values from it; with null every key is required.
 */
function checkObject(value: Record<string, unknown>, prefixKey: string, checks: Checks, defaults: Record<string, unknown> | null): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(defaults ?? {}) };
  for (const key of Object.keys(value)) {
    const path = prefixKey === '' ? key : `${prefixKey}.${key}`;
    const check = checks[key];
    if (check === undefined) fail(path, `unknown key (known: ${Object.keys(checks).join(', ')})`);
    out[key] = (check as Check)(value[key], path);
  }
  if (defaults === null) {
    for (const key of Object.keys(checks)) {
      if (!(key in value)) fail(`${prefixKey}.${key}`, 'required');
    }
  }
  return out;
}

/** The rules that span keys; `config` has passed the per-key checks. */
function checkAcrossKeys(config: CoordinatorConfig): void {
  const { ttlSeconds, marginMs } = config.lock;
  if (marginMs * 2 >= ttlSeconds * 1000) fail('lock.marginMs', `must be below half the TTL (${(ttlSeconds * 1000) / 2} ms for lock.ttlSeconds ${ttlSeconds}), got ${marginMs}`);
  if (config.embeddedEtcd.clientPort === config.embeddedEtcd.peerPort) fail('embeddedEtcd.peerPort', `must differ from embeddedEtcd.clientPort (${config.embeddedEtcd.clientPort})`);
  const schemes = new Set(config.etcd.endpoints.map((e) => new URL(e).protocol));
  if (schemes.size > 1) fail('etcd.endpoints', 'must all be http:// or all https://');
  if (config.etcd.tls !== null) {
    if (config.etcd.endpoints.length === 0) fail('etcd.tls', 'needs etcd.endpoints (the embedded etcd listens on 127.0.0.1 without TLS)');
    if (!schemes.has('https:')) fail('etcd.tls', 'needs https:// endpoints');
  }
}

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
  const top = checkObject(layer, '', TOP_CHECKS, base as unknown as Record<string, unknown>);
  for (const [section, checks] of Object.entries(SECTION_CHECKS)) {
    const given = layer[section];
    const defaults = base[section as keyof typeof SECTION_CHECKS] as unknown as Record<string, unknown>;
    top[section] = given === undefined ? defaults : checkObject(given as Record<string, unknown>, section, checks, defaults);
  }
  const config = top as unknown as CoordinatorConfig;
  checkAcrossKeys(config);
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
  const file = path ?? DEFAULT_COORDINATOR_CONFIG_FILE;
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (path !== null || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CoordinatorConfigError(`cannot read config ${file}: ${(err as Error).message}`, null, { cause: err });
    }
  }
  let fromFile: unknown = {};
  if (text !== null) {
    try {
      fromFile = JSON.parse(text);
    } catch (err) {
      throw new CoordinatorConfigError(`config ${file} is not valid JSON: ${(err as Error).message}`, null, { cause: err });
    }
  }
  const config = parseCoordinatorConfig(fromFile, `config ${file}`);
  if (Object.keys(overrides).length === 0) return config;
  return withSource('command line', () => resolveLayers(config, overrides as Record<string, unknown>));
}

/** Splits `host:port` (IPv6 in brackets). Precondition: the value passed the `listen` check. */
export function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(value.slice(at + 1)) };
}
