/** The state one local fit shares with its hooks (FS-LLM's trainer `ctx`, typed). */
import type { Model, Precision, StepMetrics, TrainSession } from '../native/index.js';
import type { BatchSource, StepBatch } from './batchSource.js';

/**
 * Terms added to the loss inside the native step. Hooks declare them (e.g. FedProx at fitStart); they are
 * never per-op JS callbacks, so one optimizer step stays one native call.
 */
export interface LossTerms {
  /** Weight of the proximal term to the anchor set with TrainSession.setProximalAnchor. 0 = off. */
  proximalMu: number;
  /** `params`: (mu/2)·||θ − anchor||² on the LoRA tensors (FedProx); `merged`: mu·Σ||ΔW − ΔW_anchor||² (FedBiOT). */
  proximalMode: 'params' | 'merged';
}

export interface TrainerContext {
  readonly model: Model;
  readonly session: TrainSession;
  readonly data: BatchSource;
  /** Optimizer steps this fit will run (unless a hook sets `stop`). */
  readonly totalSteps: number;
  readonly precision: Precision;
  readonly maxGradNorm: number;
  readonly checkpointActivations: boolean;
  readonly signal: AbortSignal | undefined;
  /** Federated round (1-based) and client id, when the fit is a client's local update; 0 otherwise. */
  readonly round: number;
  readonly clientId: number;
  /** 0-based step within this fit, and the epoch counter of this fit. */
  step: number;
  epoch: number;
  /** Learning rate of the coming step (an LR hook sets it at batchStart). */
  lr: number;
  lossTerms: LossTerms;
  /** The coming step's micro-batches (set at batchStart). */
  batch: StepBatch | null;
  /** The last step's metrics (set at batchForward). */
  metrics: StepMetrics | null;
  /** Set by a hook to end the fit after the current step. */
  stop: boolean;
  /** What the fit did so far. */
  results: FitResults;
  /** Scratch space for user hooks. */
  readonly scratch: Record<string, unknown>;
}

export interface FitResults {
  steps: number;
  samples: number;
  targetTokens: number;
  /** Sum of per-step mean losses (divide by steps for the mean). */
  lossSum: number;
  ms: number;
  skippedSteps: number;
}
