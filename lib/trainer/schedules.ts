/** Learning-rate schedules as pure functions of the step (HF transformers' get_*_schedule_with_warmup shapes). */

export type ScheduleType = 'constant' | 'linear' | 'cosine';

export interface ScheduleOptions {
  type: ScheduleType;
  /** Steps of linear warm-up from 0 to the base rate. */
  warmupSteps: number;
}

/**
 * The learning rate at 0-based `step` of `totalSteps`: linear warm-up, then constant, linear decay to 0,
 * or half a cosine to 0.
 */
export function scheduledLr(base: number, step: number, totalSteps: number, options: ScheduleOptions): number {
  const { type, warmupSteps } = options;
  if (step < warmupSteps) return (base * (step + 1)) / (warmupSteps + 1);
  if (type === 'constant') return base;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return type === 'linear' ? base * (1 - progress) : base * 0.5 * (1 + Math.cos(Math.PI * progress));
}
