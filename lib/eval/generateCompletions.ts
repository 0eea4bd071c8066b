/**
 * The one place evaluation asks a model for text: prompts in, rows `{index, sample, ids, text, finishReason}`
 * out, each row handed to `onRow` as it finishes. Every task generates through this file, over one call of the
 * batched KV-cache `Model.generate(prompts[], {batchSize, numReturnSequences, seedKeys, signal, onRow})`.
 *
 * What is added here: sampled rows are seeded by the *item* (`keys`, passed as `seedKeys`), not by the
 * prompt's position in the list, so a resumed evaluation (which passes only the unfinished prompts) samples the
 * same text; prompts too long for the context are cut; an abort rejects with `ERR_FSLLM_ABORTED` (the API
 * resolves with 'aborted' rows) after every row that finished has been handed to `onRow` and its promise settled.
 */
import { invalidArg } from '../errors/index.js';
import type { Model } from '../native/Model.js';
import type { GenerateRow } from '../native/generateOptions.js';
import { throwIfAborted } from '../util/abort.js';

/** What evaluation needs of a model (a `Model` satisfies it; tests may wrap one to count calls). */
export type EvalModel = Pick<Model, 'config' | 'tokenizer' | 'generate' | 'nextTokenLogits'>;

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
  /** Seeds sampled rows, with the row's key and sample (see `keys`). Default 0. */
  seed?: number;
  stop?: readonly string[];
  /** Rows per prompt (default 1), sampled from one shared prefill. */
  numReturnSequences?: number;
  /** Prompts decoded together (default 16). */
  batchSize?: number;
  /**
   * A stable number per prompt in [0, 2^32) (the benchmark item's index) that seeds its sampled rows; default
   * the list positions. Lets a resumed evaluation, which generates only for unfinished items, sample the same text.
   */
  keys?: readonly number[];
  /**
   * Rows not wanted (already finished in a resumed evaluation): not handed to `onRow` nor returned. A prompt
   * all of whose rows are skipped is not generated; one with some left is generated whole (its samples share
   * one prefill and one seed) and the skipped rows dropped.
   */
  skip?: (index: number, sample: number) => boolean;
  /** Stops generation; the promise then rejects with `ERR_FSLLM_ABORTED` (rows already passed to onRow stand). */
  signal?: AbortSignal;
  /**
   * Called as each row finishes (not in prompt order); may return a promise (e.g. a journal write). A rejection
   * stops generation and is rethrown.
   */
  onRow?: (row: CompletionRow) => void | Promise<void>;
}

/**
 * Generates `numReturnSequences` rows for every prompt (less the skipped ones), in prompt order (samples of a
 * prompt in order). A prompt longer than the model's context allows is cut from the front (keeping BOS) to
 * leave `min(maxNewTokens, maxPositions / 2)` positions for the answer: the end of every task's prompt (the
 * question and its answer cue) is what the model must see; the reference models had the room and cut nothing.
 * @throws `ERR_FSLLM_INVALID_ARG` for a model without a tokenizer or a bad option; `ERR_FSLLM_ABORTED` when
 *   `signal` aborts; whatever `onRow` rejects with.
 */
export async function generateCompletions(
  model: EvalModel,
  prompts: readonly string[],
  options: GenerateCompletionsOptions,
): Promise<CompletionRow[]> {
  // Validate
  const tokenizer = model.tokenizer;
  if (tokenizer === null) throw invalidArg('model', 'a model with a tokenizer (evaluation prompts are text)', null);
  const perPrompt = options.numReturnSequences ?? 1;
  if (!Number.isInteger(perPrompt) || perPrompt < 1) throw invalidArg('numReturnSequences', 'an integer ≥ 1', perPrompt);
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) throw invalidArg('maxNewTokens', 'an integer ≥ 1', options.maxNewTokens);
  if (options.keys !== undefined && options.keys.length !== prompts.length) throw invalidArg('keys', `${prompts.length} keys, one per prompt`, options.keys.length);
  throwIfAborted(options.signal, 'evaluation');
  // Interpret
  const wanted = (index: number, sample: number) => options.skip?.(index, sample) !== true;
  const todo = prompts.map((_, index) => index).filter((index) => Array.from({ length: perPrompt }, (__, s) => s).some((s) => wanted(index, s)));
  const fitted = new Map(todo.map((index) => [index, fitToContext(tokenizer.encode(prompts[index]!), model.config.maxPositions, options.maxNewTokens, tokenizer.bosId)]));
  const delivery = new RowDelivery(options.signal, options.onRow);
  const rows: CompletionRow[] = [];
  try {
    if (todo.length > 0) {
      const generated = (await model.generate(
        todo.map((index) => fitted.get(index)!.ids),
        {
          maxNewTokens: options.maxNewTokens,
          temperature: options.temperature ?? 0,
          topK: options.topK ?? 0,
          topP: options.topP ?? 1,
          seed: options.seed ?? 0,
          seedKeys: todo.map((index) => options.keys?.[index] ?? index),
          stop: [...(options.stop ?? [])],
          numReturnSequences: perPrompt,
          batchSize: options.batchSize ?? 16,
          signal: delivery.signal,
          onRow: (row) => {
            const done = completionRow(row, todo, fitted);
            if (done !== null && wanted(done.index, done.sample)) delivery.deliver(done);
          },
        },
      )) as GenerateRow[];
      for (const row of generated) {
        const done = completionRow(row, todo, fitted);
        if (done !== null && wanted(done.index, done.sample)) rows.push(done);
      }
    }
  } finally {
    await delivery.settle();
  }
  throwIfAborted(options.signal, 'evaluation');
  return rows;
}

/**
 * Hands finished rows to the caller's `onRow` without blocking generation (its onRow is synchronous), and
 * stops generation (`signal`) when the caller's signal aborts or a handler fails.
 */
class RowDelivery {
  readonly #stop = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #onRow: GenerateCompletionsOptions['onRow'];
  readonly #pending: Promise<void>[] = [];
  readonly #onAbort = () => this.#stop.abort();
  #failure: { error: unknown } | undefined;

  constructor(caller: AbortSignal | undefined, onRow: GenerateCompletionsOptions['onRow']) {
    this.#caller = caller;
    this.#onRow = onRow;
    caller?.addEventListener('abort', this.#onAbort);
  }

  /** What generation runs under. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  deliver(row: CompletionRow): void {
    const handled = Promise.resolve()
      .then(() => this.#onRow?.(row))
      .catch((error: unknown) => {
        this.#failure ??= { error };
        this.#stop.abort();
      });
    this.#pending.push(handled);
  }

  /** Waits for every handler; rethrows the first failure. */
  async settle(): Promise<void> {
    this.#caller?.removeEventListener('abort', this.#onAbort);
    await Promise.all(this.#pending);
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}

/** The row of the caller's prompt list for a row of the generated list `todo` (null for an aborted one). */
function completionRow(row: GenerateRow, todo: readonly number[], fitted: ReadonlyMap<number, Fitted>): CompletionRow | null {
  if (row.finishReason === 'aborted') return null;
  const index = todo[row.index]!;
  const fit = fitted.get(index)!;
  return { index, sample: row.sample, ids: row.ids, text: row.text, finishReason: row.finishReason, promptTokens: fit.ids.length, cutTokens: fit.cut };
}

interface Fitted {
  ids: number[];
  cut: number;
}

/** `ids` cut from the front (after BOS) so that at least `min(maxNewTokens, maxPositions / 2)` positions remain. */
function fitToContext(ids: number[], maxPositions: number, maxNewTokens: number, bosId: number | null): Fitted {
  const room = maxPositions - Math.min(maxNewTokens, Math.floor(maxPositions / 2));
  if (ids.length <= room) return { ids, cut: 0 };
  const head = bosId !== null && ids[0] === bosId ? [bosId] : [];
  const kept = [...head, ...ids.slice(ids.length - (room - head.length))];
  return { ids: kept, cut: ids.length - kept.length };
}
