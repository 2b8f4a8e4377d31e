/** mulberry32: a seeded generator of numbers in [0, 1). */
export function rng(seed: number): () => number;
/** A recognisable pattern: `length` bytes (a multiple of 4) derived from `seed`. */
export function pattern(seed: number, length: number): Buffer;
