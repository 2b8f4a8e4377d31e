/** `thinfleet health`: asks the standard gRPC health service of the agent, or of the coordinator. */
import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';

/** The health command. */
export const HEALTH_COMMAND: CommandSpec = {
  words: ['health'],
  arguments: ['[SERVICE]'],
  options: {},
  summary: 'ask whether the agent (or one of its services) is serving; exit 1 unless SERVING',
  details:
    'SERVICE is a fully qualified name such as thinfleet.agent.v1.VolumeService; empty means the whole agent. ' +
    'With --coordinator, the coordinator answers for itself. With --json: {"status": "SERVING"}.',
  examples: ['health', 'health thinfleet.agent.v1.VolumeService', '--agent /run/thinfleet/agent.sock health', '--coordinator 127.0.0.1:9750 health'],
  async run(context, args) {
    const [service = ''] = args.positionals;
    const status = await (await context.agent()).health(service);
    context.out.result({ status }, () => status);
    return status === 'SERVING' ? EXIT.OK : context.out.failed(`the ${context.coordinator === null ? 'agent' : 'coordinator'} reports ${status}${service === '' ? '' : ` for ${service}`}`);
  },
};
