/**
 * The server's aggregation kernels (csrc/aggregate), run on the executor thread: element-wise passes over
 * the clients' adapter buffers stay off the JS thread and out of JS loops. lib/aggregate builds the rules
 * users choose on top of them.
 */
import { binding } from './binding.js';
import type { RawAggregateRule, RawServerOptimizerStep } from './rawAggregate.js';
import { callNative } from './callNative.js';

export type { RawAggregateRule, RawServerOptimizerStep };

/** @internal sum += weight · update; the buffers must not change until it settles. */
export function accumulateUpdate(sum: Float64Array, update: Float32Array, weight: number): Promise<void> {
  return callNative(() => binding().aggregateAccumulate(sum, update, weight));
}

/** @internal out = sum / total. */
export function finishMean(sum: Float64Array, total: number, out: Float32Array): Promise<void> {
  return callNative(() => binding().aggregateFinishMean(sum, total, out));
}

/** @internal One rule into `options.out`; Krum resolves with every update's score and the picked indices. */
export function aggregateRule(options: RawAggregateRule): Promise<{ scores?: number[]; selected?: number[] }> {
  return callNative(() => binding().aggregateRule(options));
}

/** @internal Clips each update's delta from `global` to L2 norm ≤ `bound` in place; resolves with the norms before. */
export function clipDeltas(updates: Float32Array[], global: Float32Array, bound: number): Promise<number[]> {
  return callNative(() => binding().aggregateNormBound({ updates, global, bound }));
}

/** @internal One server-optimiser step on `global`, `m` and `v` in place. */
export function serverOptimizerStep(options: RawServerOptimizerStep): Promise<void> {
  return callNative(() => binding().serverOptimizerStep(options));
}
