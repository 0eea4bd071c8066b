import { invalidArg } from '../../errors/index.js';
import type { TrainerContext } from '../context.js';
import type { HookRegistry } from '../hookRegistry.js';

/**
 * A proximal term to the adapter at fitStart (the round's global adapter), declared to the native step.
 * `params` is FedProx (Li et al., MLSys 2020): (mu/2)·||θ − θ_start||² over the LoRA tensors, whose gradient
 * mu·(θ − θ_start) is added before clipping. `merged` is FedBiOT's client term: mu·Σ||W − W_start||² over the
 * merged weights W = W_base + scaling·B·A of each LoRA module. `anchorOf` gives another anchor than the adapter
 * the fit starts from (Ditto pulls the personal adapter toward the round's global one).
 */
export function addFedProx(hooks: HookRegistry<TrainerContext>, mu: number, mode: 'params' | 'merged' = 'params', anchorOf?: () => Float32Array): void {
  if (!(mu >= 0)) throw invalidArg(mode === 'params' ? 'train.fedprox.mu' : 'offsite.proxWeight', 'a non-negative number', mu);
  hooks.register('fitStart', 'fedProx', async (ctx) => {
    const anchor = anchorOf ? anchorOf() : (await ctx.model.exportAdapter()).data;
    await ctx.session.setProximalAnchor(anchor);
    ctx.lossTerms.proximalMu = mu;
    ctx.lossTerms.proximalMode = mode;
  });
  hooks.register('fitEnd', 'fedProx', async (ctx) => {
    ctx.lossTerms.proximalMu = 0;
    await ctx.session.setProximalAnchor(null);
  });
}
