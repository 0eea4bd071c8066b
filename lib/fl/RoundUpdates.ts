/**
 * The updates of one round attempt as they arrive: each is handed to the run's aggregator at once (FedAvg
 * folds it into a running sum, so the server never holds all of them; the robust rules keep them), with the
 * training record of each. Every update of a round must carry the same set of tensors; when that set is a
 * part of the global adapter (closed-model tuning), the aggregator works on that part.
 */
import type { AggregationRound, Aggregator } from '../aggregate/aggregator.js';
import type { AdapterState } from '../native/index.js';
import type { TrainRecord } from '../report/records.js';
import { partOf, withPart } from './adapterParts.js';
import type { UpdateMessage } from './clientMessageChecks.js';

export class RoundUpdates {
  /** The training record of every update taken (see `take`), in arrival order. */
  readonly train: TrainRecord[] = [];
  #aggregation: AggregationRound | null = null;
  #manifest: AdapterState['manifest'] | null = null;
  readonly #round: number;
  readonly #aggregator: Aggregator;
  readonly #global: AdapterState;

  /** `global`: the adapter this round's clients start from. */
  constructor(round: number, aggregator: Aggregator, global: AdapterState) {
    this.#round = round;
    this.#aggregator = aggregator;
    this.#global = global;
  }

  /**
   * Hands `state` from client `client` to the aggregator with `weight`. Returns why it is refused (another
   * tensor set than the first update's), or null.
   */
  async aggregate(client: number, state: AdapterState, weight: number): Promise<string | null> {
    if (!this.#aggregation) {
      this.#manifest = state.manifest;
      const start = state.data.length === this.#global.data.length ? this.#global.data : partOf(this.#global, new Set(state.manifest.map((e) => e.name))).data;
      this.#aggregation = this.#aggregator.begin(this.#round, start);
    } else if (JSON.stringify(state.manifest) !== JSON.stringify(this.#manifest)) {
      return `it holds another set of adapter tensors than the other clients of round ${this.#round}`;
    }
    await this.#aggregation.add({ client, data: state.data, weight });
    return null;
  }

  /** Records `msg` from client `from` as taken this round; returns its training record. */
  take(from: number, msg: UpdateMessage): TrainRecord {
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
    this.train.push(record);
    return record;
  }

  /** The new global values: the global adapter with the aggregated tensors written over it; null when nothing was aggregated. */
  async result(): Promise<Float32Array | null> {
    if (!this.#aggregation) return null;
    const data = await this.#aggregation.result();
    return withPart(this.#global.data, this.#global.manifest, { data, manifest: this.#manifest! });
  }
}
