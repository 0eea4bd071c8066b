import { checkpointError } from './errors.js';
import type { ModelConfig, TensorSource } from './types.js';

/**
 * Hugging Face keys a checkpoint of `config` must provide (`lm_head.weight` only when untied).
 * Keys beyond these (e.g. an `lm_head.weight` kept beside tied embeddings) are allowed.
 */
export function requiredTensorNames(config: ModelConfig): string[] {
  const names: string[] = [];
  if (config.family === 'gpt2') {
    names.push('transformer.wte.weight', 'transformer.wpe.weight', 'transformer.ln_f.weight', 'transformer.ln_f.bias');
    for (let i = 0; i < config.numLayers; i++) {
      for (const part of ['ln_1', 'attn.c_attn', 'attn.c_proj', 'ln_2', 'mlp.c_fc', 'mlp.c_proj']) {
        names.push(`transformer.h.${i}.${part}.weight`, `transformer.h.${i}.${part}.bias`);
      }
    }
  } else {
    names.push('model.embed_tokens.weight', 'model.norm.weight');
    for (let i = 0; i < config.numLayers; i++) {
      const layer = `model.layers.${i}`;
      names.push(`${layer}.input_layernorm.weight`, `${layer}.post_attention_layernorm.weight`);
      for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) names.push(`${layer}.self_attn.${proj}.weight`);
      if (config.attentionBias) for (const proj of ['q_proj', 'k_proj', 'v_proj']) names.push(`${layer}.self_attn.${proj}.bias`);
      for (const proj of ['gate_proj', 'up_proj', 'down_proj']) names.push(`${layer}.mlp.${proj}.weight`);
    }
  }
  if (!config.tieWordEmbeddings) names.push('lm_head.weight');
  return names;
}

/**
 * Checks that `tensors` covers {@link requiredTensorNames} and has no duplicate name.
 * @throws `ERR_FSLLM_CHECKPOINT` listing (the first few) missing keys.
 */
export function checkRequiredTensors(config: ModelConfig, tensors: readonly TensorSource[], file: string): void {
  const present = new Set<string>();
  for (const t of tensors) {
    if (present.has(t.name)) throw checkpointError(`tensor ${t.name} appears twice`, file);
    present.add(t.name);
  }
  const missing = requiredTensorNames(config).filter((name) => !present.has(name));
  if (missing.length > 0) {
    const shown = missing.slice(0, 4).join(', ') + (missing.length > 4 ? `, and ${missing.length - 4} more` : '');
    throw checkpointError(`missing ${missing.length} tensor(s) the ${config.family} model needs: ${shown}`, file);
  }
}
