/**
 * A server optimiser after any rule (Reddi et al., ICLR 2021, "Adaptive Federated Optimization"): the rule's
 * result minus the global adapter is the round's pseudo-gradient, and FedAvgM / FedAdagrad / FedAdam /
 * FedYogi step the global adapter along it (csrc/aggregate/server_optimizer.h has the equations). The moments
 * are the server's state: checkpointed as `state()` and restored exactly.
 */
import { fsllmError } from '../errors/index.js';
import { serverOptimizerStep, type RawServerOptimizerStep } from '../native/aggregateKernels.js';
import type { Aggregator } from './aggregator.js';

export type ServerOptimizerSettings = Omit<RawServerOptimizerStep, 'global' | 'aggregate' | 'm' | 'v'>;

export function withServerOptimizer(inner: Aggregator, settings: ServerOptimizerSettings, name = `${inner.name}+${settings.type}`): Aggregator {
  let m: Float32Array | null = null;
  let v: Float32Array | null = null;
  const adaptive = settings.type !== 'fedavgm';
  const allocate = (length: number) => {
    m = new Float32Array(length);
    // The paper's v_{-1} >= tau^2: the first step's denominator is then at least 2 tau.
    if (adaptive) v = new Float32Array(length).fill(settings.tau * settings.tau);
  };
  return {
    name,
    begin(round, global) {
      const rest = inner.begin(round, global);
      return {
        add: (update) => rest.add(update),
        async result() {
          const aggregate = await rest.result();
          if (!m || m.length !== global.length) {
            if (m) throw fsllmError('ERR_FSLLM_CHECKPOINT', `The server optimiser's state holds ${m.length} values and the adapter ${global.length}; it belongs to another adapter`);
            allocate(global.length);
          }
          const next = global.slice();
          await serverOptimizerStep({ ...settings, global: next, aggregate, m: m!, ...(v ? { v } : {}) });
          return next;
        },
      };
    },
    state() {
      return m ? { m, ...(v ? { v } : {}) } : {};
    },
    restore(state) {
      m = state.m ?? null;
      v = adaptive ? (state.v ?? null) : null;
      if (m && adaptive && !v) throw fsllmError('ERR_FSLLM_CHECKPOINT', `The checkpoint holds ${settings.type}'s first moments but not its second ones`);
    },
  };
}
