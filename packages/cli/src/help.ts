/**
 * The help texts: the whole CLI (`thinfleet --help`), a command group (`thinfleet pool --help`)
 * and one command (`thinfleet volume create --help`), each with examples and the exit codes.
 */
import type { CommandSpec, OptionSpec, OptionSpecs } from './command.js';
import { SIZE_RULE } from './sizes.js';
import { formatTable } from './table.js';

/** The flags every command accepts. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  agent: {
    type: 'string',
    placeholder: 'SOCKET|ADDR',
    description: 'the agent: a unix socket path, or host:port over mutual TLS (default $THINFLEET_AGENT, else /run/thinfleet/agent.sock)',
  },
  coordinator: {
    type: 'string',
    placeholder: 'ADDR',
    description:
      'the cluster coordinator, host:port (default $THINFLEET_COORDINATOR unless --agent is given): calls go through it to the host holding the pool; plaintext only to a loopback address',
  },
  json: { type: 'boolean', description: 'print one JSON document per command instead of text (errors too, as {"error": {...}})' },
  timeout: { type: 'string', placeholder: 'SECONDS', description: 'deadline of each call to the agent or coordinator (default 60); waiting for a job has none' },
  wait: {
    type: 'string',
    placeholder: 'SECONDS',
    description: 'retry a call answered UNAVAILABLE (a failover in progress, a host or the server not answering) for up to SECONDS (default 0: no retry)',
  },
  'tls-ca': { type: 'string', placeholder: 'FILE', description: 'CA certificate (PEM) that signed the server certificate, for a TCP agent or a coordinator' },
  'tls-cert': { type: 'string', placeholder: 'FILE', description: 'client certificate (PEM), for a TCP agent or a coordinator' },
  'tls-key': { type: 'string', placeholder: 'FILE', description: 'client private key (PEM), for a TCP agent or a coordinator' },
  help: { type: 'boolean', short: 'h', description: "show help; after a command, that command's help" },
  version: { type: 'boolean', description: 'print the version' },
};

const EXIT_CODES = [
  'Exit codes:',
  '  0  success',
  '  1  the agent (or coordinator) refused the request or the operation failed (also a watched job that failed or was cancelled)',
  '  2  usage error: bad arguments, flags or batch file; nothing was sent',
  '  3  the agent or coordinator could not be reached (is thinfleet-agent running? is --agent the right socket? --coordinator the right address?)',
].join('\n');

const OVERVIEW_EXAMPLES = [
  'pool create tank --device /dev/sdb --device /dev/sdc',
  'volume create tank/vm1 --size 10GiB --activate',
  'volume snapshot tank/vm1 vm1-before-upgrade',
  'volume list tank --usage',
  '--json volume show tank/vm1',
  'batch - < ops.json',
  'volume delete tank/old --chunked',
  'job watch 3f9c2a7b1d04',
  '--coordinator 127.0.0.1:9750 cluster status',
  '--coordinator 127.0.0.1:9750 volume create vm9 --size 10GiB --host node-2',
];

function optionUsage(name: string, spec: OptionSpec): string {
  const flag = spec.type === 'boolean' ? `--${name}` : `--${name} ${spec.placeholder ?? 'VALUE'}`;
  if (spec.required === true) return spec.multiple === true ? `${flag} [${flag}]...` : flag;
  return spec.multiple === true ? `[${flag}]...` : `[${flag}]`;
}

function optionLines(specs: OptionSpecs): string {
  return formatTable(
    [{ header: '' }, { header: '' }],
    Object.entries(specs).map(([name, spec]) => {
      const short = spec.short === undefined ? '' : `-${spec.short}, `;
      const value = spec.type === 'string' ? ` ${spec.placeholder ?? 'VALUE'}` : '';
      return [`  ${short}--${name}${value}`, spec.description];
    }),
  )
    .split('\n')
    .slice(1)
    .join('\n');
}

/** `pool create NAME [--device PATH]... [--force]`: a command's words, arguments and flags. */
export function synopsis(command: CommandSpec): string {
  const options = Object.entries(command.options).map(([name, spec]) => optionUsage(name, spec));
  return [...command.words, ...command.arguments, ...options].join(' ');
}

function commandList(commands: readonly CommandSpec[]): string {
  return formatTable(
    [{ header: '' }, { header: '' }],
    commands.map((command) => [`  ${[...command.words, ...command.arguments].join(' ')}`, command.summary]),
  )
    .split('\n')
    .slice(1)
    .join('\n');
}

/** `thinfleet --help`. */
export function globalHelp(commands: readonly CommandSpec[]): string {
  return [
    'thinfleet: dm-thin pools and volumes through the thinfleet agent on this host, or cluster-wide through the coordinator',
    '',
    'Usage: thinfleet [GLOBAL FLAGS] COMMAND [ARGUMENTS] [FLAGS]',
    '',
    'Commands:',
    commandList(commands).trimEnd(),
    '',
    'Global flags (anywhere on the line):',
    optionLines(GLOBAL_OPTIONS).trimEnd(),
    '',
    `Sizes: ${SIZE_RULE} (examples: 4096, 64KiB, 512M, 10GiB, 1.5T).`,
    '',
    EXIT_CODES,
    '',
    'Examples:',
    ...OVERVIEW_EXAMPLES.map((example) => `  thinfleet ${example}`),
    '',
    "Run 'thinfleet COMMAND --help' for a command's flags and examples; docs/cli.md has the rest.",
    '',
  ].join('\n');
}

/** `thinfleet pool --help`: the commands of one group. */
export function groupHelp(group: string, commands: readonly CommandSpec[]): string {
  const members = commands.filter((command) => command.words[0] === group);
  return [
    `Usage: thinfleet [GLOBAL FLAGS] ${group} COMMAND [ARGUMENTS] [FLAGS]`,
    '',
    'Commands:',
    commandList(members).trimEnd(),
    '',
    `Run 'thinfleet ${group} COMMAND --help' for a command's flags and examples.`,
    '',
  ].join('\n');
}

/** `thinfleet volume create --help`. */
export function commandHelp(command: CommandSpec): string {
  const flags = Object.keys(command.options).length === 0 ? [] : ['Flags:', optionLines(command.options).trimEnd(), ''];
  return [
    `Usage: thinfleet [GLOBAL FLAGS] ${synopsis(command)}`,
    '',
    command.summary,
    ...(command.details === undefined ? [] : ['', command.details]),
    '',
    ...flags,
    'Global flags: --agent SOCKET|ADDR, --coordinator ADDR, --json, --timeout SECONDS, --wait SECONDS, --tls-ca/--tls-cert/--tls-key FILE (see thinfleet --help)',
    '',
    'Examples:',
    ...command.examples.map((example) => `  thinfleet ${example}`),
    '',
    EXIT_CODES,
    '',
  ].join('\n');
}
