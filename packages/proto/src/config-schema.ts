/**
 * What the agent's and the coordinator's config files have in common, as zod schemas: host:port
 * addresses, TLS sections `{caFile, certFile, keyFile}`, strict sections that refuse unknown keys,
 * and the turning of zod's issues into one message that names the key at fault
 * (`lock.marginMs: must be below half the TTL ...`); the reading of the file itself; and the
 * daemons' command lines, whose flags override config keys.
 *
 * It lives in @thinfleet/proto because that is the lowest package both services already depend on
 * (the other one, @thinfleet/dm-native, is the native addon); proto already holds what the two
 * daemons share (server shutdown, load options), and a config is the other half of a daemon's
 * surface. Nothing here touches the wire.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * Error options for a schema or a check: every issue it raises says `what` (without the key; the
 * key is prefixed by {@link firstConfigProblem}). `what` may be a function of the refused value.
 */
export function says(what: string | ((input: unknown) => string)): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (typeof what === 'string' ? what : what(issue.input)) };
}

/** A non-empty string; anything else is refused with `must be a non-empty string`. */
export const nonEmptyString = (): z.ZodString => z.string(says('must be a non-empty string')).min(1, says('must be a non-empty string'));

/** Any string, `""` included. */
export const anyString = (): z.ZodString => z.string(says('must be a string'));

/**
 * A strict section: keys outside `shape` are refused (`unknown key (known: a, b)`), and a value
 * that is not an object says `notObject`. Keys are required unless their schema is optional.
 */
export function strictSection<S extends z.ZodRawShape>(shape: S, notObject = 'must be an object'): z.ZodObject<S, z.core.$strict> {
  const known = `unknown key (known: ${Object.keys(shape).join(', ')})`;
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? known : notObject) });
}

/**
 * Every key of `shape` made optional for a layer (a file, the flags) that gives only some keys: a
 * key may be absent, but a key given as `undefined` is refused like any wrong type.
 */
export function optionalKeys<S extends z.ZodRawShape>(shape: S): { [K in keyof S]: z.ZodExactOptional<S[K]> } {
  const out: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(shape)) out[key] = z.exactOptional(schema);
  return out as { [K in keyof S]: z.ZodExactOptional<S[K]> };
}

/** PEM files for one side of a mutual-TLS connection; all three required, nothing else allowed. */
export interface TlsFiles {
  /** The CA that signs the peer's certificate. */
  readonly caFile: string;
  /** This side's certificate and its private key. */
  readonly certFile: string;
  readonly keyFile: string;
}

/** The keys of a TLS section, for sections that add keys of their own (the agent's `tcp`). */
export const tlsFilesShape = (): { caFile: z.ZodString; certFile: z.ZodString; keyFile: z.ZodString } => ({
  caFile: nonEmptyString(),
  certFile: nonEmptyString(),
  keyFile: nonEmptyString(),
});

/** A TLS section `{caFile, certFile, keyFile}`, each a non-empty string. */
export const tlsFilesSchema = (notObject = 'must be an object'): z.ZodType<TlsFiles> => strictSection(tlsFilesShape(), notObject);

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]/]+):([^:]*)$/;

/** At most this many characters of a refused value are quoted back. */
const QUOTE_CHARS = 64;

/** `value` in quotes, cut to a short prefix: a message never repeats an unbounded input. */
export function quote(value: string): string {
  return JSON.stringify(value.length > QUOTE_CHARS ? `${value.slice(0, QUOTE_CHARS)}…` : value);
}

/**
 * `host:port`, IPv6 hosts in brackets, ports 0..65535 (0: any free port), no `/` or stray
 * brackets in the host. One grammar for every host:port key of the agent and the coordinator
 * (the agent's used to pass any five digits and leave a port above 65535 to fail at listen
 * time). Refusals quote at most a short prefix of the value.
 */
export function hostPortSchema(): z.ZodString {
  return nonEmptyString().check((ctx) => {
    const s = ctx.value;
    if (s.length === 0) return;
    const m = HOST_PORT.exec(s);
    const port = m?.[2];
    if (m === null || port === undefined) {
      ctx.issues.push({ code: 'custom', input: s, message: `must be host:port, got ${quote(s)}` });
    } else if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
      ctx.issues.push({ code: 'custom', input: s, message: `port must be from 0 to 65535, got ${quote(port)}` });
    }
  });
}

/** Splits `host:port` (IPv6 brackets removed). Precondition: the value passed {@link hostPortSchema}. */
export function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(value.slice(at + 1)) };
}

/** The key at fault (`etcd.endpoints[1]`, `cluster.tls.certFile`) and the message naming it. */
export interface ConfigProblem {
  readonly key: string;
  /** `<key>: <what is wrong>`. */
  readonly message: string;
}

type PathKey = PropertyKey;

function keyName(path: readonly PathKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out;
}

/** Where `path` leads in `input`: each step's position among its parent's keys; absent keys after present ones. */
function rank(input: unknown, path: readonly PathKey[]): number[] {
  const out: number[] = [];
  let at: unknown = input;
  for (const part of path) {
    if (typeof at !== 'object' || at === null) break;
    const keys = Object.keys(at);
    const i = keys.indexOf(String(part));
    out.push(i < 0 ? keys.length : i);
    at = (at as Record<PropertyKey, unknown>)[part];
  }
  return out;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

function isAbsent(input: unknown, path: readonly PathKey[]): boolean {
  let at: unknown = input;
  for (const [i, part] of path.entries()) {
    if (typeof at !== 'object' || at === null) return false;
    if (!Object.prototype.hasOwnProperty.call(at, part)) return i === path.length - 1;
    at = (at as Record<PropertyKey, unknown>)[part];
  }
  return false;
}

/**
 * The problem to report for a failed parse of `input`: the first issue in the input's own key
 * order (as a reader of the file meets them; missing keys after given ones), its path extended by
 * the first unknown key for an unknown-key issue, `required` for a missing key.
 * Precondition: `error` came from parsing `input`.
 */
export function firstConfigProblem(error: z.ZodError, input: unknown): ConfigProblem {
  const candidates = error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : [...issue.path];
    return { issue, path, rank: rank(input, path) };
  });
  candidates.sort((a, b) => compareRanks(a.rank, b.rank));
  const first = candidates[0];
  if (first === undefined) return { key: '', message: 'invalid' };
  const key = keyName(first.path);
  const what = first.issue.code === 'invalid_type' && isAbsent(input, first.path) ? 'required' : first.issue.message;
  return { key, message: `${key}: ${what}` };
}

/**
 * Parses `input` with `schema`, or throws `toError(problem)` for its first problem
 * ({@link firstConfigProblem}). Pure.
 */
export function parseConfig<T>(schema: z.ZodType<T>, input: unknown, toError: (problem: ConfigProblem) => Error): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw toError(firstConfigProblem(result.error, input));
}

/**
 * Reads a daemon's JSON config file and parses the JSON (the schema is the caller's). `path` null
 * means `defaultPath`, where a missing file gives `{}` (a host that never wrote one runs on
 * defaults); a named file must exist. Reads only; idempotent.
 * @returns the file read (for messages) and its parsed JSON
 * @throws `toError(message, cause)` for an unreadable file or text that is not JSON; the message
 * names the file (`cannot read config F: ...`, `config F is not valid JSON: ...`)
 */
export function readConfigFile(path: string | null, defaultPath: string, toError: (message: string, cause: unknown) => Error): { file: string; json: unknown } {
  const file = path ?? defaultPath;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (path === null && (err as NodeJS.ErrnoException).code === 'ENOENT') return { file, json: {} };
    throw toError(`cannot read config ${file}: ${(err as Error).message}`, err);
  }
  try {
    return { file, json: JSON.parse(text) };
  } catch (err) {
    throw toError(`config ${file} is not valid JSON: ${(err as Error).message}`, err);
  }
}

/** Where {@link parseDaemonFlags} writes --help, --version and usage errors. */
export interface DaemonFlagsIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * Parses a daemon's command line: the string flags `names` (each at most once, `--name VALUE` or
 * `--name=VALUE`), plus `-h`/`--help` and `--version`; no positionals. Pure but for `io`.
 * @returns the values given, by flag name; or the exit code when the daemon should stop here:
 * 0 after printing `usage` (--help) or `<program> <version>` (--version) on `io.out`, 2 after
 * printing `<program>: <what is wrong>` and `usage` on `io.err`
 */
export function parseDaemonFlags<K extends string>(
  program: string,
  version: string,
  usage: string,
  argv: readonly string[],
  names: readonly K[],
  io: DaemonFlagsIo,
): { readonly values: Partial<Record<K, string>> } | { readonly exitCode: 0 | 2 } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const name of names) options[name] = { type: 'string' };
  options.help = { type: 'boolean', short: 'h' };
  options.version = { type: 'boolean' };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    io.err(`${program}: ${(e as Error).message}\n${usage}`);
    return { exitCode: 2 };
  }
  if (parsed.help === true) {
    io.out(usage);
    return { exitCode: 0 };
  }
  if (parsed.version === true) {
    io.out(`${program} ${version}\n`);
    return { exitCode: 0 };
  }
  const values: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = parsed[name];
    if (typeof value === 'string') values[name] = value;
  }
  return { values };
}
