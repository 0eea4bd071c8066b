/**
 * Best-round tracking and early stopping on the merged ('global') loss of the split `eval.bestKey` names
 * (lower is better), or on a task metric such as `gsm8k.accuracy` (higher is better; rounds without that
 * task's score leave the state alone). Only measured records count: when the loss's split has no examples,
 * the other evaluated split decides instead, and the run says so once.
 */
import type { EvalRecord } from '../report/records.js';

/** `val_loss`, `test_loss`, or `<task>.<metric>` (see lib/eval/taskSpec.ts). */
export type BestKey = string;

export interface BestRoundOptions {
  bestKey: BestKey;
  /** Which variant's merged loss decides, when records carry several (default: the records without one, e.g. not Ditto's 'personal'). */
  bestVariant?: string;
  /** Stop after `patience` evaluations without an improvement larger than `delta` (patience 0: never). */
  earlyStop: { patience: number; delta: number };
}

/** The tracker's state, part of every checkpoint. */
export interface BestRoundState {
  best: { round: number; value: number } | null;
  /** Evaluations since the best one (early stopping). */
  sinceBest: number;
}

export class BestRound {
  readonly #options: BestRoundOptions;
  readonly #warnOnce: (message: string) => void;
  #state: BestRoundState = { best: null, sinceBest: 0 };
  #key: BestKey;

  /** @param warnOnce Says a message the first time it is given (the fallback is noted once per run). */
  constructor(options: BestRoundOptions, warnOnce: (message: string) => void) {
    this.#options = options;
    this.#warnOnce = warnOnce;
    this.#key = options.bestKey;
  }

  /** The key the best round follows: `bestKey`, or the other split's loss when that split has no examples. */
  get key(): BestKey {
    return this.#key;
  }

  get state(): BestRoundState {
    return { best: this.#state.best ? { ...this.#state.best } : null, sinceBest: this.#state.sinceBest };
  }

  restore(state: BestRoundState): void {
    this.#state = { best: state.best ? { ...state.best } : null, sinceBest: state.sinceBest };
  }

  /** Takes the evaluation of `round` into account; returns true when early stopping ends the run. */
  update(round: number, records: EvalRecord[]): boolean {
    const { bestKey, bestVariant } = this.#options;
    const globals = records.filter((r) => r.target === 'global' && r.count > 0 && r.variant === bestVariant);
    if (bestKey !== 'val_loss' && bestKey !== 'test_loss') {
      const score = globals.find((r) => r.metric === bestKey);
      return score ? this.#consider(round, score.value, 'higher') : false;
    }
    const wanted = bestKey === 'val_loss' ? 'val' : 'test';
    const losses = globals.filter((r) => r.metric === 'loss');
    const pick = losses.find((r) => r.split === wanted) ?? losses[0];
    if (!pick) return false;
    this.#key = `${pick.split}_loss`;
    if (pick.split !== wanted) {
      this.#warnOnce(`eval.bestKey is ${bestKey}, but the ${wanted} split has no examples; the best round and early stopping follow the ${pick.split} loss instead`);
    }
    return this.#consider(round, pick.value, 'lower');
  }

  /** Keeps `value` of `round` when it beats the best by more than `earlyStop.delta`; returns true when patience runs out. */
  #consider(round: number, value: number, better: 'lower' | 'higher'): boolean {
    const { earlyStop } = this.#options;
    const previous = this.#state.best;
    const improves = !previous || (better === 'lower' ? value < previous.value - earlyStop.delta : value > previous.value + earlyStop.delta);
    if (improves) {
      this.#state.best = { round, value };
      this.#state.sinceBest = 0;
      return false;
    }
    this.#state.sinceBest += 1;
    return earlyStop.patience > 0 && this.#state.sinceBest >= earlyStop.patience;
  }
}
