/**
 * {@link ModelConfig} → Hugging Face `config.json`: the inverse of lib/formats/hfConfig.ts. Every field
 * that parser reads is written explicitly (no reliance on its defaults), so parsing the result gives the
 * same ModelConfig back.
 */
import { invalidArg } from '../errors/index.js';
import type { ModelConfig, RopeScaling } from './types.js';

function ropeScalingJson(scaling: RopeScaling | null): Record<string, unknown> | null {
  if (scaling === null) return null;
  if (scaling.type !== 'llama3') return { rope_type: scaling.type, factor: scaling.factor };
  return {
    rope_type: 'llama3',
    factor: scaling.factor,
    low_freq_factor: scaling.lowFreqFactor,
    high_freq_factor: scaling.highFreqFactor,
    original_max_position_embeddings: scaling.originalMaxPositions,
  };
}

/**
 * The `config.json` of a model with `config`'s hyper-parameters, weights stored as float32.
 * - llama family: `LlamaForCausalLM` (`model_type: llama`), or `Qwen2ForCausalLM` when the q/k/v
 *   projections carry a bias (the only LLaMA-style model with biases fsllm loads). A Mistral source is
 *   written as llama: the native model reads the same fields from both.
 * - gpt2: `GPT2LMHeadModel`.
 * @param config the normalised config (e.g. `openCheckpoint(path).config`), with any `numLayers`.
 * @throws `ERR_FSLLM_INVALID_ARG` for a family or activation there is no Hugging Face spelling of.
 * @example
 * const json = hfConfigFromModel({ ...ckpt.config, numLayers: 3 });
 * modelConfigFromHf(json, 'config.json'); // deep-equals { ...ckpt.config, numLayers: 3 }
 */
export function hfConfigFromModel(config: ModelConfig): Record<string, unknown> {
  const ids = { bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenId };
  if (config.family === 'gpt2') {
    if (config.activation === 'silu') throw invalidArg('config.activation', "'gelu_new' or 'gelu' for gpt2", config.activation);
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: config.vocabSize,
      n_embd: config.hiddenSize,
      n_head: config.numHeads,
      n_inner: config.intermediateSize,
      n_layer: config.numLayers,
      n_positions: config.maxPositions,
      layer_norm_epsilon: config.normEps,
      activation_function: config.activation,
      tie_word_embeddings: config.tieWordEmbeddings,
      ...ids,
      torch_dtype: 'float32',
    };
  }
  if (config.family !== 'llama') throw invalidArg('config.family', "'llama' or 'gpt2'", config.family);
  const qwen2 = config.attentionBias;
  return {
    architectures: [qwen2 ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: qwen2 ? 'qwen2' : 'llama',
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    max_position_embeddings: config.maxPositions,
    rms_norm_eps: config.normEps,
    rope_theta: config.ropeTheta,
    rope_scaling: ropeScalingJson(config.ropeScaling),
    hidden_act: 'silu',
    // LLaMA's attention_bias would also add an o_proj bias; Qwen2 has q/k/v biases without the flag.
    ...(qwen2 ? { use_sliding_window: false } : { attention_bias: false }),
    mlp_bias: false,
    tie_word_embeddings: config.tieWordEmbeddings,
    ...ids,
    torch_dtype: 'float32',
  };
}
