/** The raw options of the server's aggregation kernels (csrc/bindings/aggregate_wrap.cpp); lib/native/aggregateKernels.ts calls them. */

/** aggregateRule's options: `trim` values cut at each coordinate's ends (trimmedMean), `byzantine` f and `select` m (Krum). */
export interface RawAggregateRule {
  rule: 'mean' | 'median' | 'trimmedMean' | 'krum' | 'multiKrum';
  updates: Float32Array[];
  /** One positive weight per update (mean and Krum's average); default 1 each. */
  weights?: number[];
  trim?: number;
  byzantine?: number;
  select?: number;
  out: Float32Array;
}

/** serverOptimizerStep's options (csrc/aggregate/server_optimizer.h). */
export interface RawServerOptimizerStep {
  type: 'fedavgm' | 'fedadagrad' | 'fedadam' | 'fedyogi';
  global: Float32Array;
  aggregate: Float32Array;
  m: Float32Array;
  /** Second moments (not used by fedavgm). */
  v?: Float32Array;
  lr: number;
  momentum: number;
  beta1: number;
  beta2: number;
  tau: number;
}
