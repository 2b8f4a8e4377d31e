/**
 * `thinfleet-agent [--config FILE] [--socket PATH] [--state-dir DIR] [--dm native|sim|auto]
 * [--log-level LEVEL] [--metrics HOST:PORT|off]`: loads the config, starts the agent, stops it
 * cleanly on SIGTERM or SIGINT (a second signal exits at once).
 */
import { parseDaemonFlags } from '@thinfleet/proto';
import { AgentConfigError, loadAgentConfig } from './agent-config.js';
import { Agent, AGENT_VERSION } from './agent.js';

const USAGE = `usage: thinfleet-agent [--config FILE] [--socket PATH] [--state-dir DIR] [--dm native|sim|auto]
                       [--log-level LEVEL] [--metrics HOST:PORT|off]

Serves thinfleet's pools and volumes on this host over gRPC (the thinfleet command talks to it).

  --config FILE      JSON config (default /etc/thinfleet/agent.json; see docs/agent.md)
  --socket PATH      unix socket to serve on (default /run/thinfleet/agent.sock)
  --state-dir DIR    known pools, jobs, the simulated kernel (default /var/lib/thinfleet)
  --dm KIND          native: the kernel's device-mapper (root, dm_thin_pool);
                     sim: the simulated one, volumes in files (demos, tests);
                     auto (default): native, or a clear error when the host has none
  --log-level LEVEL  fatal, error, warn, info (default), debug, trace, silent
  --metrics ADDR     Prometheus /metrics on HOST:PORT (default 127.0.0.1:9746), or off

Examples:
  thinfleet-agent                                   # as systemd runs it
  thinfleet-agent --dm sim --state-dir /tmp/tf --socket /tmp/tf/agent.sock
`;

/** Runs the agent until a signal; returns the process exit code. */
export async function agentMain(argv: readonly string[]): Promise<number> {
  const flags = parseDaemonFlags('thinfleet-agent', AGENT_VERSION, USAGE, argv, ['config', 'socket', 'state-dir', 'dm', 'log-level', 'metrics'], {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
  });
  if ('exitCode' in flags) return flags.exitCode;
  const { values } = flags;
  const overrides: Record<string, unknown> = {};
  if (values.socket !== undefined) overrides.socket = values.socket;
  if (values['state-dir'] !== undefined) overrides.stateDir = values['state-dir'];
  if (values.dm !== undefined) overrides.dm = values.dm;
  if (values['log-level'] !== undefined) overrides.logLevel = values['log-level'];
  if (values.metrics !== undefined) overrides.metricsListen = values.metrics === 'off' ? null : values.metrics;

  let agent: Agent;
  try {
    agent = await Agent.start(loadAgentConfig(values.config ?? null, overrides));
  } catch (err) {
    if (err instanceof AgentConfigError) {
      process.stderr.write(`thinfleet-agent: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`thinfleet-agent: start failed: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        agent.logger.warn({ signal }, 'second signal: exiting without waiting');
        resolve(1);
        return;
      }
      signalled = true;
      agent.logger.info({ signal }, 'signal received');
      agent.stop().then(
        () => resolve(0),
        (err: unknown) => {
          agent.logger.error({ err }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
