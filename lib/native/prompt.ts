/**
 * Prompt-learning options as users give them (HF PEFT's PromptTuningConfig, PromptEncoderConfig and
 * PrefixTuningConfig, named in comments), validated once, and the token ids a text or vocabulary
 * initialisation starts from.
 */
import { invalidArg } from '../errors/index.js';
import { seededRandom } from '../util/random.js';

export type PromptMethod = 'prompt' | 'p-tuning' | 'prefix';
export type PromptEncoder = 'none' | 'mlp' | 'lstm' | 'projection';
export type PromptInit = 'random' | 'text' | 'sample-vocab';

/** Prompt tuning, P-tuning or prefix tuning; only these parameters train, the model stays frozen. */
export interface PromptOptions {
  /** `'prompt'` (PROMPT_TUNING), `'p-tuning'` (P_TUNING) or `'prefix'` (PREFIX_TUNING). */
  method: PromptMethod;
  /** Virtual tokens before every input (`num_virtual_tokens`), 1..4096; default 20. */
  virtualTokens?: number;
  /**
   * What produces the virtual tokens: P-tuning's `encoder_reparameterization_type`, `'mlp'` (default) or
   * `'lstm'`; prefix tuning's `prefix_projection`, `'projection'` or `'none'` (default); prompt tuning `'none'`.
   */
  encoder?: PromptEncoder;
  /** `encoder_hidden_size`; default the encoder's input width (the hidden size; for a prefix, kv width). */
  encoderHiddenSize?: number;
  /** LSTM layers (`encoder_num_layers`), default 2. */
  encoderLayers?: number;
  /** Dropout between LSTM layers in training (`encoder_dropout`), in [0, 1); default 0. */
  encoderDropout?: number;
  /** Prompt tuning's start (`prompt_tuning_init`): `'random'` N(0, 1) (default), `'text'` or `'sample-vocab'`. */
  init?: PromptInit;
  /** `prompt_tuning_init_text`, with `init: 'text'`: tokenized by the model's tokenizer, repeated or cut to fit. */
  initText?: string;
  /** Seed of the initial values (and of the sampled vocabulary). */
  seed?: number;
}

/** The encoders each method takes (PEFT's reparameterisations; a prefix's projection). */
export const PROMPT_ENCODERS: Readonly<Record<PromptMethod, readonly PromptEncoder[]>> = { prompt: ['none'], 'p-tuning': ['mlp', 'lstm'], prefix: ['none', 'projection'] };

export type NormalizedPrompt = Required<Omit<PromptOptions, 'initText'>> & { initText?: string };

/** Validates user prompt options; throws `ERR_FSLLM_INVALID_ARG` naming the field. */
export function normalizePrompt(o: PromptOptions, path = 'prompt'): NormalizedPrompt {
  if (o === null || typeof o !== 'object') throw invalidArg(path, 'an object', o);
  if (o.method !== 'prompt' && o.method !== 'p-tuning' && o.method !== 'prefix') {
    throw invalidArg(`${path}.method`, "'prompt', 'p-tuning' or 'prefix'", o.method);
  }
  const virtualTokens = o.virtualTokens ?? 20;
  if (!Number.isInteger(virtualTokens) || virtualTokens < 1 || virtualTokens > 4096) {
    throw invalidArg(`${path}.virtualTokens`, 'an integer between 1 and 4096', o.virtualTokens);
  }
  const encoder = o.encoder ?? (o.method === 'p-tuning' ? 'mlp' : 'none');
  const allowed = PROMPT_ENCODERS[o.method];
  if (!allowed.includes(encoder)) throw invalidArg(`${path}.encoder`, `one of ${allowed.map((e) => `'${e}'`).join(', ')} for ${o.method}`, o.encoder);
  const count = (field: 'encoderHiddenSize' | 'encoderLayers', fallback: number, min: number): number => {
    const v = o[field] ?? fallback;
    if (!Number.isInteger(v) || v < min) throw invalidArg(`${path}.${field}`, `an integer >= ${min}`, o[field]);
    return v;
  };
  const encoderDropout = o.encoderDropout ?? 0;
  if (typeof encoderDropout !== 'number' || !(encoderDropout >= 0 && encoderDropout < 1)) {
    throw invalidArg(`${path}.encoderDropout`, 'a number in [0, 1)', o.encoderDropout);
  }
  const init = o.init ?? 'random';
  if (init !== 'random' && init !== 'text' && init !== 'sample-vocab') throw invalidArg(`${path}.init`, "'random', 'text' or 'sample-vocab'", o.init);
  if (init !== 'random' && o.method !== 'prompt') throw invalidArg(`${path}.init`, `'random' for ${o.method} (text and vocabulary starts are prompt tuning's)`, o.init);
  if (init === 'text' && (typeof o.initText !== 'string' || o.initText.length === 0)) {
    throw invalidArg(`${path}.initText`, "a non-empty string with init: 'text'", o.initText);
  }
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw invalidArg(`${path}.seed`, 'a non-negative integer', o.seed);
  return {
    method: o.method, virtualTokens, encoder,
    encoderHiddenSize: count('encoderHiddenSize', 0, 0), encoderLayers: count('encoderLayers', 2, 1), encoderDropout,
    init, ...(init === 'text' ? { initText: o.initText } : {}), seed,
  };
}

/** True when two normalised configurations build the same tensors (their start, seed and dropout aside). */
export function samePromptTensors(a: NormalizedPrompt, b: NormalizedPrompt): boolean {
  const key = (o: NormalizedPrompt) => JSON.stringify([o.method, o.virtualTokens, o.encoder, o.encoder === 'none' ? 0 : o.encoderHiddenSize, o.encoder === 'lstm' ? o.encoderLayers : 0]);
  return key(a) === key(b);
}

/**
 * One token id per virtual token for a text or vocabulary start, or undefined for a random one. Text: the
 * tokenizer's ids of `initText` (with its special tokens, as PEFT's `tokenizer(text)`), repeated or cut to
 * `virtualTokens`; vocabulary: ids drawn uniformly from the seed.
 */
export function promptInitIds(o: NormalizedPrompt, vocabSize: number, encode: ((text: string) => number[]) | null): number[] | undefined {
  if (o.init === 'random') return undefined;
  if (o.init === 'sample-vocab') {
    const random = seededRandom(o.seed);
    return Array.from({ length: o.virtualTokens }, () => Math.floor(random() * vocabSize));
  }
  if (!encode) throw invalidArg('prompt.init', "'random' or 'sample-vocab' for a model without a tokenizer", o.init);
  const ids = encode(o.initText!);
  if (ids.length === 0) throw invalidArg('prompt.initText', 'text that tokenizes to at least one token', o.initText);
  return Array.from({ length: o.virtualTokens }, (_, i) => ids[i % ids.length]!);
}
