/**
 * Text generation for `Model.generate`: the prompt tokenized, each new token decoded as it arrives, stop
 * strings cut, and `onText` fed only text that can no longer become part of a stop string. The token loop
 * itself (KV cache, sampling) runs natively in one call.
 */
import { invalidArg } from '../errors/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { Precision, RawGenerateOptions } from './binding.js';
import { callNative } from './callNative.js';
import type { Model } from './Model.js';

/** Options of {@link Model.generate}. */
export interface GenerateOptions {
  /** Default 64. */
  maxNewTokens?: number;
  /** 0 (default) = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Seed of the sampler; the same seed gives the same text. */
  seed?: number;
  /** Generation stops once the text contains one of these; the text is cut before it. */
  stop?: string[];
  /** Stop at the tokenizer's EOS (default true). */
  stopAtEos?: boolean;
  precision?: Precision;
  /** Called with each piece of new text as it is decoded. */
  onText?: (text: string) => void;
}

/** What {@link Model.generate} returns. */
export interface GenerateResult {
  promptIds: number[];
  /** Generated ids (without the prompt); an EOS that ended generation is included. */
  ids: number[];
  text: string;
}

/**
 * Ids that end generation: EOS, and for llama2.c vocabularies also BOS, which llama2.c models emit
 * between stories instead of EOS (llama2.c run.c stops on it too).
 */
function stopIdsOf(tokenizer: Tokenizer): number[] {
  const ids = tokenizer.eosId == null ? [] : [tokenizer.eosId];
  if (tokenizer.kind === 'llama2c' && tokenizer.bosId != null) ids.push(tokenizer.bosId);
  return ids;
}

// The native sampler's options, defaults filled in.
function samplerOptions(options: GenerateOptions, eosIds: number[]): RawGenerateOptions {
  return {
    maxNewTokens: options.maxNewTokens ?? 64,
    temperature: options.temperature ?? 0,
    topK: options.topK ?? 0,
    topP: options.topP ?? 1,
    seed: options.seed ?? 0,
    eosIds,
    precision: options.precision ?? 'fp32',
  };
}

/**
 * @internal Generates after `prompt` on `model`, under the model's lock; see {@link Model.generate}.
 * @throws `ERR_FSLLM_INVALID_ARG` for a string prompt when the model has no tokenizer; `ERR_FSLLM_DISPOSED`.
 */
export async function generateText(model: Model, prompt: string | readonly number[], options: GenerateOptions): Promise<GenerateResult> {
  const tokenizer = model.tokenizer;
  if (typeof prompt === 'string' && !tokenizer) throw invalidArg('prompt', 'token ids (this model has no tokenizer)', prompt);
  const promptIds = typeof prompt === 'string' ? tokenizer!.encode(prompt) : [...prompt];
  const stops = options.stop ?? [];
  const eosIds = options.stopAtEos === false || !tokenizer ? [] : stopIdsOf(tokenizer);
  const native = model.native;
  const decoder = tokenizer?.createStreamDecoder();
  // Text that could still become a stop string is held back from onText until it cannot.
  const holdBack = Math.max(0, ...stops.map((s) => s.length - 1));
  let text = '';
  let emitted = 0;
  let stoppedAfter = -1;
  let count = 0;
  let listenerError: unknown;
  const emit = (upTo: number) => {
    if (upTo <= emitted || !options.onText || listenerError !== undefined) return;
    try {
      options.onText(text.slice(emitted, upTo));
    } catch (err) {
      listenerError = err;
      native.stopGeneration();
    }
    emitted = upTo;
  };
  const onToken = (id: number) => {
    count += 1;
    if (!decoder || stoppedAfter >= 0) return;
    text += eosIds.includes(id) ? '' : decoder.push(id);
    const hit = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    if (hit.length > 0) {
      text = text.slice(0, Math.min(...hit));
      stoppedAfter = count;
      native.stopGeneration();
      emit(text.length);
    } else emit(text.length - holdBack);
  };
  const raw = await model.lock.run(() =>
    callNative(() => native.generate(Int32Array.from(promptIds), samplerOptions(options, eosIds), onToken)),
  );
  // Token callbacks are queued before the promise settles, so all of them have run by now.
  let ids = Array.from(raw);
  if (stoppedAfter >= 0) ids = ids.slice(0, stoppedAfter);
  else if (decoder) text += decoder.flush();
  emit(text.length);
  if (listenerError !== undefined) throw listenerError;
  return { promptIds, ids, text };
}
