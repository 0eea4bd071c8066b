/** The hook-based local trainer and its built-in hooks. */
export { Trainer, type FitOptions } from './Trainer.js';
export { HookRegistry, TRIGGERS, type Hook, type Position, type Trigger } from './hookRegistry.js';
export type { FitResults, LossTerms, TrainerContext } from './context.js';
export { BatchSource, type BatchCursor, type BatchSourceOptions, type StepBatch } from './batchSource.js';
export { scheduledLr, type ScheduleOptions, type ScheduleType } from './schedules.js';
export { lrScheduleHook } from './hooks/lrSchedule.js';
export { loggingHook, type StepLog } from './hooks/logging.js';
export { addFedProx } from './hooks/fedProx.js';
export { addPFedMe, type PFedMeOptions } from './hooks/pfedme.js';
export { addCheckpointing } from './hooks/checkpoint.js';
export { earlyStopHook } from './hooks/earlyStop.js';
export { offloadHook, type OffloadedState } from './hooks/offload.js';
