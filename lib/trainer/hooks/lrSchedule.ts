import { scheduledLr, type ScheduleOptions } from '../schedules.js';
import type { Hook } from '../hookRegistry.js';
import type { TrainerContext } from '../context.js';

/**
 * batchStart hook: sets `ctx.lr` from a schedule over the whole run. A federated client's fit of round r
 * covers steps (r−1)·fitSteps … r·fitSteps−1 of `runSteps`, so the schedule spans rounds, not one fit.
 */
export function lrScheduleHook(base: number, schedule: ScheduleOptions, runSteps: number): Hook<TrainerContext> {
  return (ctx) => {
    const position = Math.max(0, ctx.round - 1) * ctx.totalSteps + ctx.step;
    ctx.lr = scheduledLr(base, position, runSteps, schedule);
  };
}
