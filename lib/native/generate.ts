/**
 * `Model.generate`: one prompt or a list, tokenized and checked here, decoded natively in batches of
 * `batchSize` prompts (generateBatch.ts), one at a time under the model's lock. A single prompt is a batch of
 * one: there is one decoding loop.
 */
import { invalidArg } from '../errors/index.js';
import { abortedRows, generateBatch, type IndexedPrompt } from './generateBatch.js';
import { checkGenerateOptions, promptIdsOf, type GenerateBatchOptions, type GenerateResult, type GenerateRow } from './generateOptions.js';
import type { Model } from './Model.js';
import { RowText } from './RowText.js';

/** A prompt: text (tokenized as the model's tokenizer does it) or token ids. */
export type GeneratePrompt = string | readonly number[];

/** True for a list of prompts, false for one prompt given as token ids. */
function isPromptList(input: readonly unknown[]): boolean {
  return input.some((p) => typeof p !== 'number');
}

/**
 * @internal Generates for a list of prompts; see {@link Model.generate}.
 * @throws `ERR_FSLLM_INVALID_ARG` naming the bad option or prompt; `ERR_FSLLM_DISPOSED`; a listener's own error.
 */
export async function generateRows(model: Model, input: readonly GeneratePrompt[], options: GenerateBatchOptions, single = false): Promise<GenerateRow[]> {
  const tokenizer = model.tokenizer;
  const o = checkGenerateOptions(options, tokenizer);
  if (!Array.isArray(input) || input.length === 0) throw invalidArg('prompts', 'a non-empty array of prompts', input);
  const { vocabSize, maxPositions } = model.config;
  const keys = options.seedKeys;
  if (keys !== undefined && (!Array.isArray(keys) || keys.length !== input.length || !keys.every((k) => Number.isInteger(k) && k >= 0 && k <= 0xffffffff))) {
    throw invalidArg('seedKeys', `an array of ${input.length} integers in [0, 2^32), one per prompt`, keys);
  }
  const prompts: IndexedPrompt[] = input.map((p, index) => ({
    index,
    ids: promptIdsOf(p, single ? 'prompt' : `prompts[${index}]`, tokenizer, vocabSize, maxPositions),
    seedKey: keys?.[index] ?? index,
  }));
  const native = model.native;
  const signal = options.signal;
  // A listener's error stops everything and is rethrown once the native call has settled.
  let listenerError: { error: unknown } | undefined;
  const guarded = <A extends unknown[]>(fn: ((...args: A) => void) | undefined) => (...args: A) => {
    if (!fn || listenerError) return;
    try {
      fn(...args);
    } catch (error) {
      listenerError = { error };
      native.stopGeneration();
    }
  };
  const onText = guarded(options.onText);
  const listener = {
    rowText: (index: number, sample: number) => new RowText(tokenizer?.createStreamDecoder(), o.stop, o.eosIds, (t) => onText(t, { index, sample })),
    rowDone: guarded(options.onRow),
  };
  const onAbort = () => native.stopGeneration();
  return model.lock.run(async () => {
    const rows: GenerateRow[] = [];
    signal?.addEventListener('abort', onAbort);
    try {
      for (let start = 0; start < prompts.length; start += o.batchSize) {
        const batch = prompts.slice(start, start + o.batchSize);
        // A signal that fired before this batch (or while the call waited for the lock) still counts.
        if (signal?.aborted || listenerError) rows.push(...abortedRows(batch, o.numReturnSequences));
        else rows.push(...(await generateBatch(native, batch, o, listener)));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (listenerError) throw listenerError.error;
    return rows;
  });
}

/**
 * @internal Generates for one prompt or a list; see {@link Model.generate}. A list is told from token ids by
 * its items: ids are all numbers.
 */
export async function generate(model: Model, input: GeneratePrompt | readonly GeneratePrompt[], options: GenerateBatchOptions): Promise<GenerateResult | GenerateRow[]> {
  if (Array.isArray(input) && isPromptList(input)) return generateRows(model, input as readonly GeneratePrompt[], options);
  if (typeof input !== 'string' && !Array.isArray(input)) throw invalidArg('prompt', 'a string, an array of token ids or an array of prompts', input);
  if (Array.isArray(input) && input.length === 0) throw invalidArg('prompts', 'a non-empty array of prompts', input);
  const samples = options.numReturnSequences;
  if (samples !== undefined && samples !== 1) throw invalidArg('numReturnSequences', '1 for a single prompt (pass an array of prompts for more)', samples);
  const [row] = await generateRows(model, [input as GeneratePrompt], options, true);
  const { promptIds, ids, text, finishReason } = row!;
  return { promptIds, ids, text, finishReason };
}
