#!/usr/bin/env node
// thinfleet-coordinator: the cluster daemon. See `thinfleet-coordinator --help` and docs/coordinator.md.
import { coordinatorMain } from '../dist/index.js';

process.exitCode = await coordinatorMain(process.argv.slice(2));
// gRPC, etcd clients and pino may hold handles a moment longer; the exit code is decided.
setTimeout(() => process.exit(process.exitCode), 1000).unref();
