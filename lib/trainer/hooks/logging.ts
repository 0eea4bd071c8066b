import type { Hook } from '../hookRegistry.js';
import type { TrainerContext } from '../context.js';

/** What the logging hook reports after a step. */
export interface StepLog {
  round: number;
  clientId: number;
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  proximal: number;
  ms: number;
}

/** batchEnd hook: calls `log` every `every` steps and on the last step of the fit. */
export function loggingHook(log: (entry: StepLog) => void, every = 1): Hook<TrainerContext> {
  return (ctx) => {
    const step = ctx.step + 1;
    if (step % every !== 0 && step !== ctx.totalSteps) return;
    const m = ctx.metrics!;
    log({ round: ctx.round, clientId: ctx.clientId, step, totalSteps: ctx.totalSteps, loss: m.loss, lr: ctx.lr, gradNorm: m.gradNorm, proximal: m.proximal, ms: m.ms });
  };
}
