import { invalidArg } from '../errors/index.js';
import type { RawBatch } from '../native/index.js';
import { IGNORE_INDEX, type TokenizedExample } from './tokenizeExample.js';

/**
 * Packs examples into as few rows of at most `rowLength` tokens as first-fit-decreasing allows, instead of
 * padding each to the longest. Each example gets its own segment id, so attention and positions stay per
 * example (the native core masks across segments): the loss equals the padded batch's, with less compute.
 * The first label of every example is ignored, since the token before it belongs to another example.
 * @throws `ERR_FSLLM_INVALID_ARG` when there is no example or one is longer than `rowLength`.
 */
export function pack(examples: readonly TokenizedExample[], rowLength: number, padId: number): RawBatch {
  if (examples.length === 0) throw invalidArg('examples', 'at least one example to pack', examples);
  const order = examples.map((e, i) => i).sort((a, b) => examples[b]!.ids.length - examples[a]!.ids.length);
  const rows: number[][] = [];
  const used: number[] = [];
  for (const i of order) {
    const size = examples[i]!.ids.length;
    if (size > rowLength) throw invalidArg(`examples[${i}]`, `at most rowLength (${rowLength}) tokens`, `${size} tokens`);
    const row = used.findIndex((u) => u + size <= rowLength);
    if (row >= 0) {
      rows[row]!.push(i);
      used[row]! += size;
    } else {
      rows.push([i]);
      used.push(size);
    }
  }
  const seq = Math.max(1, ...used);
  const n = rows.length * seq;
  const ids = new Int32Array(n).fill(padId);
  const labels = new Int32Array(n).fill(IGNORE_INDEX);
  const attentionMask = new Uint8Array(n);
  const segmentIds = new Int32Array(n);
  rows.forEach((members, r) => {
    let at = r * seq;
    members.forEach((i, k) => {
      const e = examples[i]!;
      ids.set(e.ids, at);
      labels.set(e.labels, at);
      labels[at] = IGNORE_INDEX;
      attentionMask.fill(1, at, at + e.ids.length);
      segmentIds.fill(k + 1, at, at + e.ids.length);
      at += e.ids.length;
    });
  });
  return { ids, labels, attentionMask, segmentIds, batch: rows.length, seq };
}
