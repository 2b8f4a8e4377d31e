#!/usr/bin/env node
// thinfleet-agent: the per-host daemon. See `thinfleet-agent --help` and docs/agent.md.
import { agentMain } from '../dist/index.js';

process.exitCode = await agentMain(process.argv.slice(2));
// gRPC and pino may hold handles a moment longer; the exit code is decided.
setTimeout(() => process.exit(process.exitCode), 1000).unref();
