// Helpers shared by the host benches (lock.bench.mjs, cluster.bench.mjs): percentiles of samples
// in milliseconds, their formatting, and waits with a deadline.

/** n, mean, p50, p99, min and max of samples in ms (p = the sample at floor(p * n) of the sorted). */
export function stats(samplesMs) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const mean = samplesMs.reduce((s, x) => s + x, 0) / samplesMs.length;
  return { n: samplesMs.length, mean, p50: q(0.5), p99: q(0.99), min: sorted[0], max: sorted[sorted.length - 1] };
}

/** A duration in ms with the digits that matter. */
export const ms = (x) => (x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : x >= 1 ? `${x.toFixed(2)} ms` : `${x.toFixed(3)} ms`);

/** PASS when a goal is met, BELOW when not. */
export const verdict = (ok) => (ok ? 'PASS' : 'BELOW');

export const delay = (msec) => new Promise((resolve) => setTimeout(resolve, msec));

/** `promise`, or an error naming `what` after `msec`. */
export async function within(msec, what, promise) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer after ${msec} ms`)), msec)))]);
  } finally {
    clearTimeout(timer);
  }
}
