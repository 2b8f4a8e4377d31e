/**
 * Answers that are one Volume (`CreateVolumeResponse`, `SnapshotVolumeResponse`, `GetVolumeResponse`
 * and the like: field 1 `volume`, perhaps field 20 `overprovision`) encoded by the hand-specialised
 * Volume encoder of @thinfleet/proto instead of protobufjs: a message whose only field is
 * `Volume volume = 1` has the very bytes of a `ListVolumesResponse` listing that one volume
 * (field 1, length-delimited, either way); an overprovisioning warning (field 20) is protobufjs's
 * bytes of the warning alone, appended. An answer without a volume, or outside the encoder's exact
 * domain, is serialized by protobufjs, as before. Either way the client decodes the same answer
 * (test/volume-answer-serializer.test.ts).
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
  const methods = Object.entries(definition).map(([name, method]) => [
    name,
    answersOneVolume(method) ? { ...method, responseSerialize: volumeAnswerSerializer(method.responseSerialize) } : method,
  ]);
  return Object.fromEntries(methods) as ServiceDefinition<UntypedServiceImplementation>;
}

/** True for a unary method of the agent's package whose answer is one Volume (see isVolumeAnswer). */
function answersOneVolume(method: ServiceDefinition[string]): boolean {
  const fields = (method as unknown as { responseType?: { type?: { field?: readonly FieldDescriptor[] } } }).responseType?.type?.field;
  return method.path.startsWith(PACKAGE_PATH) && !method.responseStream && isVolumeAnswer(fields);
}

/** The hand encoder for a one-Volume answer, `protobufjs` (the method's own serializer) for the rest. */
function volumeAnswerSerializer(protobufjs: (value: unknown) => Buffer): (value: unknown) => Buffer {
  return (value) => {
    const answer = value as { volume?: unknown; overprovision?: unknown };
    if (typeof answer.volume !== 'object' || answer.volume === null) return protobufjs(value);
    try {
      const volume = encodeListVolumesResponse({ volumes: [answer.volume], inactivePools: [] });
      // A message's bytes are its fields' bytes one after another: the warning (field 20) by
      // protobufjs follows the volume (field 1), as protobufjs would order them.
      const warned = answer.overprovision !== undefined && answer.overprovision !== null;
      return warned ? Buffer.concat([volume, protobufjs({ overprovision: answer.overprovision })]) : volume;
    } catch (error) {
      if (error instanceof RangeError) return protobufjs(value);
      throw error;
    }
  };
}
