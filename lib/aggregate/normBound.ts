/**
 * Norm bounding (Sun et al. 2019, "Can you really backdoor federated learning?"; FS-LLM's `normbounding`):
 * each client's delta from the round's global adapter is scaled down to at most `bound` in L2 norm as it
 * arrives, then handed to the inner rule. A scaled-up malicious update then weighs no more than an honest one.
 */
import { clipDeltas } from '../native/aggregateKernels.js';
import type { AggregationRound, Aggregator } from './aggregator.js';

export function normBounded(inner: Aggregator, bound: number): Aggregator {
  return {
    ...inner,
    name: `normBound(${bound})+${inner.name}`,
    begin(round, global): AggregationRound {
      const rest = inner.begin(round, global);
      return {
        async add(update) {
          await clipDeltas([update.data], global, bound);
          await rest.add(update);
        },
        result: () => rest.result(),
      };
    },
  };
}
