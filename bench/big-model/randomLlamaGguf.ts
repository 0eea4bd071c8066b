/**
 * Writes a LLaMA-architecture GGUF of random Q4_0 weights of any shape (the big-model bench's 7B, since no
 * real 7B model can be fetched here), streamed tensor by tensor through a fixed buffer so the file is never
 * in memory, into a temporary file renamed when complete. A file of the same shape and seed is reused.
 *
 * It mirrors what lib/formats/ggufCheckpoint.ts reads: `general.architecture` llama and the `llama.*` keys
 * of the config (no tokenizer: the bench feeds token ids), llama.cpp's tensor names (`blk.N.attn_q.weight`,
 * `token_embd.weight`, `output.weight`, ...), dimensions innermost first, data offsets aligned to 32. GGUF
 * stores q/k rows in RoPE-interleaved order, which the loader undoes; random rows are as random either way,
 * so nothing is permuted here. Every matrix is Q4_0 (real LLaMA-2 Q4_0 files keep `output.weight` as Q6_K,
 * which fsllm cannot decode); the RMSNorm weights are F32 ones.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { GGML_Q4_0, Q4_0_BLOCK_BYTES, Q4_0_BLOCK_VALUES, randomQ4_0 } from './randomQ4_0.ts';
import { ggufHeaderBytes, GGUF_DEFAULT_ALIGNMENT, type GgufTensorEntry } from '../../lib/formats/writeGgufHeader.js';

/** The architecture of a random LLaMA model (multi-head attention: as many key/value heads as heads). */
export interface LlamaShape {
  layers: number;
  hidden: number;
  intermediate: number;
  heads: number;
  vocab: number;
  positions: number;
}

/** LLaMA-2-7B's shape (6.74e9 parameters, untied LM head). */
export const LLAMA2_7B: LlamaShape = { layers: 32, hidden: 4096, intermediate: 11008, heads: 32, vocab: 32000, positions: 4096 };

/**
 * Standard deviation of every random matrix: LLaMA's and GPT-2's init (0.02). Behind RMSNorm each projection
 * then sees unit-scale inputs, and the residual stream grows by about one unit a block, so activations stay
 * finite in fp32 and bf16 over 32 layers and the loss starts near ln(vocab) + 1.
 */
const WEIGHT_STD = 0.02;
const GGML_F32 = 0;
// 1 Mi blocks (18.9 MB) per write: large enough for sequential I/O, small beside the model.
const CHUNK_BYTES = (1 << 20) * Q4_0_BLOCK_BYTES;

/** The file written (or found), what it holds and what it cost. */
export interface RandomLlamaGguf {
  file: string;
  reused: boolean;
  /** File size, and disk blocks it occupies (`stat.blocks * 512`). */
  bytes: number;
  diskBytes: number;
  parameters: number;
  /** Wall time of the generation (0 when reused). */
  seconds: number;
}

interface PlannedTensor extends GgufTensorEntry {
  bytes: number;
}

function plan(shape: LlamaShape): PlannedTensor[] {
  const { hidden: d, intermediate: f, vocab } = shape;
  const matrix = (name: string, rows: number, cols: number) => ({ name, shape: [rows, cols], ggmlType: GGML_Q4_0, bytes: (rows * cols / Q4_0_BLOCK_VALUES) * Q4_0_BLOCK_BYTES });
  const norm = (name: string) => ({ name, shape: [d], ggmlType: GGML_F32, bytes: 4 * d });
  const list = [matrix('token_embd.weight', vocab, d)];
  for (let l = 0; l < shape.layers; l++) {
    const b = `blk.${l}`;
    list.push(norm(`${b}.attn_norm.weight`), matrix(`${b}.attn_q.weight`, d, d), matrix(`${b}.attn_k.weight`, d, d));
    list.push(matrix(`${b}.attn_v.weight`, d, d), matrix(`${b}.attn_output.weight`, d, d), norm(`${b}.ffn_norm.weight`));
    list.push(matrix(`${b}.ffn_gate.weight`, f, d), matrix(`${b}.ffn_up.weight`, f, d), matrix(`${b}.ffn_down.weight`, d, f));
  }
  list.push(norm('output_norm.weight'), matrix('output.weight', vocab, d));
  let offset = 0;
  return list.map((t) => {
    const placed = { ...t, offset };
    offset += Math.ceil(t.bytes / GGUF_DEFAULT_ALIGNMENT) * GGUF_DEFAULT_ALIGNMENT;
    return placed;
  });
}

function header(shape: LlamaShape, seed: number, tensors: readonly PlannedTensor[]): Buffer {
  const metadata: [string, string | number][] = [
    ['general.architecture', 'llama'],
    ['general.name', `random LLaMA ${shape.layers}x${shape.hidden} (fsllm-native big-model bench, seed ${seed})`],
    ['general.alignment', GGUF_DEFAULT_ALIGNMENT],
    ['llama.context_length', shape.positions],
    ['llama.embedding_length', shape.hidden],
    ['llama.block_count', shape.layers],
    ['llama.feed_forward_length', shape.intermediate],
    ['llama.rope.dimension_count', shape.hidden / shape.heads],
    ['llama.attention.head_count', shape.heads],
    ['llama.attention.head_count_kv', shape.heads],
    ['llama.attention.layer_norm_rms_epsilon', 1e-5],
    ['llama.rope.freq_base', 10000],
    ['llama.vocab_size', shape.vocab],
  ];
  return ggufHeaderBytes(metadata, tensors);
}

async function writeAll(handle: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += (await handle.write(bytes, done)).bytesWritten;
}

/** Streams the data section: Q4_0 matrices from one seeded stream, F32 ones for the norms, zero padding. */
async function writeData(handle: fs.FileHandle, tensors: readonly PlannedTensor[], seed: number): Promise<void> {
  const fill = randomQ4_0(seed, WEIGHT_STD);
  // Two buffers: the next chunk is generated while the previous one is being written.
  const buffers = [new Uint8Array(CHUNK_BYTES), new Uint8Array(CHUNK_BYTES)];
  let turn = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const emit = async (bytes: Uint8Array) => {
    await pending;
    pending = writeAll(handle, bytes);
  };
  for (const t of tensors) {
    if (t.ggmlType === GGML_F32) {
      await emit(new Uint8Array(new Float32Array(t.bytes / 4).fill(1).buffer));
    } else {
      for (let left = t.bytes; left > 0; left -= CHUNK_BYTES) {
        // This buffer's last write (two chunks ago) is done: emit() awaited it before starting the next.
        const buffer = buffers[turn++ % 2]!;
        fill(buffer);
        await emit(buffer.subarray(0, Math.min(left, CHUNK_BYTES)));
      }
    }
    const pad = (GGUF_DEFAULT_ALIGNMENT - (t.bytes % GGUF_DEFAULT_ALIGNMENT)) % GGUF_DEFAULT_ALIGNMENT;
    if (pad > 0) await emit(new Uint8Array(pad));
  }
  await pending;
}

/**
 * The random Q4_0 GGUF of `shape` and `seed` in `dir` (created if needed): reused when a complete one is
 * there, else generated. Progress goes to stderr.
 * @throws Error when the disk lacks room for the file (checked before writing), or on any I/O error (the
 *   temporary file is removed).
 */
export async function randomLlamaGguf(shape: LlamaShape, seed: number, dir: string): Promise<RandomLlamaGguf> {
  const tensors = plan(shape);
  const head = header(shape, seed, tensors);
  const last = tensors.at(-1)!;
  const bytes = head.length + last.offset + last.bytes;
  const parameters = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const name = `random-llama-L${shape.layers}-D${shape.hidden}-F${shape.intermediate}-H${shape.heads}-V${shape.vocab}-q4_0-seed${seed}.gguf`;
  const file = path.join(dir, name);
  const disk = async () => ((await fs.stat(file)).blocks ?? 0) * 512;
  // The rename below happens only after the last byte, so a file of the full size is a complete one.
  if ((await fs.stat(file).catch(() => null))?.size === bytes) return { file, reused: true, bytes, diskBytes: await disk(), parameters, seconds: 0 };

  await fs.mkdir(dir, { recursive: true });
  const free = await fs.statfs(dir);
  if (free.bavail * free.bsize < bytes) {
    throw new Error(`${dir}: ${(free.bavail * free.bsize / 2 ** 30).toFixed(1)} GiB free, but the random model needs ${(bytes / 2 ** 30).toFixed(1)} GiB`);
  }
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  console.error(`big-model: writing ${(bytes / 2 ** 30).toFixed(2)} GiB of random Q4_0 weights to ${file} ...`);
  const start = performance.now();
  const handle = await fs.open(temp, 'w');
  try {
    await writeAll(handle, head);
    await writeData(handle, tensors, seed);
    await handle.close();
    await fs.rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw error;
  }
  const seconds = (performance.now() - start) / 1000;
  return { file, reused: false, bytes, diskBytes: await disk(), parameters, seconds };
}
