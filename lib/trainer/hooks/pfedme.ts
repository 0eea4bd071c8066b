/**
 * pFedMe (T. Dinh et al., NeurIPS 2020, Algorithm 1) as trainer hooks. The fit starts from the round's global
 * adapter w, which becomes the client's local model. Each outer step draws one batch; K inner steps on that
 * batch move the personal adapter θ toward argmin f(θ; batch) + (λ/2)·‖θ − w‖² (the native step's proximal
 * term, anchored at w); then w ← w − η·λ·(w − θ). At the end the personal adapter goes to `keep` and the
 * model holds w again, which is what the client uploads. A fit of R·K steps therefore makes R outer steps.
 */
import type { AdapterState } from '../../native/adapterState.js';
import type { TrainerContext } from '../context.js';
import type { HookRegistry } from '../hookRegistry.js';

export interface PFedMeOptions {
  /** λ: weight of the Moreau envelope's proximal term. */
  lambda: number;
  /** η: the local model's learning rate (train.optimizer.lr). */
  outerLr: number;
  /** K: inner steps per batch. */
  innerSteps: number;
  /** Gets the personal adapter θ at the end of every fit. */
  keep: (personal: AdapterState) => void;
}

export function addPFedMe(hooks: HookRegistry<TrainerContext>, o: PFedMeOptions): void {
  let local: Float32Array | null = null;
  let reused = false;
  hooks.register('fitStart', 'pfedme', async (ctx) => {
    local = (await ctx.model.exportAdapter()).data;
    await ctx.session.setProximalAnchor(local);
    ctx.lossTerms.proximalMu = o.lambda;
    ctx.lossTerms.proximalMode = 'params';
  });
  hooks.replace('batchStart', 'nextBatch', (ctx) => {
    reused = ctx.step % o.innerSteps !== 0;
    if (!reused) ctx.batch = ctx.data.next();
  });
  hooks.register('batchEnd', 'pfedme', async (ctx) => {
    // K steps on one batch train on its samples once.
    if (reused) ctx.results.samples -= ctx.batch!.samples;
    if ((ctx.step + 1) % o.innerSteps !== 0) return;
    const theta = (await ctx.model.exportAdapter()).data;
    const w = local!;
    const rate = o.outerLr * o.lambda;
    for (let i = 0; i < w.length; i++) w[i]! -= rate * (w[i]! - theta[i]!);
    await ctx.session.setProximalAnchor(w);
  });
  hooks.register('fitEnd', 'pfedme', async (ctx) => {
    const personal = await ctx.model.exportAdapter();
    o.keep(personal);
    ctx.lossTerms.proximalMu = 0;
    await ctx.session.setProximalAnchor(null);
    await ctx.model.importAdapter({ data: local!, manifest: personal.manifest });
  });
}
