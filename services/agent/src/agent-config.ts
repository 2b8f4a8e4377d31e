/**
 * The agent's configuration: a JSON file (default /etc/thinfleet/agent.json, the packaged copy
 * is deploy/config/agent.json) whose every key is optional, overridden by command-line flags.
 * `loadAgentConfig` fills the defaults and refuses unknown keys and wrong types, naming the key,
 * so a typo never silently runs the agent with a default.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Which device-mapper the agent drives. `auto`: the kernel's, and a clear error when absent. */
export type DmBackendKind = 'native' | 'sim' | 'auto';

export interface TcpConfig {
  /** `host:port` to listen on; port 0 picks a free one. */
  readonly listen: string;
  /** PEM files: the CA that signs client certificates, and this agent's certificate and key. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** PEM files for a TLS client: the CA that signs the server's certificate, and this host's certificate and key. */
export interface TlsClientFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Cluster mode (docs/agent.md, "Cluster mode"): pools are shared, the coordinator hands out their locks. */
export interface ClusterConfig {
  /** The coordinator's `host:port`. */
  readonly coordinator: string;
  /** This host's node id, unique in the cluster and stable across restarts (`""` in the file: the host name). */
  readonly nodeId: string;
  /** Where the coordinator reaches this agent: `unix:/path` or `host:port` (`""` in the file: `unix:` and the socket). */
  readonly advertise: string;
  /** Mutual TLS to the coordinator; null for plaintext (a coordinator on loopback). */
  readonly tls: TlsClientFiles | null;
}

export interface AgentConfig {
  /** The unix socket the agent serves on (mode 0600 in a 0700 directory). */
  readonly socket: string;
  /** Where the agent keeps the pools it knows, its jobs, and the simulated kernel's state. */
  readonly stateDir: string;
  readonly dm: DmBackendKind;
  /** Serve on TCP as well, with mutual TLS; null for the unix socket only. */
  readonly tcp: TcpConfig | null;
  /** `host:port` for Prometheus' /metrics over HTTP; null for none. */
  readonly metricsListen: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** A chunked delete discards this many bytes per step. */
  readonly deleteChunkBytes: number;
  /** DeleteMode AUTO deletes in the background when the volume maps more than this many bytes. */
  readonly deleteInBackgroundAboveBytes: number;
  /** Longest time origins stay suspended for one batch's snapshots. */
  readonly snapshotDeadlineMs: number;
  /** At shutdown, how long in-flight operations may take before the agent exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** A batch may hold at most this many ops. */
  readonly maxBatchOps: number;
  /**
   * Largest request message the agent reads, in bytes (grpc's max receive message length); a
   * larger one is refused with RESOURCE_EXHAUSTED before it is decoded.
   */
  readonly maxRequestBytes: number;
  /** Cluster mode; null for a standalone host (every pool is this host's alone). */
  readonly cluster: ClusterConfig | null;
  /**
   * A create, snapshot, resize, revision or batch that takes a pool's provisioned size (the sum
   * of its volumes' sizes) beyond this many times its data size answers with a warning (the call
   * still succeeds); null: never warn. Default 1, LVM's: warn once volumes promise more than the pool holds.
   */
  readonly overprovisionWarnRatio: number | null;
  /** Data use of a pool, in percent, at which it is over its threshold (log, metric, event; autoextend). */
  readonly poolDataWarnPercent: number;
  /** Metadata use of a pool, in percent, at which it is over its threshold (log, metric, event). */
  readonly poolMetadataWarnPercent: number;
  /** How often the agent reads every pool's use against the thresholds, in milliseconds. */
  readonly poolCapacityPollMs: number;
  /**
   * Autoextend, by pool name: while a pool's data use is at or above poolDataWarnPercent, each
   * capacity poll adds `stepBytes` of `device` (a spare block device or file on this host) to its
   * data region, until the spare is used up. Pools not named here are never extended by the agent.
   */
  readonly poolAutoextend: Readonly<Record<string, AutoextendConfig>>;
}

/** One pool's autoextend: the spare device and the step. */
export interface AutoextendConfig {
  /** Absolute path of a block device or regular file that no other pool uses. */
  readonly device: string;
  /** Bytes added per step (rounded down to the pool's data block size), at least 1 MiB. */
  readonly stepBytes: number;
}

const GiB = 1024 ** 3;

export const DEFAULT_AGENT_CONFIG: AgentConfig = {
  socket: '/run/thinfleet/agent.sock',
  stateDir: '/var/lib/thinfleet',
  dm: 'auto',
  tcp: null,
  metricsListen: '127.0.0.1:9746',
  logLevel: 'info',
  deleteChunkBytes: GiB,
  deleteInBackgroundAboveBytes: GiB,
  snapshotDeadlineMs: 30_000,
  shutdownTimeoutMs: 60_000,
  maxBatchOps: 10_000,
  maxRequestBytes: 16 * 1024 * 1024,
  cluster: null,
  overprovisionWarnRatio: 1,
  poolDataWarnPercent: 80,
  poolMetadataWarnPercent: 80,
  poolCapacityPollMs: 10_000,
  poolAutoextend: {},
};

export const DEFAULT_CONFIG_FILE = '/etc/thinfleet/agent.json';

/** A config problem: the file, and the key at fault. */
export class AgentConfigError extends Error {
  constructor(
    message: string,
    readonly key: string | null,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'AgentConfigError';
  }
}

type Check = (value: unknown, key: string) => unknown;

const isString: Check = (v, key) => {
  if (typeof v !== 'string' || v.length === 0) throw new AgentConfigError(`${key}: must be a non-empty string`, key);
  return v;
};
const isHostPort: Check = (v, key) => {
  const s = isString(v, key) as string;
  if (!/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(s)) throw new AgentConfigError(`${key}: must be host:port, got "${s}"`, key);
  return s;
};
const wholeNumber =
  (min: number): Check =>
  (v, key) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new AgentConfigError(`${key}: must be a whole number >= ${min}`, key);
    return v;
  };
const positiveNumber: Check = (v, key) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new AgentConfigError(`${key}: must be a number > 0`, key);
  return v;
};
const percent: Check = (v, key) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 100) throw new AgentConfigError(`${key}: must be a percentage > 0 and <= 100`, key);
  return v;
};
const oneOf =
  (...values: string[]): Check =>
  (v, key) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new AgentConfigError(`${key}: must be one of ${values.join(', ')}`, key);
    return v;
  };
const orNull =
  (check: Check): Check =>
  (v, key) =>
    v === null ? null : check(v, key);
const tcp: Check = (v, key) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AgentConfigError(`${key}: must be an object`, key);
  return checkObject(v as Record<string, unknown>, key, { listen: isHostPort, caFile: isString, certFile: isString, keyFile: isString }, true);
};

const anyString: Check = (v, key) => {
  if (typeof v !== 'string') throw new AgentConfigError(`${key}: must be a string`, key);
  return v;
};
const tlsFiles: Check = (v, key) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AgentConfigError(`${key}: must be an object or null`, key);
  return checkObject(v as Record<string, unknown>, key, { caFile: isString, certFile: isString, keyFile: isString }, true);
};
const cluster: Check = (v, key) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AgentConfigError(`${key}: must be an object or null`, key);
  const given = checkObject(v as Record<string, unknown>, key, { coordinator: isHostPort, nodeId: anyString, advertise: anyString, tls: orNull(tlsFiles) }, false);
  if (!('coordinator' in given)) throw new AgentConfigError(`${key}.coordinator: required`, `${key}.coordinator`);
  return { nodeId: '', advertise: '', tls: null, ...given };
};

const absolutePath: Check = (v, key) => {
  const s = isString(v, key) as string;
  if (!s.startsWith('/')) throw new AgentConfigError(`${key}: must be an absolute path`, key);
  return s;
};
const autoextend: Check = (v, key) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AgentConfigError(`${key}: must be an object of pool names`, key);
  const out: Record<string, unknown> = {};
  for (const [pool, entry] of Object.entries(v as Record<string, unknown>)) {
    const at = `${key}.${pool}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9+_.-]{0,31}$/.test(pool)) throw new AgentConfigError(`${at}: not a pool name`, at);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new AgentConfigError(`${at}: must be an object`, at);
    out[pool] = checkObject(entry as Record<string, unknown>, at, { device: absolutePath, stepBytes: wholeNumber(1024 * 1024) }, true);
  }
  return out;
};

const CHECKS: Record<keyof AgentConfig, Check> = {
  socket: isString,
  stateDir: isString,
  dm: oneOf('native', 'sim', 'auto'),
  tcp: orNull(tcp),
  metricsListen: orNull(isHostPort),
  logLevel: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  deleteChunkBytes: wholeNumber(64 * 1024),
  deleteInBackgroundAboveBytes: wholeNumber(0),
  snapshotDeadlineMs: wholeNumber(1),
  shutdownTimeoutMs: wholeNumber(0),
  maxBatchOps: wholeNumber(1),
  maxRequestBytes: wholeNumber(64 * 1024),
  cluster: orNull(cluster),
  overprovisionWarnRatio: orNull(positiveNumber),
  poolDataWarnPercent: percent,
  poolMetadataWarnPercent: percent,
  poolCapacityPollMs: wholeNumber(100),
  poolAutoextend: autoextend,
};

function checkObject(value: Record<string, unknown>, prefix: string, checks: Record<string, Check>, requireAll: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const check = checks[key];
    if (check === undefined) throw new AgentConfigError(`${path}: unknown key (known: ${Object.keys(checks).join(', ')})`, path);
    out[key] = check(value[key], path);
  }
  if (requireAll) {
    for (const key of Object.keys(checks)) {
      if (!(key in value)) throw new AgentConfigError(`${prefix}.${key}: required`, `${prefix}.${key}`);
    }
  }
  return out;
}

/**
 * Checks `overrides` (parsed JSON and flags) and fills in the defaults.
 * @throws AgentConfigError naming the key at fault
 */
export function resolveAgentConfig(...layers: ReadonlyArray<Record<string, unknown>>): AgentConfig {
  let config: Record<string, unknown> = { ...DEFAULT_AGENT_CONFIG };
  for (const layer of layers) config = { ...config, ...checkObject(layer, '', CHECKS, false) };
  const resolved = config as unknown as AgentConfig;
  if (resolved.cluster === null) return resolved;
  // Empty means "the default", resolved once every layer (the socket flag too) is known.
  return {
    ...resolved,
    cluster: {
      ...resolved.cluster,
      nodeId: resolved.cluster.nodeId === '' ? hostname() : resolved.cluster.nodeId,
      advertise: resolved.cluster.advertise === '' ? `unix:${resolved.socket}` : resolved.cluster.advertise,
    },
  };
}

/**
 * Reads the config file, then applies `overrides` (from flags). A missing file is fine only when
 * it is the default path (a host that never wrote one runs on defaults).
 * @throws AgentConfigError for unreadable JSON, unknown keys, or wrong types
 */
export function loadAgentConfig(file: string | null, overrides: Record<string, unknown> = {}): AgentConfig {
  const path = file ?? DEFAULT_CONFIG_FILE;
  let fromFile: Record<string, unknown> = {};
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (file !== null || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AgentConfigError(`cannot read config ${path}: ${(err as Error).message}`, null, { cause: err });
    }
  }
  if (text !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new AgentConfigError(`config ${path} is not valid JSON: ${(err as Error).message}`, null, { cause: err });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AgentConfigError(`config ${path} must hold a JSON object`, null);
    fromFile = parsed as Record<string, unknown>;
  }
  try {
    return resolveAgentConfig(fromFile, overrides);
  } catch (err) {
    if (err instanceof AgentConfigError) throw new AgentConfigError(`config ${path}: ${err.message}`, err.key, { cause: err.cause });
    throw err;
  }
}

/** Splits `host:port` (IPv6 in brackets). Precondition: the value passed the config checks. */
export function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(value.slice(at + 1)) };
}
