/**
 * Scoring MMLU questions with a model's next-token logits: build each prompt (exemplars from `mmluShots`,
 * shortened to the token budget), ask for the logits of the four answer tokens, take the largest. No
 * generation, as the reference.
 */
import { fsllmError, invalidArg } from '../errors/index.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { MMLU_CHOICES, mmluShots, type MmluChoice, type MmluItem, type MmluResult } from './mmlu.js';
import { mmluChoiceIds, mmluPromptWithinBudget, type MmluHeader } from './mmluPrompt.js';
import type { NextTokenLogits } from './nextTokenLogits.js';

/** Options of {@link runMmlu}. */
export interface RunMmluOptions {
  /** Exemplars per question before the budget trims them. Default 5. */
  shots?: number;
  /** Seeds exemplar choice (see `mmluShots`). Default 0. */
  seed?: number;
  /**
   * Token budget of a prompt. Default 1024 (the reference's); keep it within the model's context
   * (`config.maxPositions`), since a prompt longer than that cannot be scored.
   */
  maxPromptTokens?: number;
  /** The reference header with its stray spaces (default) or a clean one (see `MmluHeader`). */
  header?: MmluHeader;
  /** Which ids stand for A-D (see `mmluChoiceIds`). Default 'reference'. */
  choiceIds?: 'reference' | 'spaced';
  /** Prompts per `logits` call. Default 8. */
  batchSize?: number;
  signal?: AbortSignal;
  /** Called after each batch with its results, e.g. to record progress or append to a resume file. */
  onResults?: (results: MmluResult[]) => void;
}

/**
 * Scores `questions` (all from `pool`, which supplies the exemplars: pass the whole file even when scoring a
 * subset).
 * @param tokenizer The model's; `encode` with its default options gives the ids the model reads (the reference
 *   tokenizes with `tokenizer(prompt)`, BOS included where the tokenizer adds one).
 * @param logits The model's next-token logits over the four answer ids (see `nextTokenLogitsFrom`).
 * @throws `ERR_FSLLM_INVALID_ARG` when a question is not in `pool` or an option is out of range;
 *   `ERR_FSLLM_ABORTED` when aborted.
 */
export async function runMmlu(
  questions: readonly MmluItem[],
  pool: readonly MmluItem[],
  tokenizer: Pick<Tokenizer, 'encode'>,
  logits: NextTokenLogits,
  options: RunMmluOptions = {},
): Promise<MmluResult[]> {
  const batchSize = options.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArg('batchSize', 'an integer ≥ 1', batchSize);
  const shots = options.shots ?? 5;
  if (!Number.isInteger(shots) || shots < 0) throw invalidArg('shots', 'an integer ≥ 0', shots);
  const exemplars = mmluShots(pool, shots, options.seed ?? 0);
  const candidates = mmluChoiceIds(tokenizer, options.choiceIds ?? 'reference');
  const budget = { maxTokens: options.maxPromptTokens ?? 1024, ...(options.header ? { header: options.header } : {}) };
  const results: MmluResult[] = [];
  for (let start = 0; start < questions.length; start += batchSize) {
    if (options.signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'MMLU scoring was aborted', { cause: options.signal.reason });
    const batch = questions.slice(start, start + batchSize);
    const encoded = batch.map((item) => {
      const shotItems = exemplars.get(item.index);
      if (shotItems === undefined) throw invalidArg('questions', 'items of `pool` (same index)', item.index);
      const built = mmluPromptWithinBudget(item, shotItems, (text) => tokenizer.encode(text).length, budget);
      return { ids: tokenizer.encode(built.prompt), shots: built.shots };
    });
    const scores = await logits(encoded.map((e) => e.ids), candidates);
    const batchResults = batch.map((item, b): MmluResult => {
      const prediction = argmaxChoice(scores[b]!);
      return { index: item.index, subject: item.subject, prediction, answer: item.answer, correct: prediction === item.answer, shots: encoded[b]!.shots };
    });
    results.push(...batchResults);
    options.onResults?.(batchResults);
  }
  return results;
}

/** The letter of the largest of four logits; the first on ties, as numpy's argmax. */
export function argmaxChoice(scores: ArrayLike<number>): MmluChoice {
  let best = 0;
  for (let j = 1; j < MMLU_CHOICES.length; j++) if (scores[j]! > scores[best]!) best = j;
  return MMLU_CHOICES[best]!;
}
