/**
 * The hook-based local trainer: a loop of named hooks around one native call per optimizer step.
 * Everything policy-like (schedules, FedProx, logging, checkpoints, early stop, offload) is a hook.
 */
import { fsllmError, invalidArg } from '../errors/index.js';
import type { Model, Precision, TrainSession } from '../native/index.js';
import type { BatchSource } from './batchSource.js';
import type { FitResults, TrainerContext } from './context.js';
import { HookRegistry } from './hookRegistry.js';

export interface FitOptions {
  model: Model;
  session: TrainSession;
  data: BatchSource;
  /** Optimizer steps to run. */
  steps: number;
  /** Base learning rate (an LR schedule hook may change it per step). */
  lr: number;
  precision?: Precision;
  maxGradNorm?: number;
  /** Recompute each block in backward instead of keeping its activations (TrainSession's option). */
  checkpointActivations?: boolean;
  signal?: AbortSignal;
  round?: number;
  clientId?: number;
}

/**
 * Runs local fits. Default hooks: `fitStart/reset`, `batchStart/nextBatch`, `batchForward/trainStep`
 * (forward, backward and optimizer step in one native call, with the declared loss terms),
 * `batchEnd/collect`. Add, replace or remove hooks through `hooks`.
 * @example
 * const trainer = new Trainer();
 * trainer.hooks.register('batchStart', 'lr', lrScheduleHook(3e-4, { type: 'cosine', warmupSteps: 10 }, 300));
 * const results = await trainer.fit({ model, session, data, steps: 30, lr: 3e-4 });
 */
export class Trainer {
  readonly hooks = new HookRegistry<TrainerContext>();

  constructor() {
    this.hooks
      .register('fitStart', 'reset', (ctx) => {
        ctx.results = { steps: 0, samples: 0, targetTokens: 0, lossSum: 0, ms: 0, skippedSteps: 0 };
      })
      .register('batchStart', 'nextBatch', (ctx) => {
        ctx.batch = ctx.data.next();
      })
      .register('batchForward', 'trainStep', async (ctx) => {
        if (!ctx.batch) throw fsllmError('ERR_FSLLM_INVALID_ARG', 'No batch to train on: a batchStart hook must set ctx.batch');
        ctx.metrics = await ctx.session.trainStep(ctx.batch.micro, {
          lr: ctx.lr,
          maxGradNorm: ctx.maxGradNorm,
          checkpointActivations: ctx.checkpointActivations,
          precision: ctx.precision,
          proximalMu: ctx.lossTerms.proximalMu,
          proximalMode: ctx.lossTerms.proximalMode,
          signal: ctx.signal,
        });
      })
      .register('batchEnd', 'collect', (ctx) => {
        const m = ctx.metrics!;
        const r = ctx.results;
        r.steps += 1;
        r.samples += ctx.batch!.samples;
        r.targetTokens += m.targetTokens;
        r.lossSum += m.loss;
        r.ms += m.ms;
        if (m.skipped) r.skippedSteps += 1;
      });
  }

  /** Runs `steps` optimizer steps (fewer if a hook sets `ctx.stop`) and returns what they did. */
  async fit(options: FitOptions): Promise<FitResults> {
    if (!Number.isInteger(options.steps) || options.steps < 1) throw invalidArg('steps', 'a positive integer', options.steps);
    if (!(options.lr >= 0)) throw invalidArg('lr', 'a non-negative number', options.lr);
    const ctx: TrainerContext = {
      model: options.model,
      session: options.session,
      data: options.data,
      totalSteps: options.steps,
      precision: options.precision ?? 'fp32',
      maxGradNorm: options.maxGradNorm ?? 0,
      checkpointActivations: options.checkpointActivations ?? false,
      signal: options.signal,
      round: options.round ?? 0,
      clientId: options.clientId ?? 0,
      step: 0,
      epoch: 0,
      lr: options.lr,
      lossTerms: { proximalMu: 0, proximalMode: 'params' },
      batch: null,
      metrics: null,
      stop: false,
      results: { steps: 0, samples: 0, targetTokens: 0, lossSum: 0, ms: 0, skippedSteps: 0 },
      scratch: {},
    };
    const aborted = () => {
      if (ctx.signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'The local fit was aborted');
    };
    await this.hooks.run('fitStart', ctx);
    while (ctx.step < ctx.totalSteps && !ctx.stop) {
      await this.hooks.run('epochStart', ctx);
      do {
        aborted();
        await this.hooks.run('batchStart', ctx);
        await this.hooks.run('batchForward', ctx);
        await this.hooks.run('batchBackward', ctx);
        await this.hooks.run('batchEnd', ctx);
        ctx.step += 1;
      } while (ctx.step < ctx.totalSteps && !ctx.stop && !ctx.data.atEpochEnd);
      await this.hooks.run('epochEnd', ctx);
      ctx.epoch += 1;
    }
    await this.hooks.run('fitEnd', ctx);
    return ctx.results;
  }
}
