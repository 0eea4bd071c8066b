/**
 * Prompt-learning adapters' `adapter_config.json` in HF PEFT's form (PROMPT_TUNING, P_TUNING, PREFIX_TUNING),
 * both ways. PEFT records the model's shape beside the method (`token_dim`, `num_layers`, for a prefix on a
 * grouped-query model the kv width and kv heads), so reading one checks that it was made for this model.
 */
import { invalidArg } from '../errors/index.js';
import type { ModelConfig } from '../formats/types.js';
import type { NormalizedPrompt, PromptOptions } from './prompt.js';

const PEFT_TYPES = { prompt: 'PROMPT_TUNING', 'p-tuning': 'P_TUNING', prefix: 'PREFIX_TUNING' } as const;

/** PEFT's `token_dim` and `num_attention_heads` for `method` on `model` (a prefix is kv-wide, as PEFT makes it). */
function peftShape(method: PromptOptions['method'], model: ModelConfig): { tokenDim: number; heads: number } {
  return method === 'prefix' ? { tokenDim: model.numKvHeads * model.headDim, heads: model.numKvHeads } : { tokenDim: model.hiddenSize, heads: model.numHeads };
}

/**
 * The `adapter_config.json` PEFT writes for `o` on `model`, in inference mode (PEFT then uses the saved
 * `prompt_embeddings` as they are). A text or sampled start is recorded as RANDOM: the values are in the file,
 * and PEFT refuses TEXT without a tokenizer name to load.
 */
export function peftPromptConfig(o: NormalizedPrompt, model: ModelConfig, baseModel: string | null): Record<string, unknown> {
  const { tokenDim, heads } = peftShape(o.method, model);
  const common = {
    peft_type: PEFT_TYPES[o.method],
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    inference_mode: true,
    num_virtual_tokens: o.virtualTokens,
    token_dim: tokenDim,
    num_transformer_submodules: 1,
    num_attention_heads: heads,
    num_layers: model.numLayers,
    modules_to_save: null,
    revision: null,
  };
  const hidden = o.encoderHiddenSize > 0 ? o.encoderHiddenSize : tokenDim;
  if (o.method === 'prompt') return { ...common, prompt_tuning_init: 'RANDOM', prompt_tuning_init_text: null, tokenizer_name_or_path: null };
  if (o.method === 'p-tuning') {
    return { ...common, encoder_reparameterization_type: o.encoder.toUpperCase(), encoder_hidden_size: hidden, encoder_num_layers: o.encoderLayers, encoder_dropout: o.encoderDropout };
  }
  return { ...common, prefix_projection: o.encoder === 'projection', encoder_hidden_size: hidden, init_weights: null };
}

/** True when `cfg` (a parsed `adapter_config.json`) is one of PEFT's prompt-learning types. */
export function isPeftPromptConfig(cfg: Record<string, unknown>): boolean {
  return Object.values(PEFT_TYPES).includes(cfg.peft_type as never);
}

/**
 * Prompt options from a PEFT prompt-learning `adapter_config.json`, checked against `model`.
 * @throws `ERR_FSLLM_INVALID_ARG` naming `file` and the field that does not fit this model or this core.
 */
export function promptFromPeftConfig(cfg: Record<string, unknown>, file: string, model: ModelConfig): PromptOptions {
  const fail = (field: string, why: string) => invalidArg(`${file} ${field}`, why, cfg[field]);
  const method = (Object.entries(PEFT_TYPES).find(([, t]) => t === cfg.peft_type)?.[0]) as PromptOptions['method'] | undefined;
  if (!method) throw fail('peft_type', "'PROMPT_TUNING', 'P_TUNING' or 'PREFIX_TUNING'");
  if (cfg.task_type !== undefined && cfg.task_type !== 'CAUSAL_LM') throw fail('task_type', "'CAUSAL_LM' (the models here are decoder-only)");
  if ((cfg.num_transformer_submodules ?? 1) !== 1) throw fail('num_transformer_submodules', '1 (decoder-only models have one)');
  const integer = (field: string, why: string, fallback?: number): number => {
    const v = cfg[field] ?? fallback;
    if (!Number.isInteger(v) || (v as number) < 0) throw fail(field, why);
    return v as number;
  };
  const { tokenDim } = peftShape(method, model);
  if (integer('token_dim', `${tokenDim}, this model's width for ${method}`, tokenDim) !== tokenDim) {
    throw fail('token_dim', `${tokenDim} (this model's ${method === 'prefix' ? 'kv heads × head dim' : 'hidden size'}); the adapter was made for another model`);
  }
  if (integer('num_layers', `${model.numLayers}`, model.numLayers) !== model.numLayers) {
    throw fail('num_layers', `${model.numLayers} (this model's blocks); the adapter was made for another model`);
  }
  const virtualTokens = integer('num_virtual_tokens', 'a positive integer, e.g. 20');
  const encoderHiddenSize = cfg.encoder_hidden_size == null ? 0 : integer('encoder_hidden_size', 'a positive integer');
  if (method === 'prompt') return { method, virtualTokens };
  if (method === 'p-tuning') {
    const type = String(cfg.encoder_reparameterization_type ?? 'MLP').toUpperCase();
    if (type !== 'MLP' && type !== 'LSTM') throw fail('encoder_reparameterization_type', "'MLP' or 'LSTM'");
    const dropout = cfg.encoder_dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw fail('encoder_dropout', 'a number in [0, 1)');
    return { method, virtualTokens, encoder: type === 'LSTM' ? 'lstm' : 'mlp', encoderHiddenSize, encoderLayers: integer('encoder_num_layers', 'a positive integer', 2), encoderDropout: dropout };
  }
  return { method, virtualTokens, encoder: cfg.prefix_projection === true ? 'projection' : 'none', encoderHiddenSize };
}
