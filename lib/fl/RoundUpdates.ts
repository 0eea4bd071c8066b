/**
 * The updates of one round attempt as they arrive: folded into FedAvg at once (the server never holds all
 * of them), with the training record of each. Every update of a round must carry the same set of tensors.
 */
import { FedAvgAccumulator } from '../aggregate/fedAvg.js';
import type { AdapterState } from '../native/index.js';
import type { TrainRecord } from '../report/records.js';
import { withPart } from './adapterParts.js';
import type { UpdateMessage } from './clientMessageChecks.js';

export class RoundUpdates {
  /** The training record of every update taken (see `take`), in arrival order. */
  readonly train: TrainRecord[] = [];
  #accumulator: FedAvgAccumulator | null = null;
  #manifest: AdapterState['manifest'] | null = null;
  readonly #round: number;

  constructor(round: number) {
    this.#round = round;
  }

  /** Folds `state` in with `weight`. Returns why it is refused (another tensor set than the first update's), or null. */
  average(state: AdapterState, weight: number): string | null {
    if (!this.#accumulator) {
      this.#accumulator = new FedAvgAccumulator(state.data.length);
      this.#manifest = state.manifest;
    } else if (JSON.stringify(state.manifest) !== JSON.stringify(this.#manifest)) {
      return `it holds another set of adapter tensors than the other clients of round ${this.#round}`;
    }
    this.#accumulator.add(state.data, weight);
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

  /** The new global values: `global` with the averaged tensors written over it; null when nothing was averaged. */
  mean(global: AdapterState): Float32Array | null {
    if (!this.#accumulator) return null;
    return withPart(global.data, global.manifest, { data: this.#accumulator.mean(), manifest: this.#manifest! });
  }
}
