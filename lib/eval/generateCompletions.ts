/**
 * The one place evaluation asks a model for text: prompts in, rows `{index, sample, ids, text, finishReason}`
 * out, each row handed to `onRow` as it finishes. Every task generates through this file, so the switch to
 * batched KV-cache generation (`Model.generate(prompts[], {numReturnSequences, signal, onRow})`, in progress on
 * another branch) is a change here only.
 *
 * Today it loops over the single-prompt `Model.generate`, one row at a time. When the batched API lands this
 * becomes one call to it, with two things to keep: (1) sampled rows must stay seeded by the *item* (`keys`),
 * not by the prompt's position in the list, so that a resumed evaluation (which passes only the unfinished
 * prompts) samples the same text; (2) an abort must still reject with `ERR_FSLLM_ABORTED` after the rows that
 * finished were handed to `onRow` (the batched API resolves with 'aborted' rows instead).
 */
import { invalidArg } from '../errors/index.js';
import type { Model } from '../native/Model.js';
import { throwIfAborted } from '../util/abort.js';
import { mixSeed } from '../util/random.js';

/** What evaluation needs of a model (a `Model` satisfies it; tests may wrap one to count calls). */
export type EvalModel = Pick<Model, 'config' | 'tokenizer' | 'generate' | 'logits'>;

/** Why a row ended: an end-of-sequence token, a stop string, or the token budget (or the model's context). */
export type CompletionFinish = 'eos' | 'stop' | 'length';

/** One generated completion: sample `sample` of prompt `index` (its position in the list). */
export interface CompletionRow {
  index: number;
  sample: number;
  /** Generated ids, without the prompt (an EOS that ended the row included). */
  ids: number[];
  /** The text, cut before a stop string. */
  text: string;
  finishReason: CompletionFinish;
  /** Prompt tokens the model read, and how many were cut from the front to fit its context. */
  promptTokens: number;
  cutTokens: number;
}

/** Options of {@link generateCompletions}. */
export interface GenerateCompletionsOptions {
  maxNewTokens: number;
  /** 0 (default): greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Seeds sampled rows, with the row's key and sample. Default 0. */
  seed?: number;
  stop?: readonly string[];
  /** Rows per prompt (default 1). */
  numReturnSequences?: number;
  /**
   * A stable number per prompt (the benchmark item's index) that seeds its sampled rows; default the list
   * positions. Lets a resumed evaluation, which generates only for unfinished items, sample the same text.
   */
  keys?: readonly number[];
  /**
   * Rows to leave out (already finished in a resumed evaluation). Today they are not generated; the batched
   * API will generate a prompt's samples together from one prefill and drop these.
   */
  skip?: (index: number, sample: number) => boolean;
  /** Stops generation; the promise then rejects with `ERR_FSLLM_ABORTED` (rows already passed to onRow stand). */
  signal?: AbortSignal;
  /** Called as each row finishes; may return a promise (e.g. a journal write), which is awaited. */
  onRow?: (row: CompletionRow) => void | Promise<void>;
}

/**
 * Generates `numReturnSequences` rows for every prompt (less the skipped ones), in prompt order (samples of
 * a prompt in order).
 * A prompt longer than the model's context allows is cut from the front (keeping BOS) to leave
 * `min(maxNewTokens, maxPositions / 2)` positions for the answer: the end of every task's prompt (the
 * question and its answer cue) is what the model must see; the reference models had the room and cut nothing.
 * @throws `ERR_FSLLM_INVALID_ARG` for a model without a tokenizer or a bad option; `ERR_FSLLM_ABORTED` when
 *   `signal` aborts.
 */
export async function generateCompletions(
  model: EvalModel,
  prompts: readonly string[],
  options: GenerateCompletionsOptions,
): Promise<CompletionRow[]> {
  const tokenizer = model.tokenizer;
  if (tokenizer === null) throw invalidArg('model', 'a model with a tokenizer (evaluation prompts are text)', null);
  const perPrompt = options.numReturnSequences ?? 1;
  if (!Number.isInteger(perPrompt) || perPrompt < 1) throw invalidArg('numReturnSequences', 'an integer ≥ 1', perPrompt);
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) throw invalidArg('maxNewTokens', 'an integer ≥ 1', options.maxNewTokens);
  if (options.keys !== undefined && options.keys.length !== prompts.length) throw invalidArg('keys', `${prompts.length} keys, one per prompt`, options.keys.length);
  const eosIds = [tokenizer.eosId, tokenizer.kind === 'llama2c' ? tokenizer.bosId : null].filter((id): id is number => id != null);
  const rows: CompletionRow[] = [];
  for (let index = 0; index < prompts.length; index++) {
    const fitted = fitToContext(tokenizer.encode(prompts[index]!), model.config.maxPositions, options.maxNewTokens, tokenizer.bosId);
    for (let sample = 0; sample < perPrompt; sample++) {
      if (options.skip?.(index, sample) === true) continue;
      throwIfAborted(options.signal, 'evaluation');
      const result = await model.generate(fitted.ids, {
        maxNewTokens: options.maxNewTokens,
        temperature: options.temperature ?? 0,
        topK: options.topK ?? 0,
        topP: options.topP ?? 1,
        seed: mixSeed(options.seed ?? 0, options.keys?.[index] ?? index, sample),
        stop: [...(options.stop ?? [])],
        // The single-prompt API has no signal: a throw from its text listener stops the native loop.
        onText: () => throwIfAborted(options.signal, 'evaluation'),
      });
      const last = result.ids.at(-1);
      const finishReason: CompletionFinish =
        last !== undefined && eosIds.includes(last) ? 'eos' : result.ids.length >= fitted.budget ? 'length' : 'stop';
      const row = { index, sample, ids: result.ids, text: result.text, finishReason, promptTokens: fitted.ids.length, cutTokens: fitted.cut };
      rows.push(row);
      await options.onRow?.(row);
    }
  }
  return rows;
}

/** `ids` cut from the front (after BOS) so that at least `min(maxNewTokens, maxPositions / 2)` positions remain. */
function fitToContext(ids: number[], maxPositions: number, maxNewTokens: number, bosId: number | null): { ids: number[]; cut: number; budget: number } {
  const reserve = Math.min(maxNewTokens, Math.floor(maxPositions / 2));
  const room = maxPositions - reserve;
  if (ids.length <= room) return { ids, cut: 0, budget: Math.min(maxNewTokens, maxPositions - ids.length) };
  const head = bosId !== null && ids[0] === bosId ? [bosId] : [];
  const kept = [...head, ...ids.slice(ids.length - (room - head.length))];
  return { ids: kept, cut: ids.length - kept.length, budget: Math.min(maxNewTokens, maxPositions - kept.length) };
}
