/**
 * FedBiOT's client term, epsilon·||W − W_round_start||², as the trainer's two mechanisms: on LoRA adapters W is
 * the merged weight (base + scaled B·A: `mergedProxWeight`); on full-weight adapter layers W is the weight
 * itself, which is FedProx's (mu/2)·||θ − θ0||² with mu = 2·epsilon. Without closed-model tuning both are 0.
 */
import type { ResolvedOptions } from '../../config/index.js';

export function offsiteClientTerm(o: ResolvedOptions): { mergedProxWeight: number; fedProxMu: number } {
  const offsite = o.offsite;
  if (!offsite) return { mergedProxWeight: 0, fedProxMu: 0 };
  return offsite.adapterTraining === 'full'
    ? { mergedProxWeight: 0, fedProxMu: 2 * offsite.proxWeight }
    : { mergedProxWeight: offsite.proxWeight, fedProxMu: 0 };
}
