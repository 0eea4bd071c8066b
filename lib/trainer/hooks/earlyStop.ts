import type { Hook } from '../hookRegistry.js';
import type { TrainerContext } from '../context.js';

/**
 * batchEnd hook: ends the fit when the training loss has not improved on its best by more than `delta`
 * for `patience` steps in a row. State lives in `ctx.scratch`, so it restarts with every fit.
 */
export function earlyStopHook(patience: number, delta = 0): Hook<TrainerContext> {
  return (ctx) => {
    const loss = ctx.metrics!.loss;
    const best = (ctx.scratch.earlyStopBest as number | undefined) ?? Infinity;
    if (loss < best - delta) {
      ctx.scratch.earlyStopBest = loss;
      ctx.scratch.earlyStopWait = 0;
      return;
    }
    const wait = ((ctx.scratch.earlyStopWait as number | undefined) ?? 0) + 1;
    ctx.scratch.earlyStopWait = wait;
    if (wait >= patience) ctx.stop = true;
  };
}
