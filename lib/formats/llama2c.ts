/**
 * llama2.c `.bin` checkpoints (Karpathy's llama2.c `export.py`): the legacy version-0 file (a 7-int32
 * header, then fp32 arrays stacked over layers) and the version-1 file ("ak42" magic, 256-byte header,
 * another array order, no RoPE tables). Each layer's slice of a stacked array becomes one tensor source.
 * llama2.c applies RoPE to interleaved pairs, so wq/wk are marked for unpermuting to HF's layout.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { checkpointError } from './errors.js';
import { readRange } from './readRange.js';
import { checkRequiredTensors } from './requiredTensors.js';
import type { Checkpoint, ModelConfig, TensorSource, TensorTransform } from './types.js';

const MAGIC_AK42 = 0x616b3432; // "ak42" read as a little-endian u32 (version >= 1 files)
const V1_HEADER_BYTES = 256;

/** The 7 header integers, as `export.py` writes them. */
export interface Llama2cHeader {
  version: 0 | 1;
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

// One stored array: `rows` x `cols` per layer (or once when not per layer), an HF key, a transform.
interface ArraySpec {
  perLayer: boolean;
  shape: [number] | [number, number];
  name: string | null; // null: skipped (RoPE tables); `{i}` stands for the layer index
  transform?: TensorTransform;
}

/**
 * Reads a llama2.c checkpoint's header and lays out its tensors.
 * @param file the `.bin` file; a tokenizer `tok<vocab>.bin` or `tokenizer.bin` beside it is reported.
 * @throws `ERR_FSLLM_CHECKPOINT` for an implausible header, an unsupported version, or a file whose
 *   size differs from what the header implies (truncated, or not a llama2.c checkpoint).
 */
export async function readLlama2c(file: string): Promise<Checkpoint> {
  const absolute = path.resolve(file);
  let bytes: Uint8Array;
  let fileSize: number;
  try {
    const handle = await fs.open(absolute, 'r');
    try {
      fileSize = (await handle.stat()).size;
      bytes = await readRange(handle, 0, Math.min(fileSize, V1_HEADER_BYTES));
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw checkpointError(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, absolute, error);
  }
  const header = parseHeader(bytes, absolute);
  const config = llama2cConfig(header);
  const { headerBytes, arrays } = layout(header);

  // Check: the size must be exactly header + arrays.
  const floats = arrays.reduce((n, a) => n + (a.perLayer ? header.nLayers : 1) * a.shape.reduce((x, y) => x * y, 1), 0);
  const expected = headerBytes + 4 * floats;
  if (fileSize !== expected) {
    throw checkpointError(
      `header says ${floats} floats (${expected} bytes) but the file has ${fileSize} bytes; ` +
        'it is truncated or not a llama2.c checkpoint',
      absolute,
    );
  }

  const tensors: TensorSource[] = [];
  let offset = headerBytes;
  for (const array of arrays) {
    const byteLength = 4 * array.shape.reduce((x, y) => x * y, 1);
    for (let i = 0; i < (array.perLayer ? header.nLayers : 1); i++, offset += byteLength) {
      if (array.name === null) continue;
      const source: TensorSource = { name: array.name.replace('{i}', String(i)), file: absolute, offset, byteLength, dtype: 'f32', shape: [...array.shape] };
      if (array.transform) source.transform = array.transform;
      tensors.push(source);
    }
  }
  checkRequiredTensors(config, tensors, absolute);
  return { format: 'llama2c', config, tensors, tokenizerPath: await findTokenizer(absolute, config.vocabSize) };
}

function parseHeader(bytes: Uint8Array, file: string): Llama2cHeader {
  if (bytes.length < 28) throw checkpointError(`${bytes.length} bytes is too small for a llama2.c checkpoint`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const int = (i: number) => view.getInt32(4 * i, true);
  let version: 0 | 1 = 0;
  let first = 0; // index of `dim` among the int32s
  if (view.getUint32(0, true) === MAGIC_AK42) {
    const v = int(1);
    if (v !== 1) throw checkpointError(`llama2.c version ${v} is not supported (only 0 and 1, fp32); export with --version 1`, file);
    if (bytes.length < V1_HEADER_BYTES) throw checkpointError('the 256-byte llama2.c v1 header is truncated', file);
    version = 1;
    first = 2;
  }
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = Array.from({ length: 7 }, (_, i) => int(first + i)) as [number, number, number, number, number, number, number];
  const sharedClassifier = version === 1 ? view.getUint8(36) !== 0 : vocab > 0;
  const header: Llama2cHeader = { version, dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier };

  const plausible =
    [dim, hiddenDim, nLayers, nHeads, nKvHeads, header.vocabSize, seqLen].every((n) => n > 0 && n < 1 << 24) &&
    dim % nHeads === 0 && nHeads % nKvHeads === 0 && (dim / nHeads) % 2 === 0;
  if (!plausible) {
    throw checkpointError(
      `header (dim ${dim}, hidden_dim ${hiddenDim}, n_layers ${nLayers}, n_heads ${nHeads}, n_kv_heads ${nKvHeads}, ` +
        `vocab_size ${vocab}, seq_len ${seqLen}) is not a llama2.c model; the file is not a llama2.c checkpoint`,
      file,
    );
  }
  return header;
}

function llama2cConfig(h: Llama2cHeader): ModelConfig {
  return {
    family: 'llama',
    vocabSize: h.vocabSize,
    hiddenSize: h.dim,
    intermediateSize: h.hiddenDim,
    numLayers: h.nLayers,
    numHeads: h.nHeads,
    numKvHeads: h.nKvHeads,
    headDim: h.dim / h.nHeads,
    maxPositions: h.seqLen,
    normEps: 1e-5, // llama2.c model.py ModelArgs.norm_eps
    ropeTheta: 10000,
    ropeScaling: null,
    attentionBias: false,
    tieWordEmbeddings: h.sharedClassifier,
    activation: 'silu',
    bosTokenId: 1,
    eosTokenId: 2,
  };
}

// Arrays in file order. v0: export.py legacy_export; v1: version1_export.
function layout(h: Llama2cHeader): { headerBytes: number; arrays: ArraySpec[] } {
  const { dim: d, hiddenDim: f, vocabSize: v, seqLen } = h;
  const kv = (d / h.nHeads) * h.nKvHeads;
  const half = d / h.nHeads / 2;
  const layer = (name: string) => `model.layers.{i}.${name}`;
  const a = {
    tok: { perLayer: false, shape: [v, d], name: 'model.embed_tokens.weight' },
    rmsAtt: { perLayer: true, shape: [d], name: layer('input_layernorm.weight') },
    wq: { perLayer: true, shape: [d, d], name: layer('self_attn.q_proj.weight'), transform: { kind: 'unpermuteRope', heads: h.nHeads } },
    wk: { perLayer: true, shape: [kv, d], name: layer('self_attn.k_proj.weight'), transform: { kind: 'unpermuteRope', heads: h.nKvHeads } },
    wv: { perLayer: true, shape: [kv, d], name: layer('self_attn.v_proj.weight') },
    wo: { perLayer: true, shape: [d, d], name: layer('self_attn.o_proj.weight') },
    rmsFfn: { perLayer: true, shape: [d], name: layer('post_attention_layernorm.weight') },
    w1: { perLayer: true, shape: [f, d], name: layer('mlp.gate_proj.weight') },
    w2: { perLayer: true, shape: [d, f], name: layer('mlp.down_proj.weight') },
    w3: { perLayer: true, shape: [f, d], name: layer('mlp.up_proj.weight') },
    rmsFinal: { perLayer: false, shape: [d], name: 'model.norm.weight' },
    freqReal: { perLayer: false, shape: [seqLen, half], name: null },
    freqImag: { perLayer: false, shape: [seqLen, half], name: null },
    wcls: { perLayer: false, shape: [v, d], name: 'lm_head.weight' },
  } satisfies Record<string, ArraySpec>;
  const classifier = h.sharedClassifier ? [] : [a.wcls];
  if (h.version === 0) {
    return {
      headerBytes: 28,
      arrays: [a.tok, a.rmsAtt, a.wq, a.wk, a.wv, a.wo, a.rmsFfn, a.w1, a.w2, a.w3, a.rmsFinal, a.freqReal, a.freqImag, ...classifier],
    };
  }
  return {
    headerBytes: V1_HEADER_BYTES,
    arrays: [a.rmsAtt, a.rmsFfn, a.rmsFinal, a.tok, a.wq, a.wk, a.wv, a.wo, a.w1, a.w2, a.w3, ...classifier],
  };
}

async function findTokenizer(file: string, vocabSize: number): Promise<string | null> {
  for (const name of [`tok${vocabSize}.bin`, 'tokenizer.bin']) {
    const candidate = path.join(path.dirname(file), name);
    if (await fs.access(candidate).then(() => true, () => false)) return candidate;
  }
  return null;
}
