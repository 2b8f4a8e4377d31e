/**
 * The agent's configuration: a JSON file (default /etc/thinfleet/agent.json, the packaged copy
 * is deploy/config/agent.json) whose every key is optional, overridden by command-line flags.
 * `loadAgentConfig` fills the defaults and refuses unknown keys and wrong types, naming the key,
 * so a typo never silently runs the agent with a default.
 */
import { hostname } from 'node:os';
import {
  anyString,
  hostPortSchema,
  nonEmptyString,
  parseConfig,
  optionalKeys,
  POOL_NAME_PATTERN,
  readConfigFile,
  says,
  strictSection,
  tlsFilesSchema,
  tlsFilesShape,
  type TlsFiles,
} from '@thinfleet/proto';
import { z } from 'zod';

export { splitHostPort } from '@thinfleet/proto';

/** How a host is fenced without its agent's cooperation: a host watchdog, or nothing. */
export type FencingKind = 'watchdog' | 'none';

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
export type TlsClientFiles = TlsFiles;

/** Cluster mode (docs/agent.md, "Cluster mode"): pools are shared, the coordinator hands out their locks. */
export interface ClusterConfig {
  /**
   * The coordinators' `host:port`s, tried in turn (the file's `coordinators`, or its one
   * `coordinator`): when the stream to one breaks, the session moves on to the next.
   */
  readonly coordinators: readonly string[];
  /** The first of `coordinators` (kept for callers that need one address). */
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
  /**
   * The directories ImportVolume may read images from and ExportVolume may write them to (after
   * symbolic links are resolved); empty: any absolute path (the agent opens it as root, like dd).
   */
  readonly imageDirectories: readonly string[];
  /** A flatten job copies this many bytes of the volume per step (its pause on the volume grows with it). */
  readonly flattenChunkBytes: number;
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
   * How this host is fenced when its agent cannot fence (cluster mode only; docs/agent.md,
   * "Fencing"): `watchdog` arms the host watchdog at `watchdogDevice` while a pool is held, so a
   * dead, stopped or hung agent ends in a host reset before the pool can be granted elsewhere;
   * `none` runs without that backstop (warned at every start, shown in `cluster status`).
   */
  readonly fencing: FencingKind;
  /** The host watchdog device (absolute path); opened only while a pool is held. */
  readonly watchdogDevice: string;
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
  deleteChunkBytes: 32 * 1024 * 1024,
  imageDirectories: [],
  flattenChunkBytes: 4 * 1024 * 1024,
  deleteInBackgroundAboveBytes: GiB,
  snapshotDeadlineMs: 30_000,
  shutdownTimeoutMs: 60_000,
  maxBatchOps: 10_000,
  maxRequestBytes: 16 * 1024 * 1024,
  cluster: null,
  fencing: 'watchdog',
  watchdogDevice: '/dev/watchdog',
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

/** A whole number from `min` up (and a safe integer). */
const wholeNumber = (min: number): z.ZodNumber => {
  const what = says(`must be a whole number >= ${min}`);
  return z.number(what).int(what).min(min, what);
};

const oneOf = <const T extends readonly [string, ...string[]]>(...values: T): z.ZodEnum<{ [K in T[number]]: K }> => z.enum(values, says(`must be one of ${values.join(', ')}`));

const hostPort = (): z.ZodString => hostPortSchema();

const tcp = strictSection({ listen: hostPort(), ...tlsFilesShape() });

/** `cluster.coordinators`: a non-empty array of `host:port`, each checked (a fault names its index). */
const coordinatorList = z.array(hostPort(), says('must be an array of host:port strings')).min(1, says('must name at least one coordinator'));

/**
 * The file's `cluster` section: exactly one of `coordinator` and `coordinators` is required; the
 * empty defaults are resolved after every layer.
 */
const cluster = strictSection(
  {
    coordinator: hostPort().exactOptional(),
    coordinators: coordinatorList.exactOptional(),
    nodeId: anyString().exactOptional(),
    advertise: anyString().exactOptional(),
    tls: tlsFilesSchema('must be an object or null').nullable().exactOptional(),
  },
  'must be an object or null',
)
  .superRefine((given, ctx) => {
    if (given.coordinator !== undefined && given.coordinators !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['coordinators'], message: 'give either coordinator or coordinators, not both' });
    } else if (given.coordinator === undefined && given.coordinators === undefined) {
      ctx.addIssue({ code: 'custom', path: ['coordinator'], message: 'required (or coordinators: ["host:port", ...])' });
    }
  })
  .transform(({ coordinator, coordinators, ...given }) => {
    const list = coordinators ?? [coordinator!];
    return { nodeId: '', advertise: '', tls: null, ...given, coordinators: list, coordinator: list[0]! };
  });

const absolutePath = nonEmptyString().startsWith('/', says('must be an absolute path'));

const autoextendEntry = strictSection({ device: absolutePath, stepBytes: wholeNumber(1024 * 1024) });

/** Pool name keys (the engine's pattern) to their autoextend entries. */
const autoextend = z.record(z.string().regex(POOL_NAME_PATTERN), autoextendEntry, {
  error: (issue) => (issue.code === 'invalid_key' ? 'not a pool name' : 'must be an object of pool names'),
});

const positiveNumber = z.number(says('must be a number > 0')).gt(0, says('must be a number > 0'));
const percent = (): z.ZodNumber => {
  const what = says('must be a percentage > 0 and <= 100');
  return z.number(what).gt(0, what).lte(100, what);
};

/** One layer (the file, or the flags): every key optional, none unknown; a given `cluster` or `poolAutoextend` replaces the one below. */
const LAYER = strictSection(
  optionalKeys({
    socket: nonEmptyString(),
    stateDir: nonEmptyString(),
    dm: oneOf('native', 'sim', 'auto'),
    tcp: tcp.nullable(),
    metricsListen: hostPort().nullable(),
    logLevel: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    deleteChunkBytes: wholeNumber(64 * 1024),
    imageDirectories: z.array(absolutePath, says('must be an array of absolute directory paths')),
    flattenChunkBytes: wholeNumber(64 * 1024).max(64 * 1024 * 1024, says('must be a whole number from 65536 to 67108864')),
    deleteInBackgroundAboveBytes: wholeNumber(0),
    snapshotDeadlineMs: wholeNumber(1),
    shutdownTimeoutMs: wholeNumber(0),
    maxBatchOps: wholeNumber(1),
    maxRequestBytes: wholeNumber(64 * 1024),
    cluster: cluster.nullable(),
    fencing: oneOf('watchdog', 'none'),
    watchdogDevice: absolutePath,
    overprovisionWarnRatio: positiveNumber.nullable(),
    poolDataWarnPercent: percent(),
    poolMetadataWarnPercent: percent(),
    poolCapacityPollMs: wholeNumber(100),
    poolAutoextend: autoextend,
  } satisfies Record<keyof AgentConfig, z.ZodType>),
);

/**
 * Checks `overrides` (parsed JSON and flags) and fills in the defaults.
 * @throws AgentConfigError naming the key at fault
 */
export function resolveAgentConfig(...layers: ReadonlyArray<Record<string, unknown>>): AgentConfig {
  let config: Record<string, unknown> = { ...DEFAULT_AGENT_CONFIG };
  for (const layer of layers) config = { ...config, ...parseConfig(LAYER, layer, ({ message, key }) => new AgentConfigError(message, key)) };
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
  const { file: path, json } = readConfigFile(file, DEFAULT_CONFIG_FILE, (message, cause) => new AgentConfigError(message, null, { cause }));
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new AgentConfigError(`config ${path} must hold a JSON object`, null);
  const fromFile = json as Record<string, unknown>;
  try {
    return resolveAgentConfig(fromFile, overrides);
  } catch (err) {
    if (err instanceof AgentConfigError) throw new AgentConfigError(`config ${path}: ${err.message}`, err.key, { cause: err.cause });
    throw err;
  }
}
