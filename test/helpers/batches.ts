// Micro-batches for the native tests: right-padded rows of token ids, from text or from a seeded generator.
import type { RawBatch, Tokenizer } from '../../lib/index.js';
import { seededRandom } from '../../lib/util/random.js';

export { seededRandom };

/** Short stories-like sentences (the style stories260K was trained on). */
export const STORY_TEXTS = [
  'Once upon a time there was a dog named Max who liked to run.',
  'Lily saw a big red ball in the park and she was happy.',
  'The cat sat on the mat and looked at the bird in the tree.',
  'Tom and his mom went to the store to buy some milk.',
];

/**
 * One micro-batch holding `rows` right-padded to the longest: padding has id 0, mask 0 and label -100;
 * real tokens are their own labels (the loss shifts them).
 */
export function batchOf(rows: readonly (readonly number[])[]): RawBatch {
  const seq = Math.max(...rows.map((r) => r.length));
  const batch = rows.length;
  const ids = new Int32Array(batch * seq);
  const labels = new Int32Array(batch * seq).fill(-100);
  const attentionMask = new Uint8Array(batch * seq);
  rows.forEach((row, i) => {
    row.forEach((id, j) => {
      ids[i * seq + j] = id;
      labels[i * seq + j] = id;
      attentionMask[i * seq + j] = 1;
    });
  });
  return { ids, labels, attentionMask, batch, seq };
}

/** One micro-batch of the tokenized `texts` (BOS first), right-padded. */
export function textBatch(tokenizer: Tokenizer, texts: readonly string[]): RawBatch {
  return batchOf(texts.map((t) => tokenizer.encode(t)));
}

/** `count` rows of `seq` ids each, BOS (1) then seeded ids in [3, vocab). */
export function randomRows(seed: number, count: number, seq: number, vocab: number): number[][] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => [1, ...Array.from({ length: seq - 1 }, () => 3 + Math.floor(next() * (vocab - 3)))]);
}

/** Number of loss targets of `batch`: labels other than -100 after the first position of each row. */
export function targetCount(batch: RawBatch): number {
  const labels = batch.labels ?? batch.ids;
  let n = 0;
  for (let i = 0; i < batch.batch; i++) {
    for (let j = 1; j < batch.seq; j++) if (labels[i * batch.seq + j] !== -100) n++;
  }
  return n;
}
