/**
 * Byzantine-robust rules, which need every update of the round at once: the coordinate-wise median and
 * trimmed mean (Yin et al., ICML 2018) and Krum / Multi-Krum (Blanchard et al., NeurIPS 2017). The order
 * statistics ignore the FedAvg weights (a bad client could claim any sample count); Multi-Krum averages the
 * updates it keeps with their weights.
 */
import { fsllmError } from '../errors/index.js';
import { aggregateRule } from '../native/aggregateKernels.js';
import type { AggregationRound, Aggregator, ClientUpdate } from './aggregator.js';

export type RobustRuleOptions =
  | { rule: 'median' }
  /** `trimRatio` of the K values is cut at each end of every coordinate: floor(trimRatio · K) of them (as FS-LLM). */
  | { rule: 'trimmedMean'; trimRatio: number }
  /** `byzantine`: f, the clients that may be bad (K > 2f + 2); multiKrum averages `select` (default K − f). */
  | { rule: 'krum' | 'multiKrum'; byzantine: number; select?: number };

/** What a Krum round kept, for the run's records. */
export interface KrumPick {
  round: number;
  /** The clients whose updates were averaged, best score first. */
  kept: number[];
  /** Krum's score of every client's update (its summed squared distance to its K − f − 2 nearest). */
  scores: Map<number, number>;
}

class CollectingRound implements AggregationRound {
  readonly #updates: ClientUpdate[] = [];

  constructor(
    readonly round: number,
    readonly length: number,
    readonly options: RobustRuleOptions,
    readonly onPick: ((pick: KrumPick) => void) | undefined,
  ) {}

  async add(update: ClientUpdate): Promise<void> {
    this.#updates.push(update);
  }

  async result(): Promise<Float32Array> {
    const o = this.options;
    const k = this.#updates.length;
    if (k === 0) throw fsllmError('ERR_FSLLM_INVALID_ARG', `${o.rule} has no update to aggregate`);
    const out = new Float32Array(this.length);
    const updates = this.#updates.map((u) => u.data);
    const weights = this.#updates.map((u) => u.weight);
    if (o.rule === 'median') {
      await aggregateRule({ rule: 'median', updates, out });
    } else if (o.rule === 'trimmedMean') {
      await aggregateRule({ rule: 'trimmedMean', updates, trim: Math.floor(o.trimRatio * k), out });
    } else {
      if (k <= 2 * o.byzantine + 2) {
        throw fsllmError('ERR_FSLLM_CONFIG', `Round ${this.round}: ${o.rule} with aggregator.byzantine ${o.byzantine} needs more than ${2 * o.byzantine + 2} updates and got ${k} (lower aggregator.byzantine, or raise federate.minClients so that a round waits for more)`);
      }
      const select = o.rule === 'krum' ? 1 : Math.min(k, o.select ?? k - o.byzantine);
      const picked = await aggregateRule({ rule: o.rule, updates, weights, byzantine: o.byzantine, select, out });
      const clients = this.#updates.map((u) => u.client);
      this.onPick?.({
        round: this.round,
        kept: (picked.selected ?? []).map((i) => clients[i]!),
        scores: new Map((picked.scores ?? []).map((s, i) => [clients[i]!, s])),
      });
    }
    return out;
  }
}

/** A robust rule; `onPick` hears which clients Krum kept each round. */
export function robustRule(options: RobustRuleOptions, onPick?: (pick: KrumPick) => void): Aggregator {
  return {
    name: options.rule,
    begin: (round, global) => new CollectingRound(round, global.length, options, onPick),
  };
}
