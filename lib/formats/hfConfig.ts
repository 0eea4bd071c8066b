/**
 * Hugging Face `config.json` → {@link ModelConfig}. Defaults are those of the transformers config
 * classes (LlamaConfig, MistralConfig, Qwen2Config, GPT2Config) for the fields a real config may omit;
 * the size fields are required.
 */
import { checkpointError } from './errors.js';
import type { ModelConfig, RopeScaling } from './types.js';

/** `model_type` values {@link modelConfigFromHf} accepts. */
export const SUPPORTED_HF_MODEL_TYPES = ['llama', 'mistral', 'qwen2', 'gpt2'] as const;

type Json = Record<string, unknown>;

interface Reader {
  json: Json;
  file: string;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldError(r: Reader, key: string, expectation: string, value: unknown) {
  const got = value === undefined ? 'it is missing' : `got ${JSON.stringify(value)}`;
  return checkpointError(`field ${key} must be ${expectation}; ${got}`, r.file);
}

function positiveInt(r: Reader, key: string, fallback?: number): number {
  const value = r.json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw fieldError(r, key, 'a positive integer', r.json[key]);
  }
  return value;
}

function positiveNumber(r: Reader, key: string, fallback: number): number {
  const value = r.json[key] ?? fallback;
  if (typeof value !== 'number' || !(value > 0)) throw fieldError(r, key, 'a positive number', r.json[key]);
  return value;
}

function flag(r: Reader, key: string, fallback: boolean): boolean {
  const value = r.json[key] ?? fallback;
  if (typeof value !== 'boolean') throw fieldError(r, key, 'true or false', r.json[key]);
  return value;
}

// Token ids may be a number, a list (Llama 3 lists several EOS ids: the first is kept) or null.
function tokenId(r: Reader, key: string, fallback: number | null): number | null {
  const raw = r.json[key] === undefined ? fallback : r.json[key];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw fieldError(r, key, 'a token id, a list of token ids, or null', raw);
  }
  return value;
}

/**
 * Normalises a parsed `config.json`.
 * @param json the parsed file.
 * @param file its path, for messages.
 * @throws `ERR_FSLLM_CHECKPOINT` naming the field for a missing or invalid field, an unsupported
 *   `model_type` (the message lists the supported ones) or an unsupported feature.
 */
export function modelConfigFromHf(json: unknown, file: string): ModelConfig {
  if (!isRecord(json)) throw checkpointError('expected a JSON object', file);
  const r: Reader = { json, file };
  const modelType = json['model_type'];
  switch (modelType) {
    case 'llama':
    case 'mistral':
    case 'qwen2':
      return llamaFamily(r, modelType);
    case 'gpt2':
      return gpt2(r);
    default:
      throw checkpointError(
        `field model_type is ${JSON.stringify(modelType)}, which fsllm does not support; ` +
          `supported: ${SUPPORTED_HF_MODEL_TYPES.join(', ')}`,
        file,
      );
  }
}

function llamaFamily(r: Reader, modelType: 'llama' | 'mistral' | 'qwen2'): ModelConfig {
  // Validate
  const hiddenSize = positiveInt(r, 'hidden_size');
  const numHeads = positiveInt(r, 'num_attention_heads');
  const numKvHeads = positiveInt(r, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw fieldError(r, 'num_key_value_heads', `a divisor of num_attention_heads (${numHeads})`, numKvHeads);
  }
  if (r.json['head_dim'] == null && hiddenSize % numHeads !== 0) {
    throw fieldError(r, 'num_attention_heads', `a divisor of hidden_size (${hiddenSize}) when head_dim is absent`, numHeads);
  }
  const headDim = r.json['head_dim'] == null ? hiddenSize / numHeads : positiveInt(r, 'head_dim');
  if (r.json['hidden_act'] !== undefined && r.json['hidden_act'] !== 'silu') {
    throw fieldError(r, 'hidden_act', '"silu" (the only activation of this family)', r.json['hidden_act']);
  }
  // LLaMA's attention_bias also adds an o_proj bias, which the native model does not have.
  if (modelType !== 'qwen2' && flag(r, 'attention_bias', false)) {
    throw fieldError(r, 'attention_bias', 'false (biases on q/k/v/o are not supported)', true);
  }
  if (flag(r, 'mlp_bias', false)) throw fieldError(r, 'mlp_bias', 'false (MLP biases are not supported)', true);
  if (modelType === 'qwen2' && flag(r, 'use_sliding_window', false)) {
    throw fieldError(r, 'use_sliding_window', 'false (sliding-window attention is not supported)', true);
  }

  // Interpret (rope_parameters is the transformers v5 spelling of rope_theta + rope_scaling)
  const ropeParameters = isRecord(r.json['rope_parameters']) ? r.json['rope_parameters'] : undefined;
  const ropeTheta = positiveNumber(r, 'rope_theta', typeof ropeParameters?.['rope_theta'] === 'number' ? ropeParameters['rope_theta'] : 10000);
  const defaults = { llama: 2048, mistral: 131072, qwen2: 32768 } as const;
  const bos = { llama: 1, mistral: 1, qwen2: null } as const;
  const eos = { llama: 2, mistral: 2, qwen2: null } as const;
  return {
    family: 'llama',
    vocabSize: positiveInt(r, 'vocab_size'),
    hiddenSize,
    intermediateSize: positiveInt(r, 'intermediate_size'),
    numLayers: positiveInt(r, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    maxPositions: positiveInt(r, 'max_position_embeddings', defaults[modelType]),
    normEps: positiveNumber(r, 'rms_norm_eps', 1e-6),
    ropeTheta,
    ropeScaling: ropeScaling(r, r.json['rope_scaling'] ?? ropeParameters ?? null),
    attentionBias: modelType === 'qwen2',
    tieWordEmbeddings: flag(r, 'tie_word_embeddings', false),
    activation: 'silu',
    bosTokenId: tokenId(r, 'bos_token_id', bos[modelType]),
    eosTokenId: tokenId(r, 'eos_token_id', eos[modelType]),
  };
}

function ropeScaling(r: Reader, raw: unknown): RopeScaling | null {
  if (raw === null) return null;
  const key = r.json['rope_scaling'] !== undefined ? 'rope_scaling' : 'rope_parameters';
  if (!isRecord(raw)) throw fieldError(r, key, 'an object or null', raw);
  const kind = raw['rope_type'] ?? raw['type'] ?? 'default';
  if (kind === 'default') return null;
  const sub: Reader = { json: raw, file: r.file };
  const factor = positiveNumber(sub, 'factor', Number.NaN);
  if (kind === 'linear' || kind === 'dynamic') return { type: kind, factor };
  if (kind === 'llama3') {
    return {
      type: 'llama3',
      factor,
      lowFreqFactor: positiveNumber(sub, 'low_freq_factor', Number.NaN),
      highFreqFactor: positiveNumber(sub, 'high_freq_factor', Number.NaN),
      originalMaxPositions: positiveInt(sub, 'original_max_position_embeddings'),
    };
  }
  throw fieldError(r, `${key}.rope_type`, 'one of default, linear, dynamic, llama3', kind);
}

function gpt2(r: Reader): ModelConfig {
  const hiddenSize = positiveInt(r, 'n_embd');
  const numHeads = positiveInt(r, 'n_head');
  if (hiddenSize % numHeads !== 0) throw fieldError(r, 'n_head', `a divisor of n_embd (${hiddenSize})`, numHeads);
  const activationName = r.json['activation_function'] ?? 'gelu_new';
  // gelu_pytorch_tanh is the same tanh approximation as gelu_new, computed by a fused kernel.
  const activation =
    activationName === 'gelu_new' || activationName === 'gelu_pytorch_tanh' ? 'gelu_new'
    : activationName === 'gelu' ? 'gelu'
    : undefined;
  if (activation === undefined) {
    throw fieldError(r, 'activation_function', 'one of gelu_new, gelu_pytorch_tanh, gelu', activationName);
  }
  return {
    family: 'gpt2',
    vocabSize: positiveInt(r, 'vocab_size'),
    hiddenSize,
    intermediateSize: r.json['n_inner'] == null ? 4 * hiddenSize : positiveInt(r, 'n_inner'),
    numLayers: positiveInt(r, 'n_layer'),
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    maxPositions: positiveInt(r, 'n_positions', 1024),
    normEps: positiveNumber(r, 'layer_norm_epsilon', 1e-5),
    ropeTheta: 10000, // unused: GPT-2 has learned absolute positions
    ropeScaling: null,
    attentionBias: true,
    tieWordEmbeddings: flag(r, 'tie_word_embeddings', true),
    activation,
    bosTokenId: tokenId(r, 'bos_token_id', 50256),
    eosTokenId: tokenId(r, 'eos_token_id', 50256),
  };
}
