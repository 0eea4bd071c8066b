/**
 * The tensors (our manifest names and shapes, as `Model.exportAdapter` lists them) of a LoRA or prompt adapter
 * on a LLaMA-family model, from its dimensions alone, so the message of a 7B model can be sized without one.
 * The rules are PEFT's, which the library follows (csrc/peft/prompt_encoder.cpp): encoder widths default to
 * the token width; a prefix's token width is the key/value width (PEFT narrows it for grouped-query models).
 * `checkShapes` holds them against a loaded model so they cannot drift from the library.
 */
import type { AdapterOptions, Model } from '../../lib/index.js';

export interface Dims {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
}

export interface TensorShape {
  name: string;
  shape: number[];
}

/** LLaMA-7B (hidden 4096, 32 layers, 32 heads, 32 key/value heads; vocabulary 32000, which no adapter here touches). */
export const LLAMA7B: Dims = { hidden: 4096, layers: 32, heads: 32, kvHeads: 32 };

const linear = (name: string, out: number, inp: number): TensorShape[] => [
  { name: `${name}.weight`, shape: [out, inp] },
  { name: `${name}.bias`, shape: [out] },
];

function loraShapes(d: Dims, a: AdapterOptions): TensorShape[] {
  const kv = (d.hidden / d.heads) * d.kvHeads;
  const outOf: Record<string, number> = { q_proj: d.hidden, k_proj: kv, v_proj: kv, o_proj: d.hidden };
  const r = a.r ?? 8;
  const out: TensorShape[] = [];
  for (let l = 0; l < d.layers; l++) {
    for (const t of a.targets ?? ['q_proj', 'v_proj']) {
      const width = outOf[t];
      if (width === undefined) throw new Error(`adapterShapes: LoRA target ${t} is not sized here (attention projections only)`);
      const base = `base_model.model.model.layers.${l}.self_attn.${t}`;
      out.push({ name: `${base}.lora_A.weight`, shape: [r, d.hidden] }, { name: `${base}.lora_B.weight`, shape: [width, r] });
    }
  }
  return out;
}

// Bidirectional LSTM (torch's parameter order: per layer, forward then reverse; ih, hh, then biases) and
// P-tuning's MLP head over its 2H outputs.
function lstmShapes(token: number, hidden: number, layers: number): TensorShape[] {
  const out: TensorShape[] = [];
  for (let l = 0; l < layers; l++) {
    for (const dir of ['', '_reverse']) {
      out.push(
        { name: `prompt_encoder.lstm_head.weight_ih_l${l}${dir}`, shape: [4 * hidden, l === 0 ? token : 2 * hidden] },
        { name: `prompt_encoder.lstm_head.weight_hh_l${l}${dir}`, shape: [4 * hidden, hidden] },
        { name: `prompt_encoder.lstm_head.bias_ih_l${l}${dir}`, shape: [4 * hidden] },
        { name: `prompt_encoder.lstm_head.bias_hh_l${l}${dir}`, shape: [4 * hidden] },
      );
    }
  }
  return [...out, ...linear('prompt_encoder.mlp_head.0', 2 * hidden, 2 * hidden), ...linear('prompt_encoder.mlp_head.2', token, 2 * hidden)];
}

/** The adapter's tensors on a model of `d`, in manifest order. */
export function adapterShapes(d: Dims, a: AdapterOptions): TensorShape[] {
  if ((a.method ?? 'lora') === 'lora') return loraShapes(d, a);
  const V = a.virtualTokens ?? 20;
  const kvWidth = (d.hidden / d.heads) * d.kvHeads;
  const token = a.method === 'prefix' ? kvWidth : d.hidden;
  const H = a.encoderHiddenSize ?? token;
  const embedding = (width: number): TensorShape => ({ name: 'prompt_encoder.embedding.weight', shape: [V, width] });
  const prefixWidth = d.layers * 2 * kvWidth; // every layer's key and value rows
  switch (a.method) {
    case 'prompt':
      return [embedding(d.hidden)];
    case 'p-tuning':
      if (a.encoder === 'lstm') return [embedding(token), ...lstmShapes(token, H, a.encoderLayers ?? 2)];
      return [embedding(token), ...linear('prompt_encoder.mlp_head.0', H, token), ...linear('prompt_encoder.mlp_head.2', H, H), ...linear('prompt_encoder.mlp_head.4', token, H)];
    case 'prefix':
      if (a.encoder !== 'projection') return [embedding(prefixWidth)];
      return [embedding(token), ...linear('prompt_encoder.transform.0', H, token), ...linear('prompt_encoder.transform.2', prefixWidth, H)];
    default:
      throw new Error(`adapterShapes: unknown method ${String(a.method)}`);
  }
}

/** Values in a list of tensors. */
export const valuesOf = (shapes: TensorShape[]): number => shapes.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);

/**
 * Attaches each adapter to `model` (which must have none) and throws when its exported manifest differs from
 * {@link adapterShapes} on the model's dimensions. The model is left without an adapter.
 */
export async function checkShapes(model: Model, adapters: AdapterOptions[]): Promise<void> {
  const c = model.config;
  const dims: Dims = { hidden: c.hiddenSize, layers: c.numLayers, heads: c.numHeads, kvHeads: c.numKvHeads };
  for (const a of adapters) {
    const { method = 'lora', r, alpha, dropout, targets, rslora, layers, ...prompt } = a;
    if (method === 'lora') await model.attachLora({ r: r ?? 8, targets: targets ?? ['q_proj', 'v_proj'] });
    else await model.attachPrompt({ ...prompt, method });
    const got = (await model.exportAdapter()).manifest.map((e) => ({ name: e.name, shape: e.shape }));
    if (model.lora) await model.detachLora();
    else await model.detachPrompt();
    const want = adapterShapes(dims, a);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`adapterShapes disagrees with the library for ${JSON.stringify(a)}:\n  library ${JSON.stringify(got)}\n  here    ${JSON.stringify(want)}`);
    }
  }
}
