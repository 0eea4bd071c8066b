/** The addon's TrainSession surface as TypeScript sees it: step and alignment options and metrics, optimizer and loss-scale settings. */
import type { Precision, RawBatch, RawModel } from './binding.js';
import type { RawReplicaGroup, ReplicaTraffic } from './rawReplicaGroup.js';

export interface RawStepOptions {
  lr: number;
  maxGradNorm?: number;
  precision?: Precision;
  /** FedProx mu / FedBiOT lambda (>= 0, default 0); > 0 needs `setProximalAnchor` first. */
  proximalMu?: number;
  /** `'params'` (default): (mu/2)·‖θ − θ0‖² on the LoRA tensors; `'merged'`: mu·Σ‖s·(BA − B0A0)‖² (no ½). */
  proximalMode?: 'params' | 'merged';
  /** Recompute each block in backward instead of keeping its activations (default false). */
  checkpointActivations?: boolean;
}

export interface RawStepMetrics {
  loss: number;
  targetTokens: number;
  inputTokens: number;
  /** Global gradient norm before clipping, after unscaling; includes the proximal gradient. */
  gradNorm: number;
  /** The proximal term of `proximalMode` at the step's start (0 when `proximalMu` is 0); not part of `loss`. */
  proximal: number;
  lossScale: number;
  skipped: boolean;
  ms: number;
  microLosses: number[];
  /** Data-parallel steps (a ReplicaGroup given): bytes rank 0 moved for this step. */
  replicaTraffic?: ReplicaTraffic;
}

export interface RawAlignOptions {
  lr: number;
  maxGradNorm: number;
  precision: Precision;
  studentTap: number;
  teacherTap: number;
  reprWeight: number;
  klWeight: number;
  lmWeight: number;
}

/** Metrics of one alignment (distillation) step; see `TrainSession.alignStep`. */
export interface RawAlignMetrics {
  /** `reprWeight·repr + klWeight·kl + lmWeight·lm` (terms with weight 0 left out). */
  loss: number;
  /** Teacher-RMS-normalised mean squared gap of the tapped hidden states, averaged over real tokens. */
  repr: number;
  /** Mean token KL(teacher ‖ student) over real tokens; NaN when `klWeight` is 0 (not computed). */
  kl: number;
  /** The student's mean cross-entropy over target tokens; NaN when `lmWeight` is 0 (not computed). */
  lm: number;
  /** Real (non-padding) tokens of the step. */
  tokens: number;
  /** Global gradient norm before clipping, after unscaling. */
  gradNorm: number;
  lossScale: number;
  /** True when an fp16 overflow skipped the update. */
  skipped: boolean;
  ms: number;
}

export interface RawOptimizerOptions {
  type?: 'adamw' | 'sgd';
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

export interface RawLossScaleOptions {
  enabled?: boolean;
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
}

export interface RawTrainSession {
  trainStep(batches: RawBatch[], options: RawStepOptions, group?: RawReplicaGroup): Promise<RawStepMetrics>;
  /** A rank other than 0: runs rank 0's steps until it stops them; abort() ends the wait between steps. */
  serveReplicas(group: RawReplicaGroup): Promise<void>;
  alignStep(teacher: RawModel, batches: RawBatch[], options: RawAlignOptions): Promise<RawAlignMetrics>;
  abort(): void;
  exportOptimizerState(): Promise<Float32Array>;
  importOptimizerState(state: Float32Array): Promise<void>;
  resetOptimizer(): Promise<void>;
  /** Copies `anchor` (the layout of `exportAdapter().data`) for the proximal term; null clears it. */
  setProximalAnchor(anchor: Float32Array | null): Promise<void>;
  dispose(): void;
}
