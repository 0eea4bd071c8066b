/**
 * LLaMA-architecture GGUF → {@link Checkpoint}: config from `llama.*` metadata, llama.cpp tensor names
 * mapped to Hugging Face keys, and q/k marked for RoPE unpermuting (llama.cpp's converter permutes
 * HF's rotate-half rows into interleaved pairs; `convert_hf_to_gguf.py` `LlamaModel.permute`).
 */
import path from 'node:path';

import { checkpointError } from './errors.js';
import { GGML_TYPE_NAMES, readGguf, type GgufFile, type GgufTensorInfo } from './gguf.js';
import { checkRequiredTensors } from './requiredTensors.js';
import type { Checkpoint, ModelConfig, RopeScaling, TensorSource } from './types.js';

/** `general.architecture` values fsllm maps. */
export const SUPPORTED_GGUF_ARCHITECTURES = ['llama'] as const;

const GLOBAL_NAMES: Readonly<Record<string, string>> = {
  'token_embd.weight': 'model.embed_tokens.weight',
  'output_norm.weight': 'model.norm.weight',
  'output.weight': 'lm_head.weight',
};

const BLOCK_NAMES: Readonly<Record<string, string>> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

const DECODABLE_NAMES = [0, 1, 30, 8, 2, 3].map((id) => GGML_TYPE_NAMES[id]).join(', ');

/**
 * Reads a GGUF file and maps it to a checkpoint.
 * @throws `ERR_FSLLM_CHECKPOINT` as {@link readGguf} and {@link ggufToCheckpoint}.
 */
export async function readGgufCheckpoint(file: string): Promise<Checkpoint> {
  return ggufToCheckpoint(await readGguf(path.resolve(file)));
}

/**
 * Maps a parsed LLaMA GGUF to a checkpoint in Hugging Face naming and layout.
 * @throws `ERR_FSLLM_CHECKPOINT` for another architecture (the message lists the supported ones), a
 *   missing or invalid `llama.*` key, a tensor type fsllm cannot decode (naming the type), an unknown
 *   tensor name, or missing tensors.
 */
export function ggufToCheckpoint(gguf: GgufFile): Checkpoint {
  const arch = gguf.metadata.get('general.architecture');
  if (arch !== 'llama') {
    throw checkpointError(
      `general.architecture is ${JSON.stringify(arch)}, which fsllm does not support; supported: ${SUPPORTED_GGUF_ARCHITECTURES.join(', ')}`,
      gguf.file,
    );
  }
  const config = ggufLlamaConfig(gguf);
  const tensors = gguf.tensors.map((info) => tensorSource(info, config, gguf.file));
  checkRequiredTensors(config, tensors, gguf.file);
  return {
    format: 'gguf',
    config,
    tensors,
    tokenizerPath: gguf.metadata.has('tokenizer.ggml.tokens') ? gguf.file : null,
  };
}

function tensorSource(info: GgufTensorInfo, config: ModelConfig, file: string): TensorSource {
  if (info.name === 'rope_freqs.weight') {
    throw checkpointError('rope_freqs.weight (Llama 3.1-style RoPE frequency factors) is not supported; load the Hugging Face folder instead', file);
  }
  const block = /^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$/.exec(info.name);
  const blockName = block ? BLOCK_NAMES[block[2] ?? ''] : undefined;
  const name = block && blockName ? `model.layers.${block[1]}.${blockName}.${block[3]}` : GLOBAL_NAMES[info.name];
  if (name === undefined) throw checkpointError(`tensor ${info.name} has no LLaMA counterpart fsllm knows`, file);
  if (info.dtype === null || info.byteLength === null) {
    throw checkpointError(
      `tensor ${info.name} is stored as ${info.typeName}, which fsllm cannot decode; supported: ${DECODABLE_NAMES} ` +
        '(re-quantise the model to one of them, e.g. Q8_0)',
      file,
    );
  }
  const source: TensorSource = { name, file, offset: info.offset, byteLength: info.byteLength, dtype: info.dtype, shape: info.shape };
  const heads = block?.[2] === 'attn_q' ? config.numHeads : block?.[2] === 'attn_k' ? config.numKvHeads : 0;
  if (heads > 0) {
    if ((info.shape[0] ?? 0) % (2 * heads) !== 0) {
      throw checkpointError(`tensor ${info.name} has ${info.shape[0]} rows, not ${heads} heads of even size`, file);
    }
    source.transform = { kind: 'unpermuteRope', heads };
  }
  return source;
}

// --- config

function metaNumber(gguf: GgufFile, key: string, fallback?: number): number {
  const value = gguf.metadata.get(key) ?? fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    const got = gguf.metadata.has(key) ? `got ${String(gguf.metadata.get(key))}` : 'it is missing';
    throw checkpointError(`metadata ${key} must be a positive number; ${got}`, gguf.file);
  }
  return value;
}

function metaInt(gguf: GgufFile, key: string, fallback?: number): number {
  const value = metaNumber(gguf, key, fallback);
  if (!Number.isSafeInteger(value)) throw checkpointError(`metadata ${key} must be an integer; got ${value}`, gguf.file);
  return value;
}

function metaTokenId(gguf: GgufFile, key: string): number | null {
  const value = gguf.metadata.get(key);
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function ggufLlamaConfig(gguf: GgufFile): ModelConfig {
  const hiddenSize = metaInt(gguf, 'llama.embedding_length');
  const numHeads = metaInt(gguf, 'llama.attention.head_count');
  const numKvHeads = metaInt(gguf, 'llama.attention.head_count_kv', numHeads);
  const headDim = metaInt(gguf, 'llama.attention.key_length', hiddenSize / numHeads);
  const rotary = gguf.metadata.get('llama.rope.dimension_count');
  if (rotary !== undefined && rotary !== headDim) {
    throw checkpointError(`llama.rope.dimension_count (${String(rotary)}) differs from the head size (${headDim}); partial RoPE is not supported`, gguf.file);
  }
  const tokens = gguf.metadata.get('tokenizer.ggml.tokens');
  const embedding = gguf.tensors.find((t) => t.name === 'token_embd.weight');
  const vocabFallback = Array.isArray(tokens) ? tokens.length : embedding?.shape[0];
  return {
    family: 'llama',
    vocabSize: metaInt(gguf, 'llama.vocab_size', vocabFallback),
    hiddenSize,
    intermediateSize: metaInt(gguf, 'llama.feed_forward_length'),
    numLayers: metaInt(gguf, 'llama.block_count'),
    numHeads,
    numKvHeads,
    headDim,
    maxPositions: metaInt(gguf, 'llama.context_length'),
    normEps: metaNumber(gguf, 'llama.attention.layer_norm_rms_epsilon', 1e-5),
    ropeTheta: metaNumber(gguf, 'llama.rope.freq_base', 10000),
    ropeScaling: ggufRopeScaling(gguf),
    attentionBias: false,
    tieWordEmbeddings: !gguf.tensors.some((t) => t.name === 'output.weight'),
    activation: 'silu',
    bosTokenId: metaTokenId(gguf, 'tokenizer.ggml.bos_token_id'),
    eosTokenId: metaTokenId(gguf, 'tokenizer.ggml.eos_token_id'),
  };
}

function ggufRopeScaling(gguf: GgufFile): RopeScaling | null {
  const kind = gguf.metadata.get('llama.rope.scaling.type');
  const legacyLinear = gguf.metadata.get('llama.rope.scale_linear');
  if (kind === undefined || kind === 'none') {
    return typeof legacyLinear === 'number' && legacyLinear !== 1 ? { type: 'linear', factor: legacyLinear } : null;
  }
  if (kind === 'linear') return { type: 'linear', factor: metaNumber(gguf, 'llama.rope.scaling.factor') };
  throw checkpointError(`llama.rope.scaling.type ${JSON.stringify(kind)} is not supported; supported: none, linear`, gguf.file);
}
