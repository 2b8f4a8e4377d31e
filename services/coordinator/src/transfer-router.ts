/**
 * VolumeTransferService on the coordinator: the data stream of a copy between hosts. The agent
 * that makes a copy (the holder of the target pool, where CopyVolume was routed) asks its
 * coordinator for one window of the source; the coordinator relays the call to the holder of
 * the source's pool (taken up by a host when nobody holds it, as for ReadVolume), with the
 * pool's lock token, and relays the stream back message by message, pausing the holder while
 * the caller is slow to read. Nothing is kept: a coordinator that dies mid-stream ends it, and
 * the copy reads the window again through another coordinator.
 */
import { Metadata, type ClientReadableStream, type ServerWritableStream } from '@grpc/grpc-js';
import type { ReadVolumeRunsRequest__Output, ReadVolumeRunsResponse, VolumeTransferServiceHandlers } from '@thinfleet/proto';
import type { Logger } from 'pino';
import type { AgentChannels } from './agent-channels.js';
import { hostUnreachable } from './agent-calls.js';
import { coordinatorError, isHostUnreachable } from './coordinator-error.js';
import { asStatus } from './routed-status.js';
import { checkPool, LOCK_TOKEN_METADATA, type Router } from './router.js';

/** The VolumeTransferService handlers over `router` (which finds the holder of a pool). */
export function transferHandlers(router: Pick<Router, 'owner'>, options: { readonly channels: AgentChannels; readonly logger: Logger }): VolumeTransferServiceHandlers {
  const relay = async (call: ServerWritableStream<ReadVolumeRunsRequest__Output, ReadVolumeRunsResponse>): Promise<void> => {
    const { pool } = call.request;
    checkPool(pool);
    const owner = await router.owner(pool, { acquire: true });
    if (owner === null) throw coordinatorError('NO_HOST', `pool ${pool} is not held by any host`);
    const metadata = new Metadata();
    metadata.set(LOCK_TOKEN_METADATA, owner.token);
    const client = options.channels.client(owner.address, 'VolumeTransferService');
    const upstream = (client.ReadVolumeRuns as (r: unknown, m: Metadata, o: object) => ClientReadableStream<ReadVolumeRunsResponse>).call(client, call.request, metadata, {
      deadline: call.getDeadline(),
    });
    call.on('cancelled', () => upstream.cancel());
    call.on('drain', () => upstream.resume());
    await new Promise<void>((resolve, reject) => {
      upstream.on('data', (message: ReadVolumeRunsResponse) => {
        if (!call.write(message)) upstream.pause();
      });
      upstream.on('error', (err: Error & { details?: string }) => reject(isHostUnreachable(err) ? hostUnreachable(owner.address.replace(/^unix:/, ''), err as { details: string }) : err));
      upstream.on('end', () => resolve());
    });
  };
  return {
    ReadVolumeRuns: (call) => {
      relay(call).then(
        () => call.end(),
        (err: unknown) => {
          if (!(err instanceof Error && 'code' in err)) options.logger.error({ err }, 'relaying a volume transfer failed');
          call.emit('error', asStatus(err));
        },
      );
    },
  };
}
