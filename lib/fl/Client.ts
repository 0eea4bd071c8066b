/**
 * A federated client in simulation: its own data, cursor and (optionally) optimizer state, and a turn on
 * the one shared frozen base model. On `modelPara` it loads the global adapter, runs its local fit with the
 * hook-based Trainer, offloads the result to host memory and uploads it; on `evaluate` it reports held-out
 * losses. It talks to the server only through an Endpoint.
 */
import type { CodecOptions } from '../comm/codecOptions.js';
import { decodeAdapterFrame } from '../comm/codecFrame.js';
import { encodeForWire, ErrorFeedbackEncoder } from '../comm/errorFeedback.js';
import type { Address, AnyMessage, EvalSplit, ServerMessage, SplitLoss } from '../comm/messages.js';
import type { Endpoint } from '../comm/transport.js';
import { pack } from '../data/pack.js';
import { collate } from '../data/collate.js';
import type { TokenizedExample } from '../data/tokenizeExample.js';
import type { FsllmError } from '../errors/index.js';
import { manualSeed, type AdapterState, type Model, type Precision, type TrainSession } from '../native/index.js';
import type { BatchCursor, BatchSource } from '../trainer/batchSource.js';
import { loggingHook } from '../trainer/hooks/logging.js';
import { offloadHook, type OffloadedState } from '../trainer/hooks/offload.js';
import type { Trainer } from '../trainer/Trainer.js';
import type { AsyncLock } from '../util/lock.js';
import { mixSeed } from '../util/random.js';
import { partOf } from './adapterParts.js';
import type { FedReporter } from './events.js';
import type { PersonalTraining } from './personalTraining.js';

/** The shared base model and the lock that gives one client at a time its turn on it. */
export interface SharedModel {
  model: Model;
  session: TrainSession;
  turn: AsyncLock;
}

export interface ClientOptions {
  id: number;
  trainer: Trainer;
  data: BatchSource;
  heldOut: Record<EvalSplit, TokenizedExample[]>;
  /** Local work per round: optimizer steps, or whole passes over the training examples. */
  local: { steps: number } | { epochs: number };
  lr: number;
  precision: Precision;
  maxGradNorm: number;
  /** Recompute each block in backward (TrainSession.trainStep's option); default false. */
  checkpointActivations?: boolean;
  /** Keep optimizer moments across rounds (else a fresh optimizer each round, as FS-LLM). */
  keepOptimizerState: boolean;
  evalBatchSize: number;
  seed: number;
  /** Aborts a local fit between optimizer steps (the run is being cancelled). */
  signal?: AbortSignal;
  /**
   * When a data-parallel rank is lost during the local fit (`ERR_FSLLM_DISTRIBUTED`): true skips this round's
   * upload with a warning, so the server's deadline and retries take over (the ranks restart for the next
   * fit); false lets the error fail the client. Set it when the server has a deadline.
   */
  skipLostRounds?: boolean;
  /** Upload only these adapter tensors (the part the client trains, in closed-model tuning). */
  uploadNames?: ReadonlySet<string>;
  /** How uploads are encoded (absent: plain fp32 frames); with errorFeedback the residual stays here. */
  codec?: CodecOptions;
  /**
   * Awaited with the client's state once an update is encoded and before it is sent (a client process hands
   * it to the parent here, so the checkpoint of the round the update counts in holds it).
   */
  beforeUpload?: (snapshot: ClientSnapshot) => Promise<void>;
  /** Personalised FL (Ditto, pFedMe): the client's own adapter and how it is trained (personalTraining.ts). */
  personal?: PersonalTraining;
}

/** A client's state between rounds (checkpointed so a resumed run draws the same batches). */
export interface ClientSnapshot {
  cursor: BatchCursor;
  optimizer: Float32Array | null;
  /** The upload's error-feedback residual (absent without errorFeedback, before the first upload, or in old checkpoints). */
  residual?: Float32Array;
  /** Personalised FL: the client's own adapter (absent before its first personal fit). */
  personal?: Float32Array;
}

export class Client {
  readonly id: number;
  readonly #endpoint: Endpoint;
  readonly #shared: SharedModel;
  readonly #options: ClientOptions;
  readonly #events: FedReporter;
  #optimizer: Float32Array | null = null;
  #offloaded: OffloadedState | null = null;
  #finished: (() => void) | null = null;
  #feedback: ErrorFeedbackEncoder | null = null;

  constructor(endpoint: Endpoint, shared: SharedModel, options: ClientOptions, events: FedReporter) {
    this.id = options.id;
    this.#endpoint = endpoint;
    this.#shared = shared;
    this.#options = options;
    this.#events = events;
    if (options.codec?.errorFeedback) this.#feedback = new ErrorFeedbackEncoder(options.codec);
    options.trainer.hooks.register('batchEnd', 'progress', loggingHook((entry) => events.emit('step', entry)));
    options.trainer.hooks.register('fitEnd', 'offload', offloadHook((state) => {
      this.#offloaded = state;
    }, options.keepOptimizerState));
    endpoint.onMessage((from, message) => this.#receive(from, message));
  }

  /** Announces the client to the server. */
  async join(): Promise<void> {
    await this.#endpoint.send('server', { type: 'join', clientId: this.id, trainSamples: this.#options.data.examples.length });
  }

  get snapshot(): ClientSnapshot {
    const residual = this.#feedback?.residual;
    const personal = this.#options.personal?.slot.data;
    return { cursor: { ...this.#options.data.cursor }, optimizer: this.#optimizer, ...(residual ? { residual } : {}), ...(personal ? { personal } : {}) };
  }

  restore(snapshot: ClientSnapshot): void {
    this.#options.data.cursor = { ...snapshot.cursor };
    this.#optimizer = snapshot.optimizer;
    this.#feedback?.restore(snapshot.residual);
    if (this.#options.personal) this.#options.personal.slot.data = snapshot.personal ?? null;
  }

  /** Resolves when the server sends `finish`. */
  finished(): Promise<void> {
    return new Promise((resolve) => {
      this.#finished = resolve;
    });
  }

  async #receive(from: Address, message: AnyMessage): Promise<void> {
    if (from !== 'server') return;
    const msg = message as ServerMessage;
    if (msg.type === 'modelPara') await this.#train(msg.round, msg.adapter);
    else if (msg.type === 'evaluate') await this.#evaluate(msg.round, msg.adapter, msg.splits);
    else this.#finished?.();
  }

  async #train(round: number, frame: Uint8Array): Promise<void> {
    const o = this.#options;
    let result;
    try {
      result = await this.#fit(round, frame);
    } catch (error) {
      if (!o.skipLostRounds || (error as FsllmError).code !== 'ERR_FSLLM_DISTRIBUTED') throw error;
      this.#events.emit('warning', `Client ${this.id}: round ${round} lost a data-parallel rank, so it sends no update this round (${(error as Error).message})`);
      return;
    }
    const { fit } = result;
    const adapter = await this.#encode(o.uploadNames ? partOf(result.adapter, o.uploadNames) : result.adapter);
    // After encoding: error feedback has just moved the residual on to what the next upload carries.
    await o.beforeUpload?.(this.snapshot);
    await this.#endpoint.send('server', {
      type: 'modelPara',
      round,
      sampleSize: fit.samples,
      adapter,
      train: { loss: fit.lossSum / fit.steps, steps: fit.steps, targetTokens: fit.targetTokens, msPerStep: fit.ms / fit.steps },
    });
  }

  /** The round's local fit on the shared model: the global adapter in, the trained one out (offloaded). */
  #fit(round: number, frame: Uint8Array) {
    const o = this.#options;
    const { model, session, turn } = this.#shared;
    return turn.run(async () => {
      this.#events.emit('clientStart', { round, client: this.id });
      const start = await decodeAdapterFrame(frame);
      await model.importAdapter(start);
      if (o.keepOptimizerState && this.#optimizer) await session.importOptimizerState(this.#optimizer);
      else await session.resetOptimizer();
      // Dropout draws from the native generator: seeding each turn makes any round replayable.
      await manualSeed(mixSeed(o.seed, round, this.id));
      const steps = 'steps' in o.local ? o.local.steps : o.local.epochs * o.data.stepsPerEpoch;
      const fit = await o.trainer.fit({
        model, session, data: o.data, steps, lr: o.lr, precision: o.precision, maxGradNorm: o.maxGradNorm, checkpointActivations: o.checkpointActivations, round, clientId: this.id, signal: o.signal,
      });
      const offloaded = this.#offloaded!;
      this.#offloaded = null;
      this.#optimizer = offloaded.optimizer;
      if (o.personal?.ditto) await this.#dittoFit(round, start);
      return { fit, adapter: offloaded.adapter };
    });
  }

  /**
   * Ditto's personal fit, in the same turn: the personal adapter (the global one the first time) trained
   * `steps` more steps toward the round's global adapter, with an optimizer of its own each round.
   */
  async #dittoFit(round: number, global: AdapterState): Promise<void> {
    const o = this.#options;
    const { slot, ditto } = o.personal!;
    const { model, session } = this.#shared;
    ditto!.anchor.data = global.data;
    await model.importAdapter(slot.data ? { data: slot.data, manifest: global.manifest } : global);
    await session.resetOptimizer();
    // Another stream than the global fit's: Ditto's two fits draw their own dropout masks.
    await manualSeed(mixSeed(o.seed, round, this.id, 1));
    await ditto!.trainer.fit({
      model, session, data: o.data, steps: ditto!.steps, lr: ditto!.lr, precision: o.precision, maxGradNorm: o.maxGradNorm, checkpointActivations: o.checkpointActivations, round, clientId: this.id, signal: o.signal,
    });
    slot.data = (await model.exportAdapter()).data;
    ditto!.anchor.data = null;
  }

  async #evaluate(round: number, frame: Uint8Array, splits: EvalSplit[]): Promise<void> {
    const { model, turn } = this.#shared;
    const personal = this.#options.personal?.slot.data;
    const { results, own } = await turn.run(async () => {
      const shared = await decodeAdapterFrame(frame);
      await model.importAdapter(shared);
      const results = await this.#splitLosses(splits);
      if (!personal) return { results, own: null };
      await model.importAdapter({ data: personal, manifest: shared.manifest });
      return { results, own: await this.#splitLosses(splits) };
    });
    await this.#endpoint.send('server', { type: 'metrics', round, results, ...(own ? { personal: own } : {}) });
  }

  async #splitLosses(splits: EvalSplit[]): Promise<SplitLoss[]> {
    const out: SplitLoss[] = [];
    for (const split of splits) out.push({ split, ...(await this.#heldOutLoss(this.#options.heldOut[split])) });
    return out;
  }

  /** The upload frame under the run's codec; error feedback carries this client's residual across rounds. */
  #encode(state: AdapterState): Promise<Uint8Array> {
    return encodeForWire(state, this.#options.codec, this.#feedback);
  }

  async #heldOutLoss(examples: TokenizedExample[]): Promise<{ lossSum: number; tokens: number }> {
    if (examples.length === 0) return { lossSum: 0, tokens: 0 };
    const { evalBatchSize } = this.#options;
    const { tokLen, padId } = this.#options.data.options;
    const batches = [];
    for (let i = 0; i < examples.length; i += evalBatchSize) {
      const slice = examples.slice(i, i + evalBatchSize);
      batches.push(this.#options.data.options.pack ? pack(slice, tokLen, padId) : collate(slice, padId));
    }
    return this.#shared.model.evalLoss(batches);
  }
}
