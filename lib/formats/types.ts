/**
 * What a checkpoint parser hands to the native loader: where each tensor's bytes are, how they are
 * encoded, and what to do to them so that the result is laid out as the Hugging Face module expects.
 * Parsers (safetensors, GGUF, llama2.c) only read headers; the native side maps the bytes and converts.
 */

/** Encodings the native loader can read. Block formats follow ggml's layouts (32 values per block). */
export type StoredDType = 'f32' | 'f16' | 'bf16' | 'f64' | 'i32' | 'i64' | 'q8_0' | 'q4_0' | 'q4_1';

/**
 * A layout fix applied after decoding:
 * - `transpose`: a 2-D [in, out] matrix (GPT-2's Conv1D) becomes [out, in];
 * - `unpermuteRope`: rows stored with interleaved (even, odd) RoPE pairs, per head (llama2.c, GGUF
 *   LLaMA q/k), are reordered to Hugging Face's rotate-half layout; `heads` is the head count of
 *   this projection.
 */
export type TensorTransform =
  | { kind: 'transpose' }
  | { kind: 'unpermuteRope'; heads: number };

/** One tensor in a file, named by its Hugging Face state-dict key. */
export interface TensorSource {
  /** Hugging Face key, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  name: string;
  /** Absolute path of the file holding the bytes. */
  file: string;
  /** Byte offset of the first element in `file`. */
  offset: number;
  /** Number of bytes stored (for block formats: whole blocks). */
  byteLength: number;
  dtype: StoredDType;
  /** Logical shape after decoding, before `transform`, row-major, outermost first. */
  shape: number[];
  transform?: TensorTransform;
}

/** Architecture families the native model implements. */
export type ModelFamily = 'llama' | 'gpt2';

/** Hyper-parameters of a decoder-only transformer, normalised from any checkpoint format. */
export interface ModelConfig {
  family: ModelFamily;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  maxPositions: number;
  /** RMSNorm / LayerNorm epsilon. */
  normEps: number;
  ropeTheta: number;
  /** Hugging Face `rope_scaling` (linear, dynamic, llama3), or null. */
  ropeScaling: RopeScaling | null;
  /** q/k/v projections carry a bias (Qwen2). */
  attentionBias: boolean;
  /** The LM head shares the token embedding matrix. */
  tieWordEmbeddings: boolean;
  /** MLP activation: `silu` (SwiGLU) for llama, `gelu_new` (tanh approximation) for gpt2. */
  activation: 'silu' | 'gelu_new' | 'gelu';
  bosTokenId: number | null;
  eosTokenId: number | null;
}

export interface RopeScaling {
  type: 'linear' | 'dynamic' | 'llama3';
  factor: number;
  /** llama3 only. */
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositions?: number;
}

/** A parsed checkpoint: its config and every tensor's location. */
export interface Checkpoint {
  format: 'safetensors' | 'gguf' | 'llama2c';
  config: ModelConfig;
  tensors: TensorSource[];
  /** Tokenizer file found beside the weights, if any (tokenizer.json, tokenizer.bin, tok*.bin, or the GGUF itself). */
  tokenizerPath: string | null;
}
