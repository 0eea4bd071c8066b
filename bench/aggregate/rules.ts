/**
 * The aggregators timed, built from lib/aggregate as a run builds them, in the order the bench runs them.
 * `normBound+fedavg` comes last because it clips the updates in place (the others only read them).
 */
import { fedAvg, normBounded, robustRule, withServerOptimizer, type Aggregator } from '../../lib/index.js';

export const RULE_NAMES = ['fedavg', 'median', 'trimmedMean', 'krum', 'multiKrum', 'fedavg+fedadam', 'normBound+fedavg'] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export interface RuleSettings {
  /** Krum's f (K > 2f + 2). */
  byzantine: number;
  trimRatio: number;
  /** L2 bound of normBound, below every delta the bench makes, so each round clips every update. */
  normBound: number;
}

export function buildRule(name: RuleName, s: RuleSettings): Aggregator {
  switch (name) {
    case 'fedavg':
      return fedAvg;
    case 'median':
      return robustRule({ rule: 'median' });
    case 'trimmedMean':
      return robustRule({ rule: 'trimmedMean', trimRatio: s.trimRatio });
    case 'krum':
      return robustRule({ rule: 'krum', byzantine: s.byzantine });
    case 'multiKrum':
      // Averages the K − f best.
      return robustRule({ rule: 'multiKrum', byzantine: s.byzantine });
    case 'fedavg+fedadam':
      // FedAdam at the run options' defaults (aggregator.serverOptimizer).
      return withServerOptimizer(fedAvg, { type: 'fedadam', lr: 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.99, tau: 1e-9 });
    case 'normBound+fedavg':
      return normBounded(fedAvg, s.normBound);
  }
}
