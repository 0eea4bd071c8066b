/**
 * Loads the native addon once (a prebuild or build/Release, resolved from the package root) and declares
 * its raw surface (the session's in rawSession.ts, data parallelism's in rawReplicaGroup.ts, the aggregation
 * kernels' options in rawAggregate.ts). Nothing else
 * imports the addon directly.
 */
import { createRequire } from 'node:module';
import { FsllmError, fsllmError } from '../errors/index.js';
import type { ModelConfig, TensorSource } from '../formats/types.js';
import { packageRoot } from './packageRoot.js';
import type { RawAggregateRule, RawServerOptimizerStep } from './rawAggregate.js';
import type { RawReplicaGroup, RawReplicaGroupOptions } from './rawReplicaGroup.js';
import type { RawLossScaleOptions, RawOptimizerOptions, RawTrainSession } from './rawSession.js';

/** Tokens of one micro-batch, row-major `[batch, seq]`; labels use -100 for ignored positions. */
export interface RawBatch {
  ids: Int32Array;
  labels?: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  attentionMask: Uint8Array;
  /**
   * Packed rows: each example in a row has its own id > 0 (0 = padding). Tokens attend only within their
   * example and positions restart at each example, so packing gives the same losses as padding.
   */
  segmentIds?: Int32Array;
  batch: number;
  seq: number;
}

export interface ManifestEntry {
  /** PEFT key, e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`. */
  name: string;
  shape: number[];
  /** Offset in elements into the flat buffer. */
  offset: number;
}

export interface RawLoraOptions {
  r: number;
  alpha: number;
  dropout?: number;
  rslora?: boolean;
  targets: string[];
  layers?: number[];
  seed?: number;
}

/** csrc/peft/prompt_config.h, as `normalizePrompt` leaves it plus the resolved start ids. */
export interface RawPromptOptions {
  method: 'prompt' | 'p-tuning' | 'prefix';
  virtualTokens: number;
  encoder: 'none' | 'mlp' | 'lstm' | 'projection';
  encoderHiddenSize: number;
  encoderLayers: number;
  encoderDropout: number;
  initIds?: number[];
  seed: number;
}

export type Precision = 'fp32' | 'bf16' | 'fp16';

export interface RawGenerateOptions {
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  eosIds?: number[];
  /** Rows per prompt, forked from the prompt's one prefill (default 1). */
  numReturnSequences?: number;
  /** One per prompt: row (p, s) is seeded by (seed, seedKeys[p], s); default (seed, p, s). */
  seedKeys?: number[];
  precision?: Precision;
}

/** Why a native generation row ended; 'stopped' = its stopGeneration(row) flag. */
export type RawFinishReason = 'eos' | 'length' | 'stopped' | 'aborted';

/** One decoding step: `rows[i]` took `tokens[i]`; then `finished` rows ended. Row r = prompt r / n, sample r % n. */
export interface RawGenerateStep {
  rows: Int32Array;
  tokens: Int32Array;
  finished: { row: number; reason: RawFinishReason }[];
}

/** A generated row, in row order. */
export interface RawGeneratedRow {
  prompt: number;
  sample: number;
  ids: Int32Array;
  reason: RawFinishReason;
}

export interface RawModel {
  readonly unexpectedKeys: string[];
  attachLora(options: RawLoraOptions): Promise<{ modules: string[]; manifest: ManifestEntry[] }>;
  detachLora(): Promise<void>;
  attachPrompt(options: RawPromptOptions): Promise<{ manifest: ManifestEntry[] }>;
  detachPrompt(): Promise<void>;
  promptEmbeddings(): Promise<{ data: Float32Array; shape: [number, number] }>;
  mergeLora(merge: boolean): Promise<void>;
  /** Unfreezes (or freezes) every non-LoRA parameter of the blocks `layers`; `parameters` = trainable count after. */
  setLayersTrainable(layers: number[], trainable: boolean): Promise<{ parameters: number }>;
  exportAdapter(): Promise<{ data: Float32Array; manifest: ManifestEntry[] }>;
  importAdapter(data: Float32Array): Promise<void>;
  importAdapterTensors(tensors: { name: string; shape: number[]; data: Float32Array }[]): Promise<void>;
  logits(batch: RawBatch, options?: { precision?: Precision }): Promise<Float32Array>;
  hiddenAt(batch: RawBatch, tap: number, options?: { precision?: Precision }): Promise<Float32Array>;
  /** Logits of `candidates` at each row's last real position: `[batch, candidates.length]`. */
  nextTokenLogits(batch: RawBatch, candidates: Int32Array, options?: { precision?: Precision }): Promise<Float32Array>;
  evalLoss(batches: RawBatch[], options?: { precision?: Precision }): Promise<{ lossSum: number; tokens: number }>;
  /** Decodes every prompt in one batch (left-padded); `onStep` is called after each step. */
  generate(prompts: Int32Array[], options: RawGenerateOptions, onStep?: (step: RawGenerateStep) => void): Promise<RawGeneratedRow[]>;
  /** Ends row `row` of the running generate(), or every row when `row` is omitted (abort). */
  stopGeneration(row?: number): void;
  info(): { numParameters: number; baseBytes: number; disposed: boolean; device?: string };
  dispose(): void;
}

export interface RuntimeInfo {
  torchVersion: string;
  /** Path of the BLAS library actually mapped into the process. */
  blas: string;
  cudaAvailable: boolean;
  threads: number;
}

/** One tensor's worth of codec work (lib/comm/codecOptions.ts gives each codec's byte layout). */
export interface RawCodecTask {
  codec: 'fp32' | 'fp16' | 'bf16' | 'int8' | 'int4';
  /** Values per scale for int8/int4 (even for int4); ignored by the others. */
  groupSize: number;
  values: Float32Array;
  /** Exactly `codecBytes(codec, values.length, groupSize)` bytes. */
  bytes: Uint8Array;
  /** Encode only: error-feedback residual, added before quantising and overwritten with the new residual. */
  residual?: Float32Array;
}

/** Counters of the native caching CPU allocator, in bytes and blocks. */
export interface CpuCacheStats {
  cachedBytes: number;
  liveBytes: number;
  limitBytes: number;
  hits: number;
  misses: number;
}

/**
 * @internal One causal attention on given tensors (csrc/bindings/kernel_probe.h). Layouts: q (B, H, T, Hd),
 * k and v (B, Hkv, T, Hd), bias (B, 1, T, T), additive and causal; grad and out (B, T, H * Hd).
 */
export interface RawAttentionProbe {
  /** 'kernel': csrc/kernels/small_head_attention; 'reference': softmax(q kᵀ / √Hd + bias) v by libtorch ops. */
  path: 'kernel' | 'reference';
  batch: number;
  heads: number;
  kvHeads: number;
  seq: number;
  headDim: number;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  bias: Float32Array;
  /** d(loss)/d(out): when given, the backward pass runs and the input gradients come back. */
  grad?: Float32Array;
}

/** @internal */
export interface RawAttentionProbeResult {
  out: Float32Array;
  dq?: Float32Array;
  dk?: Float32Array;
  dv?: Float32Array;
}

/** The addon's exports, exactly (a test compares this list with Object.keys of the addon). */
export interface NativeBinding {
  Model: unknown;
  TrainSession: unknown;
  ReplicaGroup: unknown;
  initialize(options: { FsllmError: typeof FsllmError }): void;
  /** `device`: 'cpu' (default), 'cuda' or 'cuda:N'; checked natively against this libtorch build. */
  loadModel(config: ModelConfig, tensors: TensorSource[], options?: { device?: string; baseDtype?: string }): Promise<RawModel>;
  createSession(
    model: RawModel,
    options: { optimizer?: RawOptimizerOptions; lossScale?: RawLossScaleOptions; layers?: number[] },
  ): Promise<RawTrainSession>;
  readTensors(tensors: TensorSource[]): Promise<Record<string, Float32Array>>;
  /** Rank 0 starts the rendezvous store here (its port is then set); then every rank awaits connect(). */
  openReplicaGroup(options: RawReplicaGroupOptions): RawReplicaGroup;
  setNumThreads(threads: number): number;
  runtimeInfo(): RuntimeInfo;
  /** fp32 (m,k)@(k,n) timed over `iterations` on the executor thread (benchmarks). */
  gemmRate(m: number, k: number, n: number, iterations: number): Promise<{ gflops: number; ms: number }>;
  /**
   * The caching CPU allocator's counters (blocks of 256 KiB and more are kept for reuse between steps). A
   * number first sets the cache limit in bytes; 0 frees every cached block and turns caching off.
   */
  cpuCache(limitBytes?: number): CpuCacheStats;
  /** Seeds libtorch's default CPU (and CUDA) generators on the executor thread. */
  manualSeed(seed: number): Promise<void>;
  /** Encodes each task's `values` (+ `residual`) into its `bytes` on the executor thread; buffers must not change until it settles. */
  codecEncode(tasks: RawCodecTask[]): Promise<void>;
  /** Decodes each task's `bytes` into its `values` on the executor thread. */
  codecDecode(tasks: RawCodecTask[]): Promise<void>;
  /** Encoded size in bytes of `count` values under `codec`. */
  codecBytes(codec: RawCodecTask['codec'], count: number, groupSize: number): number;
  /** sum += weight · update (fp64 accumulator) on the executor thread. */
  aggregateAccumulate(sum: Float64Array, update: Float32Array, weight: number): Promise<void>;
  /** out = sum / total on the executor thread. */
  aggregateFinishMean(sum: Float64Array, total: number, out: Float32Array): Promise<void>;
  /** One aggregation rule over the updates into `out`; Krum resolves with every score and the picked indices. */
  aggregateRule(options: RawAggregateRule): Promise<{ scores?: number[]; selected?: number[] }>;
  /** Clips each update's delta from `global` to L2 norm ≤ bound, in place; resolves with the norms before. */
  aggregateNormBound(options: { updates: Float32Array[]; global: Float32Array; bound: number }): Promise<number[]>;
  /** One server-optimiser step, updating global, m and v in place. */
  serverOptimizerStep(options: RawServerOptimizerStep): Promise<void>;
  /** @internal Runs the small-head causal attention kernel or the libtorch formula it replaces (tests). */
  attentionProbe(options: RawAttentionProbe): Promise<RawAttentionProbeResult>;
}

/** Names of every NativeBinding member, for the surface test. */
export const NATIVE_BINDING_KEYS: readonly (keyof NativeBinding)[] = [
  'Model',
  'TrainSession',
  'ReplicaGroup',
  'initialize',
  'loadModel',
  'createSession',
  'readTensors',
  'openReplicaGroup',
  'setNumThreads',
  'runtimeInfo',
  'gemmRate',
  'cpuCache',
  'manualSeed',
  'codecEncode',
  'codecDecode',
  'codecBytes',
  'aggregateAccumulate',
  'aggregateFinishMean',
  'aggregateRule',
  'aggregateNormBound',
  'serverOptimizerStep',
  'attentionProbe',
];

let cached: NativeBinding | undefined;

/**
 * The loaded addon. Throws `ERR_FSLLM_LOAD` listing where it looked and the likely causes.
 * `FSLLM_NATIVE_PREBUILD` may name another folder to load from.
 */
export function binding(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const root = process.env.FSLLM_NATIVE_PREBUILD ?? packageRoot;
  // libtorch's OpenMP threads spin after each parallel region while OpenBLAS's own threads run the
  // matmuls: on few cores they fight, and a LoRA step ran 2.2x slower (bench lora-step). libgomp reads
  // this when it is loaded, i.e. with the addon just below; a value the user set wins.
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
    process.env.OMP_WAIT_POLICY = 'PASSIVE';
  }
  // OpenBLAS's workers likewise spin (yielding) for 2^28 cycles after each product before they sleep. A small
  // model's step is hundreds of short products between our own kernels, so they spun through the whole step:
  // on this 2-core machine, shared with other jobs, the demo spent 13-29 s of its 76-106 s of CPU in their
  // sched_yield. 2^4 cycles (the least OpenBLAS takes) lets them sleep at once; a large model's products take
  // milliseconds, next to which waking them again costs nothing.
  if (process.env.OPENBLAS_THREAD_TIMEOUT === undefined && process.env.GOTO_THREAD_TIMEOUT === undefined) {
    process.env.OPENBLAS_THREAD_TIMEOUT = '4';
  }
  try {
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    cached = nodeGypBuild(root);
  } catch (cause) {
    throw fsllmError(
      'ERR_FSLLM_LOAD',
      `Could not load the fsllm-native addon from ${root} (prebuilds/${process.platform}-${process.arch}/ or build/Release/).\n` +
        'Likely causes: the addon was not built (run `npm run build:native`); libtorch was removed or moved since the build ' +
        '(rebuild, or set LD_LIBRARY_PATH to its lib folder); a CUDA libtorch without a matching driver.\n' +
        `Loader said: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  cached.initialize({ FsllmError });
  return cached;
}
