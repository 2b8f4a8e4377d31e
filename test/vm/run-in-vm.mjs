#!/usr/bin/env node
/**
 * Runs one command in the thinfleet test guest (see vm.mjs) and exits with its exit code.
 *
 *   node test/vm/run-in-vm.mjs [--mem MiB] [--smp N] [--timeout SEC] [--env K=V | --env K]... \
 *     [--cwd DIR] -- <command> [args...]
 *
 * --env K passes the host's value of K. Exit codes: the command's own; 124 on timeout; 125 when
 * the guest failed before reporting one; 2 when qemu, the kernel or busybox-static are missing.
 * Environment: THINFLEET_VM_KERNEL (kernel version or vmlinuz path), THINFLEET_VM_ACCEL (qemu
 * -accel value, default tcg,thread=multi), THINFLEET_VM_QEMU, THINFLEET_VM_APPEND (extra kernel
 * parameters), THINFLEET_VM_9P_CACHE / THINFLEET_VM_9P_WTCACHE (9p cache modes).
 */
import { resolve } from 'node:path';
import { walkArgs, wholeNumber } from '../support/args.mjs';
import { repoRoot, runInVm, VmSetupError } from './vm.mjs';

const usage = `usage: node test/vm/run-in-vm.mjs [--mem MiB] [--smp N] [--timeout SEC] [--env K=V]... [--work-tree DIR] [--cwd DIR] -- <command> [args...]`;

function parse(argv) {
  const opts = { memMiB: 4096, smp: 2, timeoutSec: 1800, env: {}, workTree: repoRoot, cwd: undefined, command: [] };
  opts.command = walkArgs(argv, (a, value) => {
    if (a === '--mem') opts.memMiB = wholeNumber(a, value());
    else if (a === '--smp') opts.smp = wholeNumber(a, value());
    else if (a === '--timeout') opts.timeoutSec = wholeNumber(a, value());
    else if (a === '--cwd') opts.cwd = resolve(value());
    else if (a === '--work-tree') opts.workTree = resolve(value());
    else if (a === '--env') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq < 0) {
        if (process.env[kv] !== undefined) opts.env[kv] = process.env[kv];
      } else opts.env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a === '-h' || a === '--help') {
      console.log(usage);
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  });
  if (opts.command.length === 0) throw new Error('no command given after --');
  return opts;
}

let opts;
try {
  opts = parse(process.argv.slice(2));
} catch (err) {
  console.error(`run-in-vm: ${err.message}\n${usage}`);
  process.exit(2);
}

try {
  const result = await runInVm({ ...opts, cwd: opts.cwd ?? opts.workTree });
  const secs = (ms) => (ms === undefined ? '?' : (ms / 1000).toFixed(1));
  console.error(`run-in-vm: exit ${result.exitCode}; wall ${secs(result.wallMs)} s ` + `(boot ${secs(result.bootMs)} s, command ${secs(result.commandMs)} s)`);
  process.exitCode = result.exitCode;
} catch (err) {
  if (err instanceof VmSetupError) {
    console.error(`run-in-vm: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(`run-in-vm: ${err.stack ?? err}`);
  process.exit(1);
}
