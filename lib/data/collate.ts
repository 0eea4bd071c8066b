import { invalidArg } from '../errors/index.js';
import type { RawBatch } from '../native/index.js';
import { IGNORE_INDEX, type TokenizedExample } from './tokenizeExample.js';

/**
 * Pads examples on the right to the longest one (ids with `padId`, labels with -100, mask 0) into one
 * row-major micro-batch. The three arrays share one allocation.
 */
export function collate(examples: readonly TokenizedExample[], padId: number): RawBatch {
  if (examples.length === 0) throw invalidArg('examples', 'at least one example to batch', examples);
  const batch = examples.length;
  const seq = Math.max(1, ...examples.map((e) => e.ids.length));
  const n = batch * seq;
  const buffer = new ArrayBuffer(n * 9);  // ids (4n) + labels (4n) + mask (n)
  const ids = new Int32Array(buffer, 0, n).fill(padId);
  const labels = new Int32Array(buffer, 4 * n, n).fill(IGNORE_INDEX);
  const attentionMask = new Uint8Array(buffer, 8 * n, n);
  examples.forEach((e, row) => {
    ids.set(e.ids, row * seq);
    labels.set(e.labels, row * seq);
    attentionMask.fill(1, row * seq, row * seq + e.ids.length);
  });
  return { ids, labels, attentionMask, batch, seq };
}
