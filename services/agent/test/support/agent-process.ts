/**
 * A standalone agent as a separate process for the integration tier: the built
 * `thinfleet-agent` binary on the simulated device-mapper (whose kernel state lives in the state
 * directory, so a restart over the same directory is a host that did not reboot), its log lines
 * parsed, stopped by a real signal.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../../../../test/support/wait-until.js';
import { rawClients, type RawClients } from './raw-clients.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const AGENT_BIN = join(ROOT, 'services/agent/bin/thinfleet-agent.mjs');

export interface AgentProcess {
  readonly stateDir: string;
  readonly clients: RawClients;
  /** Every log line so far (pino JSON, parsed when it parses). */
  readonly log: Array<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

/** A fresh state directory with a sparse disk file `disk.img` of `diskBytes` in it. */
export function agentStateDir(diskBytes: number): { stateDir: string; disk: string } {
  const stateDir = mkdtempSync(join(tmpdir(), 'tf-agent-proc-'));
  const disk = join(stateDir, 'disk.img');
  writeFileSync(disk, '');
  truncateSync(disk, diskBytes);
  return { stateDir, disk };
}

/**
 * Starts the agent over `stateDir` (config `agent.json` written there, `config` keys added) and
 * resolves once it serves.
 * @throws when the binary is not built, or the agent exits or does not serve within 20 s.
 */
export async function startAgentProcess(stateDir: string, config: Record<string, unknown> = {}): Promise<AgentProcess> {
  if (!existsSync(join(ROOT, 'services/agent/dist/index.js'))) throw new Error('the agent is not built; run `npx tsc -b` first');
  const socket = join(stateDir, 'agent.sock');
  const configPath = join(stateDir, 'agent.json');
  writeFileSync(configPath, JSON.stringify({ socket, stateDir, dm: 'sim', metricsListen: null, logLevel: 'info', ...config }));
  const child = spawn(process.execPath, [AGENT_BIN, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: Array<Record<string, unknown>> = [];
  let partial = '';
  const onData = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        log.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        log.push({ msg: line });
      }
      if (process.env['THINFLEET_TEST_LOG'] !== undefined) process.stderr.write(`[agent] ${line}\n`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exitCode = code))));
  await waitUntil(
    'the agent to serve',
    () => {
      if (exitCode !== undefined) throw new Error(`the agent exited (${exitCode}) before serving: ${JSON.stringify(log.slice(-5))}`);
      return log.some((l) => l['msg'] === 'agent serving');
    },
    20_000,
  );
  return { stateDir, clients: rawClients(socket), log, exited, kill: (signal) => void child.kill(signal) };
}
