/**
 * What logit-scored tasks (MMLU) need from the model: for each prompt, the logits of a few candidate tokens at
 * the position after its last token. {@link nextTokenLogitsFrom} batches prompts for `Model.nextTokenLogits`,
 * which runs the output head on each row's last position only and returns just the candidates' logits.
 */
import { invalidArg } from '../errors/index.js';

/**
 * @param prompts Token ids of each prompt as the model reads it (BOS included where the tokenizer adds one).
 * @param candidates Token ids to report, the same for every prompt.
 * @returns One array per prompt, `candidates.length` logits in `candidates` order.
 */
export type NextTokenLogits = (prompts: readonly (readonly number[])[], candidates: readonly number[]) => Promise<Float32Array[]>;

/** The batch shape the model's forward takes (structurally `RawBatch` of lib/native). */
export interface LogitsBatch {
  ids: Int32Array;
  attentionMask: Uint8Array;
  batch: number;
  seq: number;
}

/** Options of {@link nextTokenLogitsFrom}. */
export interface NextTokenLogitsFromOptions {
  /** Prompts per forward call (right-padded to the longest of them). Default 8. */
  batchSize?: number;
  /** Id written in padding positions (masked out, so any valid id). Default 0. */
  padId?: number;
}

/**
 * A {@link NextTokenLogits} over a model's `nextTokenLogits(batch, candidates)` (`[batch, candidates]`, row-major,
 * at each row's last real position), such as `Model`'s. Prompts are right-padded, so each row's last real
 * position sees only its own tokens (causal attention).
 * @param model `nextTokenLogits` and the vocabulary size (`Model` satisfies it).
 * @throws `ERR_FSLLM_INVALID_ARG` (when called) for an empty prompt or a candidate outside the vocabulary.
 */
export function nextTokenLogitsFrom(
  model: { nextTokenLogits(batch: LogitsBatch, candidates: readonly number[]): Promise<Float32Array>; config: { vocabSize: number } },
  options: NextTokenLogitsFromOptions = {},
): NextTokenLogits {
  const batchSize = options.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArg('batchSize', 'an integer ≥ 1', batchSize);
  const vocab = model.config.vocabSize;
  return async (prompts, candidates) => {
    for (const id of candidates) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw invalidArg('candidates', `token ids in [0, ${vocab})`, candidates);
    }
    const out: Float32Array[] = [];
    for (let start = 0; start < prompts.length; start += batchSize) {
      const rows = prompts.slice(start, start + batchSize);
      const seq = Math.max(...rows.map((r) => r.length));
      if (rows.some((r) => r.length === 0)) throw invalidArg('prompts', 'non-empty token id lists', rows);
      const ids = new Int32Array(rows.length * seq).fill(options.padId ?? 0);
      const attentionMask = new Uint8Array(rows.length * seq);
      rows.forEach((row, b) => {
        ids.set(row, b * seq);
        attentionMask.fill(1, b * seq, b * seq + row.length);
      });
      const logits = await model.nextTokenLogits({ ids, attentionMask, batch: rows.length, seq }, candidates);
      rows.forEach((_, b) => out.push(logits.slice(b * candidates.length, (b + 1) * candidates.length)));
    }
    return out;
  };
}
