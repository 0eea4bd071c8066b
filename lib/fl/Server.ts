/**
 * The federated server: samples clients, broadcasts the global adapter, hands their updates to the
 * aggregator (FedAvg by default) as they arrive, evaluates every N rounds, tracks the best round and stops
 * early. It talks to clients only through an Endpoint, so the same code runs in-process and over a network
 * transport. Waiting, message checks, evaluation merging and best-round tracking each live in their own module.
 * Longer than 300 lines on purpose: what remains is the round loop itself (sample, broadcast, fold, evaluate,
 * stop), one control flow that reads best in one place.
 */
import type { Aggregator } from '../aggregate/aggregator.js';
import { fedAvg } from '../aggregate/fedAvg.js';
import type { CodecOptions } from '../comm/codecOptions.js';
import { encodeForWire, ErrorFeedbackEncoder } from '../comm/errorFeedback.js';
import type { Address, AnyMessage, ClientMessage, EvalSplit, ServerMessage, SplitLoss } from '../comm/messages.js';
import type { Endpoint } from '../comm/transport.js';
import { fsllmError } from '../errors/index.js';
import { withPerplexity } from '../eval/perplexity.js';
import type { AdapterState } from '../native/index.js';
import type { EvalRecord, RoundRecord } from '../report/records.js';
import { AsyncLock } from '../util/lock.js';
import { withPart } from './adapterParts.js';
import { BestRound, type BestRoundOptions, type BestRoundState } from './BestRound.js';
import { checkMetrics, checkSender, checkUpdate, refusalWarning, type UpdateMessage } from './clientMessageChecks.js';
import { ClientWaiter } from './ClientWaiter.js';
import type { FedReporter } from './events.js';
import { startingWithout, tooFewJoined } from './joinNotes.js';
import { dropEmptySplits, mergeEvaluation } from './mergeEvaluation.js';
import { RoundUpdates } from './RoundUpdates.js';
import { sampleClients, type SamplingOptions } from './sampling.js';

export interface ServerOptions extends BestRoundOptions {
  clientIds: number[];
  totalRounds: number;
  sampling: SamplingOptions;
  /** FedAvg weights: samples trained this round, or 1 per client. */
  weighting: 'samples' | 'uniform';
  /** `local` scenario: no averaging, each client continues from its own adapter. */
  personalized: boolean;
  /** How the round's updates become the next global adapter (default FedAvg). */
  aggregator?: Aggregator;
  evalEvery: number;
  evalSplits: EvalSplit[];
  seed: number;
  /** Awaited after each round (checkpointing); the next round starts when it resolves. */
  afterRound?: (round: number) => Promise<void>;
  /** Runs after averaging and may replace the global state (FedBiOT re-aligns the emulator here). */
  afterAggregate?: (round: number, global: AdapterState) => Promise<AdapterState>;
  /** Labels the clients' evaluation records (e.g. 'AdapEmu'). */
  variant?: string;
  /** More evaluations the server runs itself after the clients' (e.g. AdapFu on the full model). */
  serverEval?: (round: number, global: AdapterState, personal: ReadonlyMap<number, Float32Array>) => Promise<EvalRecord[]>;
  /**
   * Per phase (training, evaluation): clients that have not answered by then are dropped for the round. Also
   * bounds the first join (see minClients). Absent or 0: no deadline.
   */
  deadlineMs?: number;
  /**
   * Updates a round needs to be aggregated; fewer → the round is retried. Default: every sampled client. Also
   * the clients that must have joined by the first join's deadline for the run to start (default: all).
   */
  minClients?: number;
  /** Retries of a round that got fewer than minClients updates, before the run fails. Default 2. */
  maxRetries?: number;
  /** How adapters are encoded on the wire (absent: plain fp32 frames). */
  codec?: CodecOptions;
}

/** Everything the server needs to continue a run after `round` (checkpointed with the global adapter). */
export interface ServerSnapshot extends BestRoundState {
  round: number;
}

export class Server {
  readonly #endpoint: Endpoint;
  readonly #options: ServerOptions;
  readonly #events: FedReporter;
  #global: AdapterState;
  readonly #personal = new Map<number, Float32Array>();
  readonly #joined = new Set<number>();
  #round = 0;
  readonly #best: BestRound;
  readonly #waiter: ClientWaiter;
  #updates: RoundUpdates;
  readonly #aggregator: Aggregator;
  #answers = new Map<number, SplitLoss[]>();
  /** Personalised FL: each client's losses on its own adapter in the current evaluation. */
  #personalAnswers = new Map<number, SplitLoss[]>();
  /** Updates are decoded asynchronously; folding them one at a time keeps the average's order (and bits) stable. */
  readonly #receiving = new AsyncLock();
  /** Error feedback of the training broadcast (one residual: every client gets the same frame). */
  readonly #broadcastFeedback: ErrorFeedbackEncoder | null;
  /** Notes said once per run (an empty split, the best-round fallback), however many rounds repeat them. */
  readonly #said = new Set<string>();

  constructor(endpoint: Endpoint, global: AdapterState, options: ServerOptions, events: FedReporter) {
    this.#endpoint = endpoint;
    this.#global = global;
    this.#options = options;
    this.#events = events;
    this.#aggregator = options.aggregator ?? fedAvg;
    this.#updates = new RoundUpdates(0, this.#aggregator, global);
    this.#best = new BestRound(options, (m) => this.#warnOnce(m));
    this.#waiter = new ClientWaiter((m) => events.emit('warning', m));
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

  /** The key the best round follows (eval.bestKey, unless its split has no examples). */
  get bestKey(): ServerOptions['bestKey'] {
    return this.#best.key;
  }

  get snapshot(): ServerSnapshot {
    return { round: this.#round, ...this.#best.state };
  }

  /** The aggregator's state across rounds (a server optimiser's moments; empty when it keeps none). */
  get aggregatorState(): Record<string, Float32Array> {
    return this.#aggregator.state?.() ?? {};
  }

  /** The broadcast's error-feedback residual (undefined without errorFeedback or before the first broadcast). */
  get broadcastResidual(): Float32Array | undefined {
    return this.#broadcastFeedback?.residual;
  }

  /**
   * Continues from a checkpoint: state, global adapter, (local scenario) each client's adapter, the
   * broadcast residual (absent in checkpoints written before it was saved: it starts empty) and the
   * aggregator's state.
   */
  restore(snapshot: ServerSnapshot, global: Float32Array, personal: Map<number, Float32Array>, broadcastResidual?: Float32Array, aggregatorState: Record<string, Float32Array> = {}): void {
    this.#round = snapshot.round;
    if (Object.keys(aggregatorState).length > 0) this.#aggregator.restore?.(aggregatorState);
    this.#broadcastFeedback?.restore(broadcastResidual);
    this.#best.restore(snapshot);
    this.#global = { data: global, manifest: this.#global.manifest };
    for (const [id, data] of personal) this.#personal.set(id, data);
  }

  /** Runs rounds `snapshot.round + 1 …` to the end. Resolves with why it ended. */
  async run(signal?: AbortSignal): Promise<'completed' | 'earlyStop'> {
    const { clientIds, totalRounds } = this.#options;
    await this.#awaitJoins(signal);
    // Round 0 evaluates the starting adapter, so curves show where training began.
    if (this.#round === 0 && this.#options.evalEvery > 0) await this.#evaluate(0, signal);
    let reason: 'completed' | 'earlyStop' = 'completed';
    for (let round = this.#round + 1; round <= totalRounds; round++) {
      const stop = await this.#runRound(round, signal);
      this.#round = round;
      await this.#options.afterRound?.(round);
      if (stop) {
        reason = 'earlyStop';
        break;
      }
    }
    const final = await this.#encode(this.#global);
    await Promise.all(clientIds.map((id) => this.#send(id, { type: 'finish', round: this.#round, adapter: final })));
    this.#events.emit('done', { rounds: this.#round, reason });
    return reason;
  }

  /**
   * The run's first wait, the same for a fresh and a resumed server: every client, until the deadline (none: as
   * long as it takes). Then the run starts if at least minClients joined, or fails naming who is missing.
   * @throws `ERR_FSLLM_PROTOCOL` when fewer than minClients (default: all) joined by the deadline.
   */
  async #awaitJoins(signal: AbortSignal | undefined): Promise<void> {
    const { clientIds, deadlineMs = 0 } = this.#options;
    await this.#waiter.wait('join', this.#round, clientIds.filter((id) => !this.#joined.has(id)), deadlineMs, signal);
    const missing = clientIds.filter((id) => !this.#joined.has(id));
    if (missing.length === 0) return;
    const joined = clientIds.filter((id) => this.#joined.has(id));
    const needed = Math.min(clientIds.length, this.#options.minClients ?? clientIds.length);
    if (joined.length < needed) throw fsllmError('ERR_FSLLM_PROTOCOL', tooFewJoined(joined.length, clientIds.length, needed, missing, deadlineMs));
    this.#events.emit('warning', startingWithout(missing, joined, needed, deadlineMs));
  }

  /** A client's connection was lost: stop waiting for it in the current phase (it may rejoin later). */
  clientLost(id: number): void {
    this.#waiter.lose(id);
  }

  /** One round; returns true when early stopping ends the run. */
  async #runRound(round: number, signal: AbortSignal | undefined): Promise<boolean> {
    const started = Date.now();
    const { bytesSent: sent0, bytesReceived: received0 } = this.#endpoint.stats;
    const clients = sampleClients(this.#options.clientIds, round, this.#options.seed, this.#options.sampling);
    this.#events.emit('roundStart', { round, clients });

    const updates = await this.#train(round, clients, signal);
    const mean = this.#options.personalized ? null : await updates.result();
    if (mean) this.#global = { data: mean, manifest: this.#global.manifest };
    if (this.#options.afterAggregate) this.#global = await this.#options.afterAggregate(round, this.#global);
    const weights = updates.train.map((t) => (this.#options.weighting === 'samples' ? t.samples : 1));
    this.#events.emit('aggregate', { round, clients: updates.train.map((t) => t.client), weights, rule: this.#aggregator.name });

    const { evalEvery, totalRounds } = this.#options;
    let stop = false;
    if ((evalEvery > 0 && round % evalEvery === 0) || round === totalRounds) stop = await this.#evaluate(round, signal);

    const { bytesSent, bytesReceived } = this.#endpoint.stats;
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    const record: RoundRecord = {
      kind: 'round',
      round,
      clients,
      trainLoss: updates.train.reduce((s, t, i) => s + t.loss * weights[i]!, 0) / totalWeight,
      bytesDown: bytesSent - sent0,
      bytesUp: bytesReceived - received0,
      ms: Date.now() - started,
      rssBytes: process.memoryUsage.rss(),
    };
    this.#events.emit('roundEnd', record);
    return stop;
  }

  /** Broadcasts and folds updates in as they arrive; too few updates by the deadline → the round is retried. */
  async #train(round: number, clients: number[], signal: AbortSignal | undefined): Promise<RoundUpdates> {
    const needed = Math.min(clients.length, this.#options.minClients ?? clients.length);
    for (let attempt = 0; ; attempt++) {
      this.#updates = new RoundUpdates(round, this.#aggregator, this.#global);
      const shared = this.#options.personalized ? null : await this.#encode(this.#global, this.#broadcastFeedback);
      const waiting = this.#waiter.wait('modelPara', round, clients, this.#options.deadlineMs ?? 0, signal);
      for (const id of clients) await this.#send(id, { type: 'modelPara', round, adapter: shared ?? await this.#ownAdapter(id) });
      await waiting;
      const taken = this.#updates.train;
      if (taken.length >= needed) return this.#updates;
      const missing = clients.filter((id) => !taken.some((t) => t.client === id));
      if (attempt >= (this.#options.maxRetries ?? 2)) {
        throw fsllmError('ERR_FSLLM_PROTOCOL', `Round ${round} got ${taken.length} of the ${needed} updates it needs after ${attempt + 1} attempts (missing: clients ${missing.join(', ')}); lower federate.minClients or raise federate.deadlineSeconds`);
      }
      this.#events.emit('warning', `Round ${round}: ${taken.length} of ${needed} needed updates arrived (missing: clients ${missing.join(', ')}); retrying the round`);
      // Clients that dropped out get until the deadline to reconnect and rejoin before the retry.
      for (const id of missing) this.#joined.delete(id);
      await this.#waiter.wait('rejoin', round, missing, this.#options.deadlineMs ?? 0, signal);
    }
  }

  /** Sends the model(s) to every client for evaluation; records, best round, early stop. */
  async #evaluate(round: number, signal: AbortSignal | undefined): Promise<boolean> {
    const { clientIds, evalSplits } = this.#options;
    this.#answers = new Map();
    this.#personalAnswers = new Map();
    const waiting = this.#waiter.wait('metrics', round, clientIds, this.#options.deadlineMs ?? 0, signal);
    const shared = this.#options.personalized ? null : await this.#encode(this.#global);
    for (const id of clientIds) await this.#send(id, { type: 'evaluate', round, adapter: shared ?? await this.#ownAdapter(id), splits: evalSplits });
    await waiting;
    const merged = mergeEvaluation(round, clientIds, this.#answers, this.#options.variant);
    if (this.#personalAnswers.size > 0) merged.push(...mergeEvaluation(round, clientIds, this.#personalAnswers, 'personal'));
    if (this.#options.serverEval) merged.push(...(await this.#options.serverEval(round, this.#global, this.#personal)));
    const { kept, empty } = dropEmptySplits(withPerplexity(merged));
    for (const split of empty) {
      this.#warnOnce(`The ${split} split has no examples on any client (its share in data.splits is 0, or too small for this data); it is not evaluated`);
    }
    this.#events.emit('eval', { round, records: kept });
    return this.#best.update(round, kept);
  }

  /** The frame of client `id`'s adapter in the `local` scenario (the global one until it has its own). */
  #ownAdapter(id: number): Promise<Uint8Array> {
    return this.#encode({ data: this.#personal.get(id) ?? this.#global.data, manifest: this.#global.manifest });
  }

  /** Sends, and treats a client that cannot be reached as lost for the phase instead of failing the run. */
  async #send(id: number, message: ServerMessage): Promise<void> {
    try {
      await this.#endpoint.send(id, message);
    } catch (error) {
      // One line per client and phase: the loss, with the reason when the client was awaited.
      const why = `could not be sent ${message.type} (${(error as Error).message})`;
      if (!this.#waiter.lose(id, why)) this.#events.emit('warning', `Client ${id} ${why}`);
    }
  }

  /** The wire frame of `state` under the run's codec (with the broadcast's error feedback when given). */
  #encode(state: AdapterState, feedback: ErrorFeedbackEncoder | null = null): Promise<Uint8Array> {
    return encodeForWire(state, this.#options.codec, feedback);
  }

  async #receive(sender: Address, message: AnyMessage): Promise<void> {
    const msg = message as ClientMessage;
    const checked = checkSender(sender);
    if ('refused' in checked) return this.#drop(sender, msg, checked.refused);
    const from = checked.value;
    if (msg.type === 'join') {
      this.#joined.add(from);
      const phase = this.#waiter.current?.phase;
      if (phase === 'join' || phase === 'rejoin') this.#waiter.settle(from);
      return;
    }
    const w = this.#waiter.current;
    if (!w || w.phase !== msg.type || w.round !== msg.round || !w.pending.has(from)) {
      return this.#drop(from, msg, 'the server is not waiting for it (wrong round, type or client)');
    }
    if (msg.type === 'modelPara') {
      const refused = await this.#fold(from, msg);
      // The phase may have moved on (deadline) while the update was decoded.
      if (this.#waiter.current !== w) return;
      if (refused) this.#drop(from, msg, refused);
    } else {
      const metrics = checkMetrics(msg, this.#options.evalSplits);
      if ('refused' in metrics) this.#drop(from, msg, metrics.refused);
      else {
        this.#answers.set(from, metrics.value.global);
        if (metrics.value.personal) this.#personalAnswers.set(from, metrics.value.personal);
      }
    }
    this.#waiter.settle(from);
  }

  /** Checks an update and folds it into the round (average, or the client's own adapter). Returns why it was refused, or null. */
  async #fold(from: number, msg: UpdateMessage): Promise<string | null> {
    const checked = await checkUpdate(msg, this.#global);
    if ('refused' in checked) return checked.refused;
    const state = checked.value;
    if (this.#options.personalized) {
      this.#personal.set(from, withPart(this.#personal.get(from) ?? this.#global.data, this.#global.manifest, state));
    } else {
      const refused = await this.#updates.aggregate(from, state, this.#options.weighting === 'samples' ? msg.sampleSize : 1);
      if (refused) return refused;
    }
    this.#events.emit('clientEnd', this.#updates.take(from, msg));
    return null;
  }

  #warnOnce(message: string): void {
    if (this.#said.has(message)) return;
    this.#said.add(message);
    this.#events.emit('warning', message);
  }

  #drop(from: Address, msg: AnyMessage, why: string): void {
    this.#events.emit('warning', refusalWarning(from, msg.type, why));
  }
}
