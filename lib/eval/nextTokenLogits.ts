/**
 * What logit-scored tasks (MMLU) need from the model: for each prompt, the logits of a few candidate tokens at
 * the position after its last token. {@link nextTokenLogitsFrom} provides it today over a full-logits forward
 * (`Model.logits`), which moves `seq × vocab` floats per prompt across the boundary to keep four; a native call
 * that returns only the chosen ids at the chosen positions would replace it without changing callers.
 */
import { invalidArg } from '../errors/index.js';

/**
 * @param prompts Token ids of each prompt as the model reads it (BOS included where the tokenizer adds one).
 * @param candidates Token ids to report, the same for every prompt.
 * @returns One array per prompt, `candidates.length` logits in `candidates` order.
 */
export type NextTokenLogits = (prompts: readonly (readonly number[])[], candidates: readonly number[]) => Promise<Float32Array[]>;

/** The batch shape a full-logits forward takes (structurally `RawBatch` of lib/native). */
export interface LogitsBatch {
  ids: Int32Array;
  attentionMask: Uint8Array;
  batch: number;
  seq: number;
}

/** Options of {@link nextTokenLogitsFrom}. */
export interface NextTokenLogitsFromOptions {
  /**
   * Prompts per forward call. Default 1: the forward returns every position's logits, `batch × seq × vocab`
   * floats (a 700-token prompt of a 49k-token vocabulary is 137 MB), and longer prompts pad the others.
   */
  batchSize?: number;
  /** Id written in padding positions (masked out, so any valid id). Default 0. */
  padId?: number;
}

/**
 * A {@link NextTokenLogits} over a model that computes all logits `[batch, seq, vocab]` (row-major), such as
 * `Model.logits`. Prompts are right-padded, so each row's last real position sees only its own tokens
 * (causal attention); that position's logits are read.
 * @param model `logits(batch)` and the vocabulary size (`Model` satisfies it).
 * @throws `ERR_FSLLM_INVALID_ARG` (when called) for an empty prompt or a candidate outside the vocabulary.
 */
export function nextTokenLogitsFrom(
  model: { logits(batch: LogitsBatch): Promise<Float32Array>; config: { vocabSize: number } },
  options: NextTokenLogitsFromOptions = {},
): NextTokenLogits {
  const batchSize = options.batchSize ?? 1;
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
      const logits = await model.logits({ ids, attentionMask, batch: rows.length, seq });
      rows.forEach((row, b) => {
        const at = (b * seq + row.length - 1) * vocab; // (B, T, V) -> row b, its last real position
        out.push(Float32Array.from(candidates, (id) => logits[at + id]!));
      });
    }
    return out;
  };
}
