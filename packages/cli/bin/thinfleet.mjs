#!/usr/bin/env node
// The thinfleet command: see docs/cli.md or `thinfleet --help`.
import { processIo, runCli } from '../dist/index.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
