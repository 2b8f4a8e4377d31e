/**
 * ListVolumes answers encoded by the hand-specialised encoder (@thinfleet/proto
 * encodeListVolumesResponse) instead of protobufjs: on a 10,000-volume answer it is about 15x
 * cheaper (test/bench/list-encoding.bench.mjs; docs/agent.md, "Listing: what it costs"), and the
 * client decodes its bytes to the same answer (packages/proto/test/volume-list-encoder.test.ts).
 */
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { encodeListVolumesResponse, type ListVolumesResponse } from '@thinfleet/proto';

/** The package and name of the answer type (the descriptor names a type without its package). */
const PACKAGE_PATH = '/thinfleet.agent.v1.';
const RESPONSE_TYPE = 'ListVolumesResponse';

/**
 * `definition` with every method that answers a ListVolumesResponse (today: VolumeService's
 * ListVolumes) serialized by the hand encoder. An answer it refuses (a 64-bit field outside its
 * exact domain, which the agent never produces) is serialized by the method's own protobufjs
 * serializer, so the bytes on the wire never depend on which one ran. Other methods unchanged.
 */
export function handEncodedListVolumes(definition: ServiceDefinition<UntypedServiceImplementation>): ServiceDefinition<UntypedServiceImplementation> {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    const typeName = (method as unknown as { responseType?: { type?: { name?: string } } }).responseType?.type?.name;
    if (typeName !== RESPONSE_TYPE || !method.path.startsWith(PACKAGE_PATH) || method.responseStream) {
      out[name] = method;
      continue;
    }
    const original = method.responseSerialize;
    out[name] = {
      ...method,
      responseSerialize: (value: unknown) => {
        try {
          return encodeListVolumesResponse(value as ListVolumesResponse);
        } catch (error) {
          if (error instanceof RangeError) return original(value);
          throw error;
        }
      },
    };
  }
  return out as ServiceDefinition<UntypedServiceImplementation>;
}
