/**
 * FedAvg (McMahan et al. 2017) as a running weighted sum: updates are folded in as they arrive, so the
 * server holds one accumulator, never all K updates. Weights are the samples each client trained this
 * round (FS-LLM's ClientsAvgAggregator), or 1 each (`uniform`, FS-LLM's `ignore_weight`).
 */
import { fsllmError, invalidArg } from '../errors/index.js';

export class FedAvgAccumulator {
  readonly #sum: Float64Array;
  #weight = 0;
  #count = 0;

  constructor(length: number) {
    this.#sum = new Float64Array(length);
  }

  /** Adds `update` with `weight` (> 0). */
  add(update: Float32Array, weight: number): void {
    if (update.length !== this.#sum.length) throw invalidArg('update', `${this.#sum.length} values`, `${update.length} values`);
    if (!(weight > 0) || !Number.isFinite(weight)) throw invalidArg('weight', 'a positive finite number', weight);
    const sum = this.#sum;
    for (let i = 0; i < sum.length; i++) sum[i]! += weight * update[i]!;
    this.#weight += weight;
    this.#count += 1;
  }

  get count(): number {
    return this.#count;
  }

  /** The weighted mean (fp32). @throws `ERR_FSLLM_INVALID_ARG` when nothing was added. */
  mean(): Float32Array {
    if (this.#count === 0) throw fsllmError('ERR_FSLLM_INVALID_ARG', 'FedAvg has no update to average');
    const out = new Float32Array(this.#sum.length);
    for (let i = 0; i < out.length; i++) out[i] = this.#sum[i]! / this.#weight;
    return out;
  }
}
