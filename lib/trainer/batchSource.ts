/**
 * A client's training examples as a stream of optimizer steps. The order is a seeded shuffle per epoch and
 * the position is plain state (`cursor`), so a run resumed from a checkpoint draws the same batches.
 */
import { collate } from '../data/collate.js';
import { pack } from '../data/pack.js';
import type { TokenizedExample } from '../data/tokenizeExample.js';
import { invalidArg } from '../errors/index.js';
import type { RawBatch } from '../native/index.js';
import { mixSeed, shuffled } from '../util/random.js';

export interface BatchSourceOptions {
  batchSize: number;
  /** Micro-batches per optimizer step. */
  gradAccum: number;
  tokLen: number;
  padId: number;
  /** Pack examples into rows of tokLen (segment ids keep them apart) instead of padding each row. */
  pack: boolean;
  seed: number;
}

/** Where a source is in its stream: epochs completed and examples consumed in the current one. */
export interface BatchCursor {
  epoch: number;
  offset: number;
}

/** One optimizer step's micro-batches and how many examples they hold. */
export interface StepBatch {
  micro: RawBatch[];
  samples: number;
}

export class BatchSource {
  readonly examples: readonly TokenizedExample[];
  readonly options: BatchSourceOptions;
  cursor: BatchCursor = { epoch: 0, offset: 0 };
  #order: number[] | null = null;

  constructor(examples: readonly TokenizedExample[], options: BatchSourceOptions) {
    if (examples.length === 0) throw invalidArg('examples', 'at least one training example', examples.length);
    this.examples = examples;
    this.options = options;
  }

  /** Optimizer steps in one pass over the examples. */
  get stepsPerEpoch(): number {
    return Math.ceil(this.examples.length / (this.options.batchSize * this.options.gradAccum));
  }

  /** True when the current epoch's examples are all consumed. */
  get atEpochEnd(): boolean {
    return this.cursor.offset >= this.examples.length;
  }

  /**
   * The next step's micro-batches. A step never spans two epochs: the last one of an epoch may be short.
   */
  next(): StepBatch {
    const { batchSize, gradAccum, tokLen, padId } = this.options;
    if (this.cursor.offset >= this.examples.length) this.cursor = { epoch: this.cursor.epoch + 1, offset: 0 };
    const order = this.#orderOf(this.cursor.epoch);
    const micro: RawBatch[] = [];
    let samples = 0;
    for (let m = 0; m < gradAccum && this.cursor.offset < order.length; m++) {
      const picked = order.slice(this.cursor.offset, this.cursor.offset + batchSize).map((i) => this.examples[i]!);
      this.cursor = { ...this.cursor, offset: this.cursor.offset + picked.length };
      micro.push(this.options.pack ? pack(picked, tokLen, padId) : collate(picked, padId));
      samples += picked.length;
    }
    return { micro, samples };
  }

  #orderOf(epoch: number): number[] {
    if (this.#order === null || this.#orderEpoch !== epoch) {
      this.#order = shuffled(this.examples.map((_, i) => i), mixSeed(this.options.seed, epoch));
      this.#orderEpoch = epoch;
    }
    return this.#order;
  }

  #orderEpoch = -1;
}
