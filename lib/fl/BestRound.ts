/**
 * Best-round tracking and early stopping on the merged ('global') loss of the split `eval.bestKey` names.
 * Only measured records count: when that split has no examples, the other evaluated split decides instead,
 * and the run says so once.
 */
import type { EvalRecord } from '../report/records.js';

export interface BestRoundOptions {
  bestKey: 'val_loss' | 'test_loss';
  /** Which variant's merged loss decides, when records carry several. */
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
  #key: BestRoundOptions['bestKey'];

  /** @param warnOnce Says a message the first time it is given (the fallback is noted once per run). */
  constructor(options: BestRoundOptions, warnOnce: (message: string) => void) {
    this.#options = options;
    this.#warnOnce = warnOnce;
    this.#key = options.bestKey;
  }

  /** The key the best round follows: `bestKey`, or the other split's loss when that split has no examples. */
  get key(): BestRoundOptions['bestKey'] {
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
    const { bestKey, bestVariant, earlyStop } = this.#options;
    const wanted = bestKey === 'val_loss' ? 'val' : 'test';
    const globals = records.filter((r) => r.target === 'global' && r.count > 0 && (bestVariant === undefined || r.variant === bestVariant));
    const pick = globals.find((r) => r.split === wanted) ?? globals[0];
    if (!pick) return false;
    this.#key = `${pick.split}_loss`;
    if (pick.split !== wanted) {
      this.#warnOnce(`eval.bestKey is ${bestKey}, but the ${wanted} split has no examples; the best round and early stopping follow the ${pick.split} loss instead`);
    }
    const previous = this.#state.best;
    if (!previous || pick.value < previous.value - earlyStop.delta) {
      this.#state.best = { round, value: pick.value };
      this.#state.sinceBest = 0;
      return false;
    }
    this.#state.sinceBest += 1;
    return earlyStop.patience > 0 && this.#state.sinceBest >= earlyStop.patience;
  }
}
