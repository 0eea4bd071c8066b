/**
 * Scores a model on one benchmark task (`TaskSpec`): GSM8K accuracy, HumanEval / HumanEval-X pass@k, MMLU
 * accuracy, ROUGE-L of Dolly responses. The task adapters (lib/eval/tasks/) build the reference prompts,
 * generate (lib/eval/generateCompletions.ts) or read next-token logits, and score; this file checks the
 * arguments and picks the adapter.
 */
import { invalidArg } from '../errors/index.js';
import type { EvalModel } from './generateCompletions.js';
import { resolveTaskSpec } from './resolveTaskSpec.js';
import { checkTaskRunOptions, runTask, type TaskRunOptions } from './taskHarness.js';
import { runGsm8kTask } from './tasks/gsm8kTask.js';
import { runHumanEvalTask } from './tasks/humanevalTask.js';
import { runMmluTask } from './tasks/mmluTask.js';
import { runRougeTask } from './tasks/rougeTask.js';
import { taskName, type TaskScore, type TaskSpec } from './taskSpec.js';

/** Options of {@link evaluateTask}. */
export interface EvaluateTaskOptions extends TaskRunOptions {
  /**
   * Names the model and adapter in the journal, whose items are refused for another one. Default the model's
   * `source` (its path); set it when an adapter is loaded, e.g. to the adapter's folder.
   */
  modelId?: string;
}

/**
 * Evaluates `model` on `spec`: loads the benchmark (options.dataRoot first, then the download cache or a
 * download; options.sample for the committed samples), takes the first `limit` items (MMLU: spread over the
 * subjects; Dolly: seeded), generates greedily unless the spec samples (HumanEval), scores, and returns the
 * metrics: gsm8k `{accuracy}`, humaneval `{'pass@k'...}`, mmlu `{accuracy, macroAccuracy}`, rouge `{rougeL}`.
 * @param model A loaded `Model` (with its adapter, if any), or anything with its config, tokenizer, generate and logits.
 * @throws `ERR_FSLLM_INVALID_ARG` (synchronously) naming a bad spec field or option.
 * @throws (rejects) `ERR_FSLLM_DATA` when a benchmark file is missing or malformed; `ERR_FSLLM_ABORTED` when
 *   `signal` aborts; `ERR_FSLLM_UNSUPPORTED` for HumanEval without a way to run programs; a journal of
 *   another setting is refused with `ERR_FSLLM_INVALID_ARG`.
 * @example
 * const score = await evaluateTask(model, { type: 'gsm8k', shots: 8, limit: 200 }, { dataRoot: '/data', journal: 'gsm8k.journal.jsonl' });
 * score.metrics.accuracy;
 */
export function evaluateTask(model: EvalModel, spec: TaskSpec, options: EvaluateTaskOptions = {}): Promise<TaskScore> {
  // Validate
  const resolved = resolveTaskSpec(spec);
  checkTaskRunOptions(options, resolved);
  if (model === null || typeof model !== 'object' || typeof model.generate !== 'function') throw invalidArg('model', 'a loaded Model', model);
  if (options.modelId !== undefined && typeof options.modelId !== 'string') throw invalidArg('modelId', 'a string', options.modelId);
  const modelId = options.modelId ?? (model as { source?: unknown }).source;
  // Interpret
  return runTask(taskName(spec), resolved, options, typeof modelId === 'string' ? modelId : 'model', (ctx) => {
    switch (resolved.type) {
      case 'gsm8k':
        return runGsm8kTask(model, resolved, ctx);
      case 'humaneval':
        return runHumanEvalTask(model, resolved, ctx);
      case 'mmlu':
        return runMmluTask(model, resolved, ctx);
      case 'rouge':
        return runRougeTask(model, resolved, ctx);
    }
  });
}
