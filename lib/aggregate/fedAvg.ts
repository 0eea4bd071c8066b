/**
 * FedAvg (McMahan et al. 2017) as a running weighted sum: updates are folded in as they arrive, so the server
 * holds one fp64 accumulator, never all K updates. Weights are the samples each client trained this round
 * (FS-LLM's ClientsAvgAggregator), or 1 each (`uniform`, FS-LLM's `ignore_weight`).
 */
import { fsllmError, invalidArg } from '../errors/index.js';
import { accumulateUpdate, finishMean } from '../native/aggregateKernels.js';
import type { AggregationRound, Aggregator, ClientUpdate } from './aggregator.js';

export class FedAvgRound implements AggregationRound {
  readonly #sum: Float64Array;
  #weight = 0;

  constructor(length: number) {
    this.#sum = new Float64Array(length);
  }

  async add(update: ClientUpdate): Promise<void> {
    if (update.data.length !== this.#sum.length) throw invalidArg('update', `${this.#sum.length} values`, `${update.data.length} values`);
    if (!(update.weight > 0) || !Number.isFinite(update.weight)) throw invalidArg('weight', 'a positive finite number', update.weight);
    await accumulateUpdate(this.#sum, update.data, update.weight);
    this.#weight += update.weight;
  }

  /** @throws `ERR_FSLLM_INVALID_ARG` when nothing was added. */
  async result(): Promise<Float32Array> {
    if (this.#weight === 0) throw fsllmError('ERR_FSLLM_INVALID_ARG', 'FedAvg has no update to average');
    const out = new Float32Array(this.#sum.length);
    await finishMean(this.#sum, this.#weight, out);
    return out;
  }
}

export const fedAvg: Aggregator = {
  name: 'fedavg',
  begin: (_round, global) => new FedAvgRound(global.length),
};
