/**
 * The options and results of `Model.generate`, and their validation: every option checked once, on the JS
 * thread, with a message that names it, before anything is queued.
 */
import { invalidArg } from '../errors/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { Precision } from './binding.js';

/** Which row of a batch a value belongs to: the prompt's index in the list, and the sample of that prompt. */
export interface GenerateRowId {
  index: number;
  sample: number;
}

/** Options of {@link Model.generate} for one prompt. */
export interface GenerateOptions {
  /** Default 64. */
  maxNewTokens?: number;
  /** 0 (default) = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /**
   * Seed of the sampler (an integer >= 0, default 0). The same seed gives the same text. A batch row is seeded
   * by (seed, its prompt's index, its sample), so its text does not depend on what else is in the batch.
   */
  seed?: number;
  /** A row stops once its text contains one of these; the text is cut before it. */
  stop?: string[];
  /** Stop at the tokenizer's EOS (default true). */
  stopAtEos?: boolean;
  precision?: Precision;
  /**
   * Ends generation early: unfinished rows resolve with what they have and `finishReason` 'aborted' (the
   * promise resolves, it does not reject), and the model stays usable.
   */
  signal?: AbortSignal;
  /**
   * Called with each piece of new text as it is decoded, and which row it belongs to. Text that could still
   * become part of a stop string is held back until it cannot. A throw stops generation and is rethrown.
   */
  onText?: (text: string, row: GenerateRowId) => void;
}

/** Options of {@link Model.generate} for a list of prompts. */
export interface GenerateBatchOptions extends GenerateOptions {
  /** Prompts decoded together (default 16); a longer list runs in successive batches of this many. */
  batchSize?: number;
  /** Rows per prompt (default 1), sampled from one shared prefill; with greedy decoding they are identical. */
  numReturnSequences?: number;
  /**
   * One integer in [0, 2^32) per prompt that seeds its sampled rows instead of its position in the list (the
   * default): a stable key, such as a benchmark item's number, gives the same text when the prompt is
   * generated again in another list (e.g. an evaluation resumed with only its unfinished items).
   */
  seedKeys?: readonly number[];
  /** Called as each row finishes (not in prompt order), with the row as it will appear in the result. */
  onRow?: (row: GenerateRow) => void;
}

/** Why a row ended: its EOS, one of `stop`, `maxNewTokens` (or the model's context), or `signal`. */
export type FinishReason = 'eos' | 'stop' | 'length' | 'aborted';

/** What {@link Model.generate} returns for one prompt. */
export interface GenerateResult {
  promptIds: number[];
  /** Generated ids (without the prompt); an EOS that ended generation is included. */
  ids: number[];
  text: string;
  finishReason: FinishReason;
}

/** One row of a batch result: sample `sample` of prompt `index`. */
export interface GenerateRow extends GenerateResult, GenerateRowId {}

/** @internal Options with defaults filled in and checked. */
export interface CheckedGenerateOptions {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  stop: string[];
  eosIds: number[];
  precision: Precision;
  batchSize: number;
  numReturnSequences: number;
}

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * Ids that end generation: EOS, and for llama2.c vocabularies also BOS, which llama2.c models emit
 * between stories instead of EOS (llama2.c run.c stops on it too).
 */
function stopIdsOf(tokenizer: Tokenizer): number[] {
  const ids = tokenizer.eosId == null ? [] : [tokenizer.eosId];
  if (tokenizer.kind === 'llama2c' && tokenizer.bosId != null) ids.push(tokenizer.bosId);
  return ids;
}

/**
 * @internal Fills defaults and checks every option.
 * @throws `ERR_FSLLM_INVALID_ARG` naming the first bad option.
 */
export function checkGenerateOptions(o: GenerateBatchOptions, tokenizer: Tokenizer | null): CheckedGenerateOptions {
  const { maxNewTokens = 64, temperature = 0, topK = 0, topP = 1, seed = 0, stop = [], batchSize = 16, numReturnSequences = 1 } = o;
  if (!isInt(maxNewTokens, 0)) throw invalidArg('maxNewTokens', 'an integer >= 0', maxNewTokens);
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) throw invalidArg('temperature', 'a finite number >= 0', temperature);
  if (!isInt(topK, 0)) throw invalidArg('topK', 'an integer >= 0 (0 = off)', topK);
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) throw invalidArg('topP', 'a number in (0, 1]', topP);
  if (!isInt(seed, 0) || seed > Number.MAX_SAFE_INTEGER) throw invalidArg('seed', 'an integer >= 0', seed);
  if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s.length === 0)) throw invalidArg('stop', 'an array of non-empty strings', stop);
  if (!isInt(batchSize, 1)) throw invalidArg('batchSize', 'an integer >= 1', batchSize);
  if (!isInt(numReturnSequences, 1)) throw invalidArg('numReturnSequences', 'an integer >= 1', numReturnSequences);
  for (const key of ['onText', 'onRow'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function') throw invalidArg(key, 'a function', o[key]);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArg('signal', 'an AbortSignal', o.signal);
  const eosIds = o.stopAtEos === false || !tokenizer ? [] : stopIdsOf(tokenizer);
  return { maxNewTokens, temperature, topK, topP, seed, stop, eosIds, precision: o.precision ?? 'fp32', batchSize, numReturnSequences };
}

/**
 * @internal The token ids of one prompt: a string tokenized by the model's tokenizer, or ids checked against
 * the vocabulary and the context length.
 * @param name How messages name it: `prompt`, or `prompts[i]` in a list.
 * @throws `ERR_FSLLM_INVALID_ARG` naming `name`.
 */
export function promptIdsOf(prompt: unknown, name: string, tokenizer: Tokenizer | null, vocabSize: number, maxPositions: number): number[] {
  let ids: number[];
  if (typeof prompt === 'string') {
    if (!tokenizer) throw invalidArg(name, 'token ids (this model has no tokenizer)', prompt);
    ids = tokenizer.encode(prompt);
  } else if (Array.isArray(prompt) || ArrayBuffer.isView(prompt)) {
    ids = Array.from(prompt as ArrayLike<unknown>, (id, i) => {
      if (!isInt(id, 0) || id >= vocabSize) throw invalidArg(`${name}[${i}]`, `a token id in [0, ${vocabSize})`, id);
      return id;
    });
  } else throw invalidArg(name, 'a string or an array of token ids', prompt);
  if (ids.length === 0) throw invalidArg(name, 'a non-empty prompt (at least a BOS token)', prompt);
  if (ids.length >= maxPositions) throw invalidArg(`${name}.length`, `fewer tokens than the model's ${maxPositions} positions`, ids.length);
  return ids;
}
