/**
 * LLaMA-7B message size of each method from shapes alone, next to FS-LLM Table 3 (LoRA 21.40 MB, P-tuning
 * 256.48 MB, prompt tuning 0.17 MB per client per round).
 *
 * Ours is the fp32 frame our clients send (lib/comm/codecFrame.ts, as bench/codecs measures it), encoded for
 * real up to {@link ENCODE_LIMIT} values; above it only the payload (4 bytes a value) is given: P-tuning's
 * LSTM and the projected prefix are 3-4 GB, which this shared machine should not hold twice, and the
 * projected prefix's 4.36 GB would not fit one Node 20 typed array (4 GiB at most) anyway.
 *
 * FS-LLM's figures fit one reading: FederatedScope sends each tensor as base64(pickle(tensor)), 16/3 bytes
 * per fp32 value, and Table 3 counts MiB. P-tuning (MLP, encoder_hidden_size 4096, 20 virtual tokens:
 * 50,425,856 values) comes to 256.48 MiB exactly; LoRA (4,194,304 values) to 21.33 MiB, 0.3% under 21.40,
 * the rest being a few hundred bytes of pickle per tensor over its 128 tensors. That reading is ours (the
 * paper states neither codec nor unit); `fsllmStyleMiB` applies it to every row.
 */
import { encodeAdapterWith } from '../../lib/comm/codecFrame.js';
import type { AdapterOptions } from '../../lib/index.js';
import { adapterShapes, LLAMA7B, valuesOf, type TensorShape } from './adapterShapes.ts';

/** Encode a real frame up to this many values (256 MB of fp32); above it report the payload only. */
const ENCODE_LIMIT = 64 * 2 ** 20;
const MiB = 2 ** 20;

export interface MessageRow {
  setting: string;
  values: number;
  /** Our fp32 frame as sent (null above ENCODE_LIMIT). */
  frameBytes: number | null;
  /** 4 bytes a value: the frame without its header and checksum. */
  payloadBytes: number;
  /** FederatedScope's base64(pickle) size in MiB, per-tensor pickle overhead left out. */
  fsllmStyleMiB: number;
  /** FS-LLM Table 3's figure for this method, where it gives one. */
  fsllmTable3MB?: number;
}

const ROWS: { setting: string; adapter: AdapterOptions; table3?: number }[] = [
  { setting: 'LoRA r 8, q_proj+v_proj', adapter: { method: 'lora', r: 8, targets: ['q_proj', 'v_proj'] }, table3: 21.40 },
  { setting: 'prompt tuning, 8 virtual tokens', adapter: { method: 'prompt', virtualTokens: 8 }, table3: 0.17 },
  { setting: 'prompt tuning, 10 virtual tokens', adapter: { method: 'prompt', virtualTokens: 10 }, table3: 0.17 },
  { setting: 'prompt tuning, 20 virtual tokens', adapter: { method: 'prompt', virtualTokens: 20 }, table3: 0.17 },
  { setting: 'P-tuning MLP, hidden 4096, 20 tokens', adapter: { method: 'p-tuning', virtualTokens: 20, encoder: 'mlp', encoderHiddenSize: 4096 }, table3: 256.48 },
  { setting: 'P-tuning LSTM (2 layers), hidden 4096, 20 tokens', adapter: { method: 'p-tuning', virtualTokens: 20, encoder: 'lstm', encoderHiddenSize: 4096 } },
  { setting: 'prefix, no projection, 20 tokens', adapter: { method: 'prefix', virtualTokens: 20, encoder: 'none' } },
  { setting: 'prefix + projection, hidden 4096, 20 tokens', adapter: { method: 'prefix', virtualTokens: 20, encoder: 'projection', encoderHiddenSize: 4096 } },
];

async function frameBytes(shapes: TensorShape[], values: number): Promise<number | null> {
  if (values > ENCODE_LIMIT) return null;
  let offset = 0;
  const manifest = shapes.map((t) => {
    const entry = { ...t, offset };
    offset += t.shape.reduce((a, b) => a * b, 1);
    return entry;
  });
  // fp32 bytes do not depend on the values; zeros keep the buffer cheap.
  return (await encodeAdapterWith({ data: new Float32Array(values), manifest }, { codec: 'fp32' })).frame.length;
}

/** One row per setting, encoded one after another (each big buffer is dropped before the next). */
export async function llama7bMessages(): Promise<MessageRow[]> {
  const rows: MessageRow[] = [];
  for (const { setting, adapter, table3 } of ROWS) {
    const shapes = adapterShapes(LLAMA7B, adapter);
    const values = valuesOf(shapes);
    rows.push({
      setting,
      values,
      frameBytes: await frameBytes(shapes, values),
      payloadBytes: 4 * values,
      fsllmStyleMiB: Number(((values * 4 * 4) / 3 / MiB).toFixed(2)),
      ...(table3 !== undefined ? { fsllmTable3MB: table3 } : {}),
    });
  }
  return rows;
}
