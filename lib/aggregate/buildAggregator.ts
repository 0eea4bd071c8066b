/**
 * The run's aggregator from its options: the rule (aggregator.rule), with each delta clipped first when
 * aggregator.normBound is set, then the server optimiser, or pFedMe's beta step (global + beta · (mean −
 * global), which is FedAvgM without momentum at lr beta).
 */
import type { ResolvedOptions } from '../config/index.js';
import type { Aggregator } from './aggregator.js';
import { fedAvg } from './fedAvg.js';
import { normBounded } from './normBound.js';
import { robustRule, type KrumPick } from './robustRules.js';
import { withServerOptimizer } from './serverOptimizer.js';

export function buildAggregator(o: Pick<ResolvedOptions, 'aggregator' | 'personalization'>, onPick?: (pick: KrumPick) => void): Aggregator {
  const a = o.aggregator;
  let aggregator: Aggregator;
  if (a.rule === 'fedavg') aggregator = fedAvg;
  else if (a.rule === 'median') aggregator = robustRule({ rule: 'median' });
  else if (a.rule === 'trimmedMean') aggregator = robustRule({ rule: 'trimmedMean', trimRatio: a.trimRatio });
  else aggregator = robustRule({ rule: a.rule, byzantine: a.byzantine, ...(a.krumSelect ? { select: a.krumSelect } : {}) }, onPick);
  if (a.normBound > 0) aggregator = normBounded(aggregator, a.normBound);
  const { type, ...settings } = a.serverOptimizer;
  if (type !== 'none') return withServerOptimizer(aggregator, { type, ...settings });
  const { method, beta } = o.personalization;
  if (method === 'pfedme' && beta !== 1) {
    return withServerOptimizer(aggregator, { type: 'fedavgm', lr: beta, momentum: 0, beta1: 0, beta2: 0, tau: 0 }, `${aggregator.name}+pfedme(beta ${beta})`);
  }
  return aggregator;
}
