/**
 * Optimizer and loss-scaler state for a Model's trainable parameters. `trainStep` is one native call per
 * optimizer step: the micro-batch loop, accumulation, clipping and the update all run off the JS thread.
 */
import { binding, type Precision, type RawBatch } from './binding.js';
import type { RawOptimizerOptions, RawStepMetrics, RawTrainSession } from './rawSession.js';
import { disposedCheck } from './disposed.js';
import { callNative } from './callNative.js';
import type { Model } from './Model.js';
import { lockOrder, toRawAlignOptions, type AlignMetrics, type AlignStepOptions } from './alignStep.js';
import type { ReplicaGroup } from './ReplicaGroup.js';
import { fsllmError, invalidArg, type FsllmError } from '../errors/index.js';

/** AdamW (betas, eps, decoupled weight decay, default 0.01) or SGD (momentum, dampening, Nesterov, L2). */
export type OptimizerOptions = RawOptimizerOptions;

export interface TrainSessionOptions {
  optimizer?: OptimizerOptions;
  /**
   * Dynamic loss scaling (needed for fp16; a no-op in value for fp32/bf16): `true` for the defaults
   * (2^16, x2 every 2000 good steps, x0.5 on overflow) or the settings.
   */
  lossScale?: boolean | { initScale?: number; growthFactor?: number; backoffFactor?: number; growthInterval?: number };
  /**
   * Train only the LoRA tensors of these layer indices (e.g. an offsite-tuning adapter or emulator). During
   * this session's steps every other LoRA tensor of the model is frozen (no gradient is computed for it) and
   * restored afterwards, so several sessions can share one model. Absent: every trainable tensor.
   */
  layers?: number[];
}

export interface StepOptions {
  /** Learning rate of this step (schedules are computed by the caller). */
  lr: number;
  /** Clip the global gradient norm to this (0 or absent: no clipping). */
  maxGradNorm?: number;
  precision?: Precision;
  /**
   * FedProx proximal coefficient mu (>= 0, default 0). When > 0, `mu·(w − anchor)` is added to the
   * gradients after unscaling and before clipping, and the metrics report the term as `proximal`
   * (`loss` stays the plain cross-entropy). Needs {@link TrainSession.setProximalAnchor} first.
   */
  proximalMu?: number;
  /**
   * What `proximalMu` regularises. `'params'` (default): FedProx `(mu/2)·‖θ − θ0‖²` on the LoRA tensors, as
   * above. `'merged'`: FedBiOT's `mu·Σ_modules ‖W − W0‖²` (no ½) on the merged weights, i.e.
   * `mu·‖scaling·(B·A − B0·A0)‖²` per LoRA module of this session, added to the loss once per step through
   * autograd (scaled like the loss, so micro-batching and fp16 loss scaling do not change it); `A0, B0` come
   * from the anchor. `proximal` reports the term; `loss` stays the cross-entropy.
   */
  proximalMode?: 'params' | 'merged';
  /**
   * Activation checkpointing (default false): each block keeps only its input during the forward pass and
   * runs again in backward, with the same dropout masks, so the gradients are unchanged. Activation memory
   * falls to about one block's; the step costs one more forward pass.
   */
  checkpointActivations?: boolean;
  /** Aborts between micro-batches with `ERR_FSLLM_ABORTED`; the weights are then unchanged. */
  signal?: AbortSignal;
}

export type StepMetrics = RawStepMetrics;

/**
 * Where a session's data-parallel steps run (see {@link TrainSession.useReplicas}): rank 0's connected group,
 * and what to do when a step breaks it. lib/parallel/ReplicaTeam.ts is the one that starts rank processes.
 */
export interface ReplicaProvider {
  /** Rank 0's connected group, starting (or restarting) the other ranks when needed. */
  group(): Promise<ReplicaGroup>;
  /** A step failed after the ranks joined it (a rank left, timed out, or the step aborted): the group is spent. */
  lost(error: FsllmError): Promise<void>;
}

export class TrainSession {
  readonly #native: RawTrainSession;
  readonly #model: Model;
  #disposed = false;
  #replicas: ReplicaProvider | null = null;

  private constructor(native: RawTrainSession, model: Model) {
    this.#native = native;
    this.#model = model;
  }

  /**
   * Binds a new optimizer to `model`'s trainable parameters (attach an adapter or unfreeze layers first), or with `layers` to
   * those of the listed layers.
   * @throws `ERR_FSLLM_INVALID_ARG` naming `layers` for an empty list, an index outside [0, numLayers) or
   * layers without LoRA.
   * @example const adapter = await TrainSession.create(model, { optimizer: { type: 'sgd' }, layers: [3, 4] });
   */
  static async create(model: Model, options: TrainSessionOptions = {}): Promise<TrainSession> {
    const opt = options.optimizer ?? {};
    if (opt.type !== undefined && opt.type !== 'adamw' && opt.type !== 'sgd') throw invalidArg('optimizer.type', "'adamw' or 'sgd'", opt.type);
    const ls = options.lossScale;
    const lossScale = ls === true ? { enabled: true } : typeof ls === 'object' && ls !== null ? { enabled: true, ...ls } : { enabled: false };
    const { layers } = options;
    const numLayers = model.config.numLayers;
    if (layers !== undefined && (!Array.isArray(layers) || layers.length === 0 || !layers.every((l) => Number.isInteger(l) && l >= 0 && l < numLayers))) {
      throw invalidArg('layers', `a non-empty array of layer indices in [0, ${numLayers})`, layers);
    }
    const raw = model.native;
    const native = await model.lock.run(() =>
      callNative(() => binding().createSession(raw, { optimizer: opt, lossScale, ...(layers ? { layers: [...layers] } : {}) })),
    );
    const session = new TrainSession(native, model);
    model.sessionOpened();
    return session;
  }

  /**
   * One optimizer step over `batches` (micro-batches, accumulated). The loss is averaged over all target
   * tokens of the step. Input buffers must not be modified until the promise settles.
   * @throws `ERR_FSLLM_ABORTED` when `signal` fires, `ERR_FSLLM_INVALID_ARG` for out-of-vocabulary ids, or
   * for `proximalMu > 0` without an anchor.
   */
  async trainStep(batches: RawBatch | RawBatch[], options: StepOptions): Promise<StepMetrics> {
    disposedCheck(this.#disposed, 'TrainSession');
    if (!options || typeof options.lr !== 'number' || !(options.lr >= 0)) throw invalidArg('step.lr', 'a non-negative number', options?.lr);
    const proximalMu = options.proximalMu ?? 0;
    if (typeof proximalMu !== 'number' || !Number.isFinite(proximalMu) || proximalMu < 0) {
      throw invalidArg('step.proximalMu', 'a finite number >= 0', options.proximalMu);
    }
    const proximalMode = options.proximalMode ?? 'params';
    if (proximalMode !== 'params' && proximalMode !== 'merged') throw invalidArg('step.proximalMode', "'params' or 'merged'", proximalMode);
    const checkpointActivations = options.checkpointActivations ?? false;
    if (typeof checkpointActivations !== 'boolean') throw invalidArg('step.checkpointActivations', 'true or false', options.checkpointActivations);
    const list = Array.isArray(batches) ? batches : [batches];
    const native = this.#native;
    const raw = { lr: options.lr, maxGradNorm: options.maxGradNorm ?? 0, precision: options.precision ?? 'fp32', proximalMu, proximalMode, checkpointActivations } as const;
    if (options.signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'trainStep was aborted before it started');
    const replicas = this.#replicas;
    const group = replicas ? (await replicas.group()).native : undefined;
    try {
      return await this.#model.lock.run(() => this.#abortable('trainStep', options.signal, () => native.trainStep(list, raw, group)));
    } catch (error) {
      // Invalid input is refused before the other ranks hear of the step; anything later leaves them mid-step.
      if (replicas && (error as FsllmError).code !== 'ERR_FSLLM_INVALID_ARG') await replicas.lost(error as FsllmError);
      throw error;
    }
  }

  /**
   * Makes every following {@link trainStep} data-parallel over `replicas` (this process is rank 0): each
   * rank computes its share of the step's micro-batches (or, with fewer micro-batches than ranks, of their
   * rows), the gradients are summed over the ranks, and every rank applies the same update, so the result
   * equals the one-process step up to float summation order. Before a step whose state the other ranks
   * have not seen (an adapter import, an optimizer reset or import, a new anchor, a new group), rank 0
   * sends them its trainable tensors, optimizer state and anchor. `null` goes back to one process.
   */
  useReplicas(replicas: ReplicaProvider | null): void {
    disposedCheck(this.#disposed, 'TrainSession');
    this.#replicas = replicas;
  }

  /**
   * A rank other than 0: runs the steps rank 0 leads, on a session set up like rank 0's (same model and
   * adapter configuration), until rank 0 calls `group.stopReplicas()`. Holds the model's lock meanwhile.
   * @throws `ERR_FSLLM_DISTRIBUTED` when rank 0 or another rank goes away; `ERR_FSLLM_ABORTED` when `signal`
   * fires while waiting for a step; `ERR_FSLLM_INVALID_ARG` when this adapter's size is not rank 0's.
   */
  async serveReplicas(group: ReplicaGroup, options: { signal?: AbortSignal } = {}): Promise<void> {
    disposedCheck(this.#disposed, 'TrainSession');
    if (group.rank === 0) throw invalidArg('group', 'the ReplicaGroup of a rank other than 0 (rank 0 leads through useReplicas)', group.rank);
    const native = this.#native;
    await this.#model.lock.run(() => this.#abortable('serveReplicas', options.signal, () => native.serveReplicas(group.native)));
  }

  /**
   * One distillation step of this session's model (the student, e.g. an offsite-tuning emulator) towards
   * `teacher` (e.g. the full model with the current adapter): per micro-batch, the teacher runs in eval mode
   * without gradients and the student in train mode; the loss `reprWeight·repr + klWeight·kl + lmWeight·lm`
   * (see {@link AlignStepOptions}) is averaged over micro-batches weighted by their real tokens (mask, and
   * segment ids when packed), then backward, unscale, clip and one optimizer step of this session's tensors
   * (create it with `layers` = the emulator layers). Holds both models' locks for the call. Input buffers
   * must not be modified until the promise settles.
   * @param teacher Another Model (not this session's) with the same vocabulary and hidden size.
   * @throws `ERR_FSLLM_INVALID_ARG` naming the option (taps out of range, weights, teacher); `ERR_FSLLM_ABORTED`
   * when `signal` fires (weights unchanged).
   * @example
   * const align = await TrainSession.create(emulator, { optimizer: { type: 'adamw' }, layers: emulatorLayers });
   * const m = await align.alignStep(full, batch, { lr: 1e-4, studentTap: 3, teacherTap: 5, klWeight: 0.9 });
   */
  async alignStep(teacher: Model, batches: RawBatch | RawBatch[], options: AlignStepOptions): Promise<AlignMetrics> {
    disposedCheck(this.#disposed, 'TrainSession');
    const raw = toRawAlignOptions(options, this.#model, teacher);
    const list = Array.isArray(batches) ? batches : [batches];
    const native = this.#native;
    const teacherNative = teacher.native;
    const [first, second] = lockOrder(this.#model, teacher);
    if (options.signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'alignStep was aborted before it started');
    return first.lock.run(() =>
      second.lock.run(() => this.#abortable('alignStep', options.signal, () => native.alignStep(teacherNative, list, raw))),
    );
  }

  /** Runs a native step under `signal` (call it with the lock held). */
  async #abortable<T>(what: string, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    // The step may have waited for the lock: an abort that came meanwhile must still count.
    if (signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', `${what} was aborted before it started`);
    const native = this.#native;
    const onAbort = () => native.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await callNative(run);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Optimizer moments as one Float32Array (to park a simulated client's state between rounds). */
  async exportOptimizerState(): Promise<Float32Array> {
    disposedCheck(this.#disposed, 'TrainSession');
    return this.#model.lock.run(() => callNative(() => this.#native.exportOptimizerState()));
  }

  async importOptimizerState(state: Float32Array): Promise<void> {
    disposedCheck(this.#disposed, 'TrainSession');
    if (!(state instanceof Float32Array)) throw invalidArg('state', 'a Float32Array', state);
    await this.#model.lock.run(() => callNative(() => this.#native.importOptimizerState(state)));
  }

  /** Zeroes the optimizer moments and step count. */
  async resetOptimizer(): Promise<void> {
    disposedCheck(this.#disposed, 'TrainSession');
    await this.#model.lock.run(() => callNative(() => this.#native.resetOptimizer()));
  }

  /**
   * Sets the FedProx anchor `w_anchor` (usually the global adapter at the start of a round) used by steps
   * with `proximalMu > 0`; `null` clears it. The values are copied to the parameters' device, so the
   * buffer may be reused once the promise settles (not before).
   * @param anchor The layout of `model.exportAdapter().data`: the model's whole adapter, also for a session
   * with `layers` (which keeps the slices of its own tensors).
   * @throws `ERR_FSLLM_INVALID_ARG` when the length differs from the trainable state's.
   * @example
   * await session.setProximalAnchor((await model.exportAdapter()).data);
   * await session.trainStep(batch, { lr: 1e-3, proximalMu: 0.01 });
   */
  async setProximalAnchor(anchor: Float32Array | null): Promise<void> {
    disposedCheck(this.#disposed, 'TrainSession');
    if (anchor !== null && !(anchor instanceof Float32Array)) throw invalidArg('anchor', 'a Float32Array or null', anchor);
    await this.#model.lock.run(() => callNative(() => this.#native.setProximalAnchor(anchor)));
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    await this.#model.lock.run(() => {
      this.#disposed = true;
      this.#native.dispose();
    });
    this.#model.sessionClosed();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
