/**
 * `thinfleet-coordinator [--config FILE] [--listen HOST:PORT] [--state-dir DIR]
 * [--etcd-endpoints URL,...] [--log-level LEVEL]`: loads the config, starts the coordinator,
 * tells systemd it is ready, and stops it cleanly on SIGTERM or SIGINT (a second signal exits at
 * once). Exit codes: 0 after a clean stop (and for --help, --version), 1 when start or stop
 * failed, 2 for a bad command line or config.
 */
import { readFileSync } from 'node:fs';
import { parseDaemonFlags } from '@thinfleet/proto';
import { notifySystemd } from '@thinfleet/sd-notify';
import { pino, type Logger } from 'pino';
import { CoordinatorConfigError, DEFAULT_COORDINATOR_CONFIG_FILE, loadCoordinatorConfig, type CoordinatorConfig, type CoordinatorConfigOverrides } from './coordinator-config.js';
import { Coordinator } from './coordinator.js';

/** The coordinator's version, from its package.json. */
export const COORDINATOR_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const USAGE = `usage: thinfleet-coordinator [--config FILE] [--listen HOST:PORT] [--state-dir DIR]
                             [--etcd-endpoints URL,...] [--log-level LEVEL]

Runs thinfleet's cluster coordinator: agents keep a session with it, it grants their pool
locks (stored in etcd), knows which host has which pool, and routes clients' requests there.

  --config FILE            JSON config (default ${DEFAULT_COORDINATOR_CONFIG_FILE} when it
                           exists, otherwise the built-in defaults; see docs/coordinator.md)
  --listen HOST:PORT       gRPC address for agents and clients (default 127.0.0.1:9750)
  --state-dir DIR          the coordinator's state, the embedded etcd's data in DIR/etcd
                           (default /var/lib/thinfleet-coordinator)
  --etcd-endpoints URLS    comma-separated etcd client URLs (https://etcd1:2379,...); empty
                           (the default) runs an embedded single-member etcd on 127.0.0.1
  --log-level LEVEL        fatal, error, warn, info (default), debug, trace, silent
  -h, --help               this text
  --version                the version

Flags override the config file's keys. TLS (etcd.tls, tls, agentTls), the embedded etcd and
the lock timing are set in the config file only.

Examples:
  thinfleet-coordinator                                   # as systemd runs it
  thinfleet-coordinator --state-dir /tmp/tfc --listen 127.0.0.1:9750
  thinfleet-coordinator --etcd-endpoints https://etcd1:2379,https://etcd2:2379,https://etcd3:2379
`;

/** What coordinatorMain needs of a running coordinator. */
export interface RunningCoordinator {
  readonly address: string;
  stop(): Promise<void>;
}

/** Where coordinatorMain writes, which environment it reads, and which signals it obeys. */
export interface CoordinatorMainIo {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Emits SIGTERM and SIGINT; default `process`. */
  readonly signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
}

/** Replaceable parts, for tests. */
export interface CoordinatorMainDeps {
  /** Starts the coordinator; default `Coordinator.start`. */
  readonly start?: (config: CoordinatorConfig, options: { readonly logger: Logger; readonly env: NodeJS.ProcessEnv }) => Promise<RunningCoordinator>;
  /** Sends one sd_notify state; default {@link notifySystemd} with `io.env`. */
  readonly notify?: (state: string) => Promise<boolean>;
  /** Makes the logger; default pino on stdout at the config's level. */
  readonly logger?: (config: CoordinatorConfig) => Logger;
}

/**
 * Runs the coordinator until SIGTERM or SIGINT; resolves the process exit code (0 clean stop,
 * 1 start or stop failed, 2 usage or config error). Never rejects. Installs its signal listeners
 * only while the coordinator runs and removes them before resolving.
 */
export async function coordinatorMain(argv: readonly string[], io: CoordinatorMainIo = {}, deps: CoordinatorMainDeps = {}): Promise<number> {
  const out = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => void process.stderr.write(text));
  const env = io.env ?? process.env;
  const signals = io.signals ?? process;

  const flags = parseDaemonFlags('thinfleet-coordinator', COORDINATOR_VERSION, USAGE, argv, ['config', 'listen', 'state-dir', 'etcd-endpoints', 'log-level'], { out, err });
  if ('exitCode' in flags) return flags.exitCode;
  const { values } = flags;
  const overrides: { -readonly [K in keyof CoordinatorConfigOverrides]: CoordinatorConfigOverrides[K] } = {};
  if (values.listen !== undefined) overrides.listen = values.listen;
  if (values['state-dir'] !== undefined) overrides.stateDir = values['state-dir'];
  if (values['log-level'] !== undefined) overrides.logLevel = values['log-level'];
  if (values['etcd-endpoints'] !== undefined) {
    overrides.etcd = {
      endpoints: values['etcd-endpoints']
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== ''),
    };
  }

  let config: CoordinatorConfig;
  try {
    config = loadCoordinatorConfig(values.config ?? null, overrides);
  } catch (e) {
    if (e instanceof CoordinatorConfigError) {
      err(`thinfleet-coordinator: ${e.message}\n`);
      return 2;
    }
    err(`thinfleet-coordinator: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }

  const logger = (deps.logger ?? defaultLogger)(config);
  const notify = deps.notify ?? ((state: string) => notifySystemd(state, env));
  const tellSystemd = async (state: string): Promise<void> => {
    try {
      await notify(state);
    } catch (e) {
      logger.warn({ err: e, state }, 'systemd notification failed');
    }
  };
  const start = deps.start ?? ((c, options) => Coordinator.start(c, { logger: options.logger }));

  // A signal during start-up is remembered and honoured once start returns.
  let signalled: NodeJS.Signals | null = null;
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
    signalled ??= signal;
  };
  const listener = (signal: NodeJS.Signals): void => onSignal(signal);
  signals.on('SIGTERM', listener);
  signals.on('SIGINT', listener);
  const removeListeners = (): void => {
    signals.off('SIGTERM', listener);
    signals.off('SIGINT', listener);
  };

  let coordinator: RunningCoordinator;
  try {
    await tellSystemd(`STATUS=starting (${config.etcd.endpoints.length === 0 ? 'embedded etcd' : `etcd ${config.etcd.endpoints.join(',')}`})`);
    coordinator = await start(config, { logger, env });
  } catch (e) {
    removeListeners();
    logger.fatal({ err: e }, 'start failed');
    err(`thinfleet-coordinator: start failed: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
  await tellSystemd(`READY=1\nSTATUS=serving on ${coordinator.address}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    onSignal = (signal) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        removeListeners();
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'signal received: stopping');
      void tellSystemd('STOPPING=1\nSTATUS=stopping')
        .then(() => coordinator.stop())
        .then(
          () => {
            removeListeners();
            resolve(0);
          },
          (e: unknown) => {
            removeListeners();
            logger.error({ err: e }, 'stop failed');
            resolve(1);
          },
        );
    };
    if (signalled !== null) onSignal(signalled);
  });
}

function defaultLogger(config: CoordinatorConfig): Logger {
  return pino({ level: config.logLevel, base: { service: 'thinfleet-coordinator' } });
}
