// A Llama model with seeded random weights written as a Hugging Face folder (config.json + model.safetensors),
// for tests that need shapes the committed models do not have.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { writeSafetensors, type SafetensorsTensor } from '../../lib/formats/index.js';
import { seededRandom } from './batches.js';

export interface RandomLlamaShape {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  /** Key/value heads (grouped-query attention when fewer than `heads`); default `heads`. */
  kvHeads?: number;
  vocab: number;
  positions: number;
}

/** Rewrites the values of one block projection weight (attention and MLP; `rows` of them), e.g. to round them. */
export type ProjectionValues = (values: Float32Array, rows: number) => Float32Array;

/**
 * Writes the model into `dir` (which must exist) and returns `dir`. Weights are uniform in ±scale; the blocks'
 * projection weights pass through `projections` when given.
 */
export async function writeRandomLlama(dir: string, shape: RandomLlamaShape, seed = 7, scale = 0.05, projections?: ProjectionValues): Promise<string> {
  const { hidden: h, intermediate: m, layers, heads, vocab, positions } = shape;
  const kvHeads = shape.kvHeads ?? heads;
  const hd = h / heads;
  const random = seededRandom(seed);
  const tensor = (name: string, dims: number[]): SafetensorsTensor => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * scale;
    return { name, dtype: 'f32', shape: dims, data };
  };
  const ones = (name: string): SafetensorsTensor => ({ name, dtype: 'f32', shape: [h], data: new Float32Array(h).fill(1) });
  const projection = (name: string, dims: number[]): SafetensorsTensor => {
    const t = tensor(name, dims);
    return projections ? { ...t, data: projections(t.data as Float32Array, dims[0]!) } : t;
  };
  const tensors = [tensor('model.embed_tokens.weight', [vocab, h]), ones('model.norm.weight')];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    tensors.push(ones(`${p}.input_layernorm.weight`), ones(`${p}.post_attention_layernorm.weight`));
    tensors.push(projection(`${p}.self_attn.q_proj.weight`, [heads * hd, h]), projection(`${p}.self_attn.k_proj.weight`, [kvHeads * hd, h]));
    tensors.push(projection(`${p}.self_attn.v_proj.weight`, [kvHeads * hd, h]), projection(`${p}.self_attn.o_proj.weight`, [h, heads * hd]));
    tensors.push(projection(`${p}.mlp.gate_proj.weight`, [m, h]), projection(`${p}.mlp.up_proj.weight`, [m, h]));
    tensors.push(projection(`${p}.mlp.down_proj.weight`, [h, m]));
  }
  await writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const config = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: vocab, hidden_size: h, intermediate_size: m,
    num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, head_dim: hd,
    max_position_embeddings: positions, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
    hidden_act: 'silu', bos_token_id: 1, eos_token_id: 2, torch_dtype: 'float32',
  };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
