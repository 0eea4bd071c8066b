/**
 * The `fixed` workload's batches: `n` micro-batches of `batch` × `seq` token ids from a seeded
 * linear congruential generator (every token a target, no padding), the same for every run with one seed.
 */
import type { RawBatch } from '../../lib/index.js';

export function fixedBatches(vocab: number, n: number, batch: number, seq: number, seed: number): RawBatch[] {
  let state = seed + 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % vocab;
  };
  return Array.from({ length: n }, () => {
    const ids = Int32Array.from({ length: batch * seq }, next);
    return { ids, labels: ids, attentionMask: new Uint8Array(ids.length).fill(1), batch, seq };
  });
}
