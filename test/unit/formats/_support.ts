// Shared helpers of the lib/formats tests (no suites here).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { writeSafetensors } from '../../../lib/formats/index.js';
import type { SafetensorsTensor } from '../../../lib/formats/index.js';
import { FIXTURES as ALL_FIXTURES, STORIES_BIN } from '../../helpers/paths.js';

export const FIXTURES = path.join(ALL_FIXTURES, 'formats');
export const GOLDEN = path.join(ALL_FIXTURES, 'golden');
export const STORIES = STORIES_BIN;

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'fsllm-formats-'));
}

/** Deterministic small-valued f32 tensor of `shape`. */
export function f32(name: string, shape: number[], seed = 1): SafetensorsTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(seed * 7.1 + i * 0.37);
  return { name, dtype: 'f32', shape, data };
}

/** Writes `config.json` and either one `model.safetensors` or `shards` files plus an index. */
export async function writeHfFolder(
  dir: string,
  config: object,
  tensors: SafetensorsTensor[],
  shards = 1,
): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  if (shards === 1) {
    await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
    return;
  }
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-0000${s + 1}-of-0000${shards}.safetensors`;
    const part = tensors.filter((_, i) => i % shards === s);
    for (const t of part) weightMap[t.name] = file;
    await writeSafetensors(path.join(dir, file), part);
  }
  await fs.writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}

/** Tensors of a LLaMA-family model in HF naming, for `config` {hidden_size, intermediate_size, ...}. */
export function llamaTensors(c: { layers: number; dim: number; ffn: number; vocab: number; kvDim: number; bias?: boolean; tied?: boolean }): SafetensorsTensor[] {
  const t: SafetensorsTensor[] = [f32('model.embed_tokens.weight', [c.vocab, c.dim]), f32('model.norm.weight', [c.dim])];
  if (!c.tied) t.push(f32('lm_head.weight', [c.vocab, c.dim]));
  for (let i = 0; i < c.layers; i++) {
    const p = `model.layers.${i}`;
    t.push(f32(`${p}.input_layernorm.weight`, [c.dim]), f32(`${p}.post_attention_layernorm.weight`, [c.dim]));
    t.push(f32(`${p}.self_attn.q_proj.weight`, [c.dim, c.dim]), f32(`${p}.self_attn.k_proj.weight`, [c.kvDim, c.dim]));
    t.push(f32(`${p}.self_attn.v_proj.weight`, [c.kvDim, c.dim]), f32(`${p}.self_attn.o_proj.weight`, [c.dim, c.dim]));
    if (c.bias) {
      t.push(f32(`${p}.self_attn.q_proj.bias`, [c.dim]), f32(`${p}.self_attn.k_proj.bias`, [c.kvDim]), f32(`${p}.self_attn.v_proj.bias`, [c.kvDim]));
    }
    t.push(f32(`${p}.mlp.gate_proj.weight`, [c.ffn, c.dim]), f32(`${p}.mlp.up_proj.weight`, [c.ffn, c.dim]), f32(`${p}.mlp.down_proj.weight`, [c.dim, c.ffn]));
  }
  return t;
}
