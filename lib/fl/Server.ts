/**
 * The federated server: samples clients, broadcasts the global adapter, folds their updates into FedAvg
 * as they arrive, evaluates every N rounds, tracks the best round and stops early. It talks to clients
 * only through an Endpoint, so the same code runs in-process and over a network transport.
 */
import { FedAvgAccumulator } from '../aggregate/fedAvg.js';
import type { CodecOptions } from '../comm/codecOptions.js';
import { decodeAdapterFrame } from '../comm/codecFrame.js';
import { encodeForWire, ErrorFeedbackEncoder } from '../comm/errorFeedback.js';
import { AsyncLock } from '../util/lock.js';
import type { Address, AnyMessage, ClientMessage, EvalSplit, ServerMessage, SplitLoss } from '../comm/messages.js';
import type { Endpoint } from '../comm/transport.js';
import { fsllmError } from '../errors/index.js';
import type { AdapterState } from '../native/adapterState.js';
import type { FedEmitter } from './events.js';
import type { EvalRecord, RoundRecord, TrainRecord } from './records.js';
import { sampleClients, type SamplingOptions } from './sampling.js';

export interface ServerOptions {
  clientIds: number[];
  totalRounds: number;
  sampling: SamplingOptions;
  /** FedAvg weights: samples trained this round, or 1 per client. */
  weighting: 'samples' | 'uniform';
  /** `local` scenario: no averaging, each client continues from its own adapter. */
  personalized: boolean;
  evalEvery: number;
  evalSplits: EvalSplit[];
  bestKey: 'val_loss' | 'test_loss';
  earlyStop: { patience: number; delta: number };
  seed: number;
  /** Awaited after each round (checkpointing); the next round starts when it resolves. */
  afterRound?: (round: number) => Promise<void>;
  /** Runs after averaging and may replace the global state (FedBiOT re-aligns the emulator here). */
  afterAggregate?: (round: number, global: AdapterState) => Promise<AdapterState>;
  /** Labels the clients' evaluation records (e.g. 'AdapEmu'). */
  variant?: string;
  /** More evaluations the server runs itself after the clients' (e.g. AdapFu on the full model). */
  serverEval?: (round: number, global: AdapterState) => Promise<EvalRecord[]>;
  /** Which variant's merged loss picks the best round, when there are several. */
  bestVariant?: string;
  /** Per phase (training, evaluation): clients that have not answered by then are dropped for the round. */
  deadlineMs?: number;
  /** Updates a round needs to be aggregated; fewer → the round is retried. Default: every sampled client. */
  minClients?: number;
  /** Retries of a round that got fewer than minClients updates, before the run fails. Default 2. */
  maxRetries?: number;
  /** How adapters are encoded on the wire (absent: plain fp32 frames). */
  codec?: CodecOptions;
}

/** Everything the server needs to continue a run after `round` (checkpointed with the global adapter). */
export interface ServerSnapshot {
  round: number;
  best: { round: number; value: number } | null;
  /** Evaluations since the best one (early stopping). */
  sinceBest: number;
}

interface Waiter {
  kind: 'join' | 'modelPara' | 'metrics';
  round: number;
  pending: Set<number>;
  /** Clients whose answer was refused (invalid update) or who disconnected: no longer awaited. */
  failed: Set<number>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Server {
  readonly #endpoint: Endpoint;
  readonly #options: ServerOptions;
  readonly #events: FedEmitter;
  #global: AdapterState;
  readonly #personal = new Map<number, Float32Array>();
  readonly #joined = new Set<number>();
  #state: ServerSnapshot = { round: 0, best: null, sinceBest: 0 };
  #waiter: Waiter | null = null;
  #accumulator: FedAvgAccumulator | null = null;
  #uploadManifest: AdapterState['manifest'] | null = null;
  #roundTrain: TrainRecord[] = [];
  #roundEval = new Map<number, SplitLoss[]>();
  /** Updates are decoded asynchronously; folding them one at a time keeps the average's order (and bits) stable. */
  readonly #receiving = new AsyncLock();
  /** Error feedback of the training broadcast (one residual: every client gets the same frame). */
  readonly #broadcastFeedback: ErrorFeedbackEncoder | null;

  constructor(endpoint: Endpoint, global: AdapterState, options: ServerOptions, events: FedEmitter) {
    this.#endpoint = endpoint;
    this.#global = global;
    this.#options = options;
    this.#events = events;
    this.#broadcastFeedback = options.codec?.errorFeedback ? new ErrorFeedbackEncoder(options.codec) : null;
    endpoint.onMessage((from, message) => this.#receiving.run(() => this.#receive(from, message)));
  }

  /** The current global adapter (after the last aggregation). */
  get global(): AdapterState {
    return this.#global;
  }

  /** Per-client adapters of the `local` scenario. */
  get personal(): ReadonlyMap<number, Float32Array> {
    return this.#personal;
  }

  get snapshot(): ServerSnapshot {
    return { ...this.#state, best: this.#state.best ? { ...this.#state.best } : null };
  }

  /** Continues from a checkpoint: state, global adapter and (local scenario) each client's adapter. */
  restore(snapshot: ServerSnapshot, global: Float32Array, personal: Map<number, Float32Array>): void {
    this.#state = { ...snapshot };
    this.#global = { data: global, manifest: this.#global.manifest };
    for (const [id, data] of personal) this.#personal.set(id, data);
  }

  /** Runs rounds `snapshot.round + 1 …` to the end. Resolves with why it ended. */
  async run(signal?: AbortSignal): Promise<'completed' | 'earlyStop'> {
    const { clientIds, totalRounds } = this.#options;
    await this.#wait('join', 0, clientIds.filter((id) => !this.#joined.has(id)), signal);
    // Round 0 evaluates the starting adapter, so curves show where training began.
    if (this.#state.round === 0 && this.#options.evalEvery > 0) await this.#evaluate(0, signal);
    let reason: 'completed' | 'earlyStop' = 'completed';
    for (let round = this.#state.round + 1; round <= totalRounds; round++) {
      const stop = await this.#round(round, signal);
      this.#state.round = round;
      await this.#options.afterRound?.(round);
      if (stop) {
        reason = 'earlyStop';
        break;
      }
    }
    const final = await this.#encode(this.#global);
    await Promise.all(clientIds.map((id) => this.#send(id, { type: 'finish', round: this.#state.round, adapter: final })));
    this.#events.emit('done', { rounds: this.#state.round, reason });
    return reason;
  }

  /** One round; returns true when early stopping ends the run. */
  async #round(round: number, signal: AbortSignal | undefined): Promise<boolean> {
    const started = Date.now();
    const { bytesSent: sent0, bytesReceived: received0 } = this.#endpoint.stats;
    const clients = sampleClients(this.#options.clientIds, round, this.#options.seed, this.#options.sampling);
    this.#events.emit('roundStart', { round, clients });

    // Train: broadcast, then fold updates in as they arrive; too few updates by the deadline → retry.
    const needed = Math.min(clients.length, this.#options.minClients ?? clients.length);
    for (let attempt = 0; ; attempt++) {
      this.#accumulator = null;
      this.#uploadManifest = null;
      this.#roundTrain = [];
      const shared = this.#options.personalized ? null : await this.#encode(this.#global, this.#broadcastFeedback);
      const waiting = this.#wait('modelPara', round, clients, signal);
      for (const id of clients) {
        const adapter = shared ?? await this.#encode({ data: this.#personal.get(id) ?? this.#global.data, manifest: this.#global.manifest });
        await this.#send(id, { type: 'modelPara', round, adapter });
      }
      await waiting;
      if (this.#roundTrain.length >= needed) break;
      const missing = clients.filter((id) => !this.#roundTrain.some((t) => t.client === id));
      if (attempt >= (this.#options.maxRetries ?? 2)) {
        throw fsllmError('ERR_FSLLM_PROTOCOL', `Round ${round} got ${this.#roundTrain.length} of the ${needed} updates it needs after ${attempt + 1} attempts (missing: clients ${missing.join(', ')}); lower federate.minClients or raise federate.deadlineSeconds`);
      }
      this.#events.emit('warning', `Round ${round}: ${this.#roundTrain.length} of ${needed} needed updates arrived (missing: clients ${missing.join(', ')}); retrying the round`);
      // Clients that dropped out get until the deadline to reconnect and rejoin before the retry.
      for (const id of missing) this.#joined.delete(id);
      await this.#wait('join', round, missing, signal, this.#options.deadlineMs ?? 0);
    }
    // Set by #fold while we awaited (TS narrowed the field to null at the reset above).
    const accumulator = this.#accumulator as FedAvgAccumulator | null;
    if (!this.#options.personalized && accumulator) {
      this.#global = { data: this.#merged(accumulator.mean(), this.#uploadManifest!), manifest: this.#global.manifest };
    }
    if (this.#options.afterAggregate) this.#global = await this.#options.afterAggregate(round, this.#global);
    const weights = this.#roundTrain.map((t) => (this.#options.weighting === 'samples' ? t.samples : 1));
    this.#events.emit('aggregate', { round, clients: this.#roundTrain.map((t) => t.client), weights });

    // Evaluate.
    const { evalEvery, totalRounds } = this.#options;
    let stop = false;
    if ((evalEvery > 0 && round % evalEvery === 0) || round === totalRounds) stop = await this.#evaluate(round, signal);

    const { bytesSent, bytesReceived } = this.#endpoint.stats;
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    const record: RoundRecord = {
      kind: 'round',
      round,
      clients,
      trainLoss: this.#roundTrain.reduce((s, t, i) => s + t.loss * weights[i]!, 0) / totalWeight,
      bytesDown: bytesSent - sent0,
      bytesUp: bytesReceived - received0,
      ms: Date.now() - started,
      rssBytes: process.memoryUsage.rss(),
    };
    this.#events.emit('roundEnd', record);
    return stop;
  }

  /** Sends the model(s) to every client for evaluation; records, best round, early stop. */
  async #evaluate(round: number, signal: AbortSignal | undefined): Promise<boolean> {
    const { clientIds, evalSplits } = this.#options;
    this.#roundEval = new Map();
    const waiting = this.#wait('metrics', round, clientIds, signal);
    const shared = this.#options.personalized ? null : await this.#encode(this.#global);
    for (const id of clientIds) {
      const adapter = shared ?? await this.#encode({ data: this.#personal.get(id) ?? this.#global.data, manifest: this.#global.manifest });
      await this.#send(id, { type: 'evaluate', round, adapter, splits: evalSplits });
    }
    await waiting;
    const records: EvalRecord[] = [];
    const merged = new Map<EvalSplit, { lossSum: number; tokens: number }>();
    for (const id of clientIds) {
      for (const r of this.#roundEval.get(id) ?? []) {
        records.push({ kind: 'eval', round, target: id, split: r.split, metric: 'loss', value: r.tokens > 0 ? r.lossSum / r.tokens : NaN, count: r.tokens, ...this.#variant });
        const m = merged.get(r.split) ?? { lossSum: 0, tokens: 0 };
        merged.set(r.split, { lossSum: m.lossSum + r.lossSum, tokens: m.tokens + r.tokens });
      }
    }
    for (const [split, m] of merged) {
      records.push({ kind: 'eval', round, target: 'global', split, metric: 'loss', value: m.tokens > 0 ? m.lossSum / m.tokens : NaN, count: m.tokens, ...this.#variant });
      const perClient = records.filter((r) => r.split === split && typeof r.target === 'number' && r.count > 0);
      const mean = perClient.reduce((s, r) => s + r.value, 0) / perClient.length;
      records.push({ kind: 'eval', round, target: 'mean', split, metric: 'loss', value: perClient.length > 0 ? mean : NaN, count: m.tokens, ...this.#variant });
    }
    if (this.#options.serverEval) records.push(...(await this.#options.serverEval(round, this.#global)));
    this.#events.emit('eval', { round, records });
    return this.#trackBest(round, records);
  }

  get #variant(): { variant?: string } {
    return this.#options.variant === undefined ? {} : { variant: this.#options.variant };
  }

  #trackBest(round: number, records: EvalRecord[]): boolean {
    const wanted = this.#options.bestKey === 'val_loss' ? 'val' : 'test';
    const best = this.#options.bestVariant;
    const globals = records.filter((r) => r.target === 'global' && r.count > 0 && (best === undefined || r.variant === best));
    const pick = globals.find((r) => r.split === wanted) ?? globals[0];
    if (!pick) return false;
    const { patience, delta } = this.#options.earlyStop;
    const previous = this.#state.best;
    if (!previous || pick.value < previous.value - delta) {
      this.#state.best = { round, value: pick.value };
      this.#state.sinceBest = 0;
      return false;
    }
    this.#state.sinceBest += 1;
    return patience > 0 && this.#state.sinceBest >= patience;
  }

  /**
   * Waits until every client in `from` answered, was refused or was lost, or (with a deadline) until the
   * deadline passes; the ones still pending then are dropped for this phase with a warning.
   */
  #wait(kind: Waiter['kind'], round: number, from: number[], signal: AbortSignal | undefined, joinDeadlineMs = 0): Promise<void> {
    if (from.length === 0) return Promise.resolve();
    const deadline = kind === 'join' ? joinDeadlineMs : (this.#options.deadlineMs ?? 0);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(fsllmError('ERR_FSLLM_ABORTED', `The run was aborted in round ${round}`));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const waiter: Waiter = {
        kind,
        round,
        pending: new Set(from),
        failed: new Set(),
        resolve: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (this.#waiter === waiter) this.#waiter = null;
          resolve();
        },
        reject,
      };
      this.#waiter = waiter;
      if (deadline > 0) {
        timer = setTimeout(() => {
          const what = kind === 'modelPara' ? 'update' : kind === 'metrics' ? 'metrics' : 'rejoin';
          this.#events.emit('warning', `Round ${round}: no ${what} from clients ${[...waiter.pending].join(', ')} within ${deadline} ms; dropped for this round`);
          waiter.resolve();
        }, deadline);
      }
    });
  }

  /** A client's connection was lost: stop waiting for it in the current phase (it may rejoin later). */
  clientLost(id: number): void {
    const w = this.#waiter;
    if (!w || !w.pending.has(id)) return;
    this.#events.emit('warning', `Client ${id} disconnected in round ${w.round}; dropped for this round`);
    w.failed.add(id);
    this.#settle(id);
  }

  /** Sends, and treats a client that cannot be reached as lost for the phase instead of failing the run. */
  async #send(id: number, message: ServerMessage): Promise<void> {
    try {
      await this.#endpoint.send(id, message);
    } catch (error) {
      this.#events.emit('warning', `Could not send ${message.type} to client ${id}: ${(error as Error).message}`);
      this.clientLost(id);
    }
  }

  /** The wire frame of `state` under the run's codec (with the broadcast's error feedback when given). */
  #encode(state: AdapterState, feedback: ErrorFeedbackEncoder | null = null): Promise<Uint8Array> {
    return encodeForWire(state, this.#options.codec, feedback);
  }

  async #receive(from: Address, message: AnyMessage): Promise<void> {
    const msg = message as ClientMessage;
    if (typeof from !== 'number') return this.#drop(from, msg, 'it does not come from a client');
    if (msg.type === 'join') {
      this.#joined.add(from);
      if (this.#waiter?.kind === 'join') this.#settle(from);
      return;
    }
    const w = this.#waiter;
    if (!w || w.kind !== msg.type || w.round !== msg.round || !w.pending.has(from)) {
      return this.#drop(from, msg, 'the server is not waiting for it (wrong round, type or client)');
    }
    if (msg.type === 'modelPara') {
      const refused = await this.#fold(from, msg);
      // The waiter may have moved on (deadline) while the update was decoded.
      if (this.#waiter !== w) return;
      if (refused) {
        this.#drop(from, msg, refused);
        w.failed.add(from);
      }
    } else {
      this.#roundEval.set(from, msg.results);
    }
    this.#settle(from);
  }

  /**
   * Validates an update and folds it into the round's average. Returns why it was refused, or null: an
   * update is checked before it can touch the average (names, shapes, size, finite values, sample count).
   */
  async #fold(from: number, msg: Extract<ClientMessage, { type: 'modelPara' }>): Promise<string | null> {
    const limit = 8 * this.#global.data.byteLength + (1 << 20);
    if (!(msg.adapter instanceof Uint8Array)) return 'it carries no adapter';
    if (msg.adapter.byteLength > limit) return `its adapter has ${msg.adapter.byteLength} bytes, over the limit of ${limit}`;
    if (!Number.isInteger(msg.sampleSize) || msg.sampleSize < 1 || msg.sampleSize > 1e9) return `its sample size ${String(msg.sampleSize)} is not a positive integer`;
    let state: AdapterState;
    try {
      state = await decodeAdapterFrame(msg.adapter);
    } catch (error) {
      return (error as Error).message;
    }
    const full = state.data.length === this.#global.data.length && JSON.stringify(state.manifest) === JSON.stringify(this.#global.manifest);
    // An upload is the whole adapter, or the part the client trains (closed-model tuning): the same part for all.
    if (!full && !this.#isPart(state)) return `its ${state.data.length} values (${state.manifest.length} tensors) are not the global adapter's tensors and shapes`;
    for (let i = 0; i < state.data.length; i++) if (!Number.isFinite(state.data[i]!)) return `value ${i} is ${state.data[i]} (not finite)`;
    const weight = this.#options.weighting === 'samples' ? msg.sampleSize : 1;
    if (this.#options.personalized) this.#personal.set(from, this.#merged(state.data, state.manifest, this.#personal.get(from)));
    else {
      if (!this.#accumulator) {
        this.#accumulator = new FedAvgAccumulator(state.data.length);
        this.#uploadManifest = state.manifest;
      } else if (JSON.stringify(state.manifest) !== JSON.stringify(this.#uploadManifest)) {
        return `it holds another set of adapter tensors than the other clients of round ${msg.round}`;
      }
      this.#accumulator.add(state.data, weight);
    }
    const record: TrainRecord = {
      kind: 'train',
      round: msg.round,
      client: from,
      loss: msg.train.loss,
      steps: msg.train.steps,
      samples: msg.sampleSize,
      targetTokens: msg.train.targetTokens,
      msPerStep: msg.train.msPerStep,
    };
    this.#roundTrain.push(record);
    this.#events.emit('clientEnd', record);
    return null;
  }

  /** True when every tensor of `part` is one of the global adapter's, with its shape. */
  #isPart(part: AdapterState): boolean {
    const byName = new Map(this.#global.manifest.map((e) => [e.name, e]));
    const names = new Set(part.manifest.map((e) => e.name));
    return part.manifest.length > 0 && names.size === part.manifest.length &&
      part.manifest.every((e) => JSON.stringify(byName.get(e.name)?.shape) === JSON.stringify(e.shape));
  }

  /** The global values (or `base`) with the tensors of `manifest` replaced by `values`. */
  #merged(values: Float32Array, manifest: AdapterState['manifest'], base: Float32Array = this.#global.data): Float32Array {
    if (values.length === base.length) return values.slice();
    const out = base.slice();
    const byName = new Map(this.#global.manifest.map((e) => [e.name, e]));
    for (const e of manifest) {
      const size = e.shape.reduce((a, b) => a * b, 1);
      out.set(values.subarray(e.offset, e.offset + size), byName.get(e.name)!.offset);
    }
    return out;
  }

  #settle(from: number): void {
    const w = this.#waiter!;
    w.pending.delete(from);
    if (w.pending.size === 0) w.resolve();
  }

  #drop(from: Address, msg: AnyMessage, why: string): void {
    this.#events.emit('warning', `Dropped a ${msg.type} message from client ${String(from)}: ${why}`);
  }
}
