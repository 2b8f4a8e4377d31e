/**
 * Unary calls from the coordinator to an agent, by method name (the router forwards
 * generically). A host that does not answer — UNAVAILABLE without the agent's `tf-error-code` —
 * becomes the coordinator's own HOST_UNREACHABLE, said in a few words, since the coordinator did
 * answer: a client must not take it for the coordinator being unreachable.
 */
import type { Metadata } from '@grpc/grpc-js';
import type { AgentServiceClient } from './agent-channels.js';
import { coordinatorError, isHostUnreachable, unreachableWhy } from './coordinator-error.js';

/** HOST_UNREACHABLE for a host at `address` that did not answer, in the user's words. */
export function hostUnreachable(address: string, err: { details: string }): ReturnType<typeof coordinatorError> {
  return coordinatorError('HOST_UNREACHABLE', `the host at ${address} did not answer (${unreachableWhy(err.details)}); retry (--wait SECONDS)`, { cause: err });
}

/**
 * One unary call on an agent client; a host that does not answer is HOST_UNREACHABLE. `Res` is
 * the method's response type as grpc-js decodes it (the caller names the method, so the caller
 * names its type).
 */
export async function unaryCall<Res>(client: AgentServiceClient, method: string, request: object, metadata: Metadata, deadline: Date | number): Promise<Res> {
  try {
    return await rawUnaryCall<Res>(client, method, request, metadata, deadline);
  } catch (err) {
    throw isHostUnreachable(err) ? hostUnreachable(client.getChannel().getTarget().replace(/^dns:/, ''), err) : err;
  }
}

/** One unary call on an agent client, failing with the agent's status as it is. */
export function rawUnaryCall<Res>(client: AgentServiceClient, method: string, request: object, metadata: Metadata, deadline: Date | number): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as (r: unknown, m: Metadata, o: object, cb: (err: Error | null, res: Res) => void) => void;
    fn.call(client, request, metadata, { deadline }, (err, response) => (err === null ? resolve(response) : reject(err)));
  });
}
