/**
 * `Array.isArray` for values the type system already calls arrays but a caller over gRPC or
 * JSON may not have sent as one. TypeScript narrows a `readonly T[]` that passes
 * `Array.isArray` to `any[]`, which would silently turn every element into `any`; this guard
 * keeps the element type.
 */
export function isList<T>(value: readonly T[] | undefined | null): value is readonly T[] {
  return Array.isArray(value);
}
