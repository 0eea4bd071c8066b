import { invalidArg } from '../../errors/index.js';
import type { TrainerContext } from '../context.js';
import type { HookRegistry } from '../hookRegistry.js';

/**
 * FedProx (Li et al., MLSys 2020): adds (mu/2)·||w − w_start||² to each local step's loss, where w_start is
 * the adapter at fitStart (the round's global adapter). The term is declared to the native step, which adds
 * its gradient mu·(w − w_start) before clipping.
 */
export function addFedProx(hooks: HookRegistry<TrainerContext>, mu: number): void {
  if (!(mu >= 0)) throw invalidArg('train.fedprox.mu', 'a non-negative number', mu);
  hooks.register('fitStart', 'fedProx', async (ctx) => {
    const anchor = await ctx.model.exportAdapter();
    await ctx.session.setProximalAnchor(anchor.data);
    ctx.lossTerms.proximalMu = mu;
  });
  hooks.register('fitEnd', 'fedProx', async (ctx) => {
    ctx.lossTerms.proximalMu = 0;
    await ctx.session.setProximalAnchor(null);
  });
}
