// Runs thinfleet-agent from its TypeScript sources in this (child) process, as the unit tier
// resolves workspace packages (vitest.shared.ts's aliases, passed in TF_WORKSPACE_ALIASES), so
// tests can run the agent as a separate process without a build. argv: the agent's flags.
import { runnerImport } from 'vite';

const aliases = JSON.parse(process.env.TF_WORKSPACE_ALIASES ?? '{}');
const entry = new URL('../../src/agent-main.ts', import.meta.url).pathname;
const { module } = await runnerImport(entry, { configFile: false, logLevel: 'silent', resolve: { alias: aliases } });
process.exitCode = await module.agentMain(process.argv.slice(2));
setTimeout(() => process.exit(process.exitCode), 1000).unref();
