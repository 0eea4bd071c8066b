/** Server-side aggregation: the Aggregator interface and the rules, optimisers and wrappers built on it. */
export type { AggregationRound, Aggregator, ClientUpdate } from './aggregator.js';
export { fedAvg } from './fedAvg.js';
export { robustRule, type KrumPick, type RobustRuleOptions } from './robustRules.js';
export { normBounded } from './normBound.js';
export { withServerOptimizer, type ServerOptimizerSettings } from './serverOptimizer.js';
export { buildAggregator } from './buildAggregator.js';
