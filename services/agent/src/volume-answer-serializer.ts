/**
 * Answers that are one Volume (`CreateVolumeResponse`, `SnapshotVolumeResponse`, `GetVolumeResponse`
 * and the like: field 1 `volume`, perhaps field 20 `overprovision`) encoded by the hand-specialised
 * Volume encoder of @thinfleet/proto instead of protobufjs: a message whose only field is
 * `Volume volume = 1` has the very bytes of a `ListVolumesResponse` listing that one volume
 * (field 1, length-delimited, either way). An answer with an overprovisioning warning, without a
 * volume, or outside the encoder's exact domain is serialized by protobufjs, as before. Either
 * way the client decodes the same answer (test/volume-answer-serializer.test.ts).
 */
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { encodeListVolumesResponse } from '@thinfleet/proto';

/** The package whose methods are rewired (the descriptor names a type without its package). */
const PACKAGE_PATH = '/thinfleet.agent.v1.';

interface FieldDescriptor {
  readonly name: string;
  readonly number: number;
  readonly typeName: string;
  readonly label: string;
}

/** True for a response type made of `Volume volume = 1` and at most `OverprovisionWarning overprovision = 20`. */
function isVolumeAnswer(fields: readonly FieldDescriptor[] | undefined): boolean {
  if (fields === undefined || !fields.some((f) => f.number === 1)) return false;
  return fields.every(
    (f) =>
      f.label !== 'LABEL_REPEATED' &&
      ((f.number === 1 && f.name === 'volume' && f.typeName === 'Volume') || (f.number === 20 && f.name === 'overprovision' && f.typeName === 'OverprovisionWarning')),
  );
}

/**
 * `definition` with the serializer of each unary method answering one Volume (see the module
 * comment) replaced by the hand encoder; other methods unchanged.
 */
export function handEncodedVolumeAnswers(definition: ServiceDefinition<UntypedServiceImplementation>): ServiceDefinition<UntypedServiceImplementation> {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    const fields = (method as unknown as { responseType?: { type?: { field?: readonly FieldDescriptor[] } } }).responseType?.type?.field;
    if (!method.path.startsWith(PACKAGE_PATH) || method.responseStream || !isVolumeAnswer(fields)) {
      out[name] = method;
      continue;
    }
    const original = method.responseSerialize;
    out[name] = {
      ...method,
      responseSerialize: (value: unknown) => {
        const answer = value as { volume?: unknown; overprovision?: unknown };
        if (answer.overprovision !== undefined && answer.overprovision !== null) return original(value);
        if (typeof answer.volume !== 'object' || answer.volume === null) return original(value);
        try {
          return encodeListVolumesResponse({ volumes: [answer.volume], inactivePools: [] });
        } catch (error) {
          if (error instanceof RangeError) return original(value);
          throw error;
        }
      },
    };
  }
  return out as ServiceDefinition<UntypedServiceImplementation>;
}
