/**
 * GSM8K as a task: the first `limit` problems of the test file, the reference prompt (`gsm8kPrompt`), greedy
 * generation up to the style's stop string, the reference grading; accuracy over the problems.
 */
import { locateBenchmark } from '../benchmarkFiles.js';
import { generateCompletions, type EvalModel } from '../generateCompletions.js';
import { gradeGsm8k, gsm8kPrompt, GSM8K_STOP_STRINGS, readGsm8k, type Gsm8kItem } from '../gsm8k.js';
import { accuracy } from '../metrics.js';
import { readIndexedCompletions } from '../readIndexedCompletions.js';
import type { ResolvedGsm8k } from '../resolveTaskSpec.js';
import { firstN, generatedDetail, generatedFields, type TaskContext, type TaskOutcome } from './taskContext.js';

/** Generates and grades the problems the journal lacks; grades the others from it. */
export async function runGsm8kTask(model: EvalModel, spec: ResolvedGsm8k, ctx: TaskContext): Promise<TaskOutcome> {
  const all = await readGsm8k(await locateBenchmark('gsm8k', ctx.files));
  const items = firstN(all, spec.limit);
  const journal = await ctx.openJournal({ items: all.length });
  const todo = items.filter((item) => journal.get(item.index) === undefined);
  ctx.startProgress(items.length, items.length - todo.length);
  await generateCompletions(
    model,
    todo.map((item) => gsm8kPrompt(item, { style: spec.style, shots: spec.shots, seed: ctx.seed })),
    {
      maxNewTokens: spec.maxNewTokens,
      stop: GSM8K_STOP_STRINGS[spec.style],
      keys: todo.map((item) => item.index),
      seed: ctx.seed,
      batchSize: ctx.batchSize,
      signal: ctx.signal,
      onRow: async (row) => {
        await journal.add(todo[row.index]!.index, 0, generatedFields(row));
        ctx.stepProgress();
      },
    },
  );
  const done = items.map((item) => generatedDetail(item.index, journal.get(item.index)!));
  return { ...gsm8kOutcome(all, done), resumed: items.length - todo.length };
}

/** Grades `{index, completion}` rows of `file` (indices into the test file). */
export async function scoreGsm8kCompletions(file: string, ctx: TaskContext): Promise<TaskOutcome> {
  const all = await readGsm8k(await locateBenchmark('gsm8k', ctx.files));
  const rows = await readIndexedCompletions(file, all.length);
  ctx.startProgress(rows.length, rows.length);
  return { ...gsm8kOutcome(all, rows), resumed: 0 };
}

function gsm8kOutcome(all: readonly Gsm8kItem[], done: readonly { index: number; completion: string; tokens?: number }[]): Omit<TaskOutcome, 'resumed'> {
  const rows = done.map((d) => ({ ...d, ...gradeGsm8k(d.completion, all[d.index]!) }));
  return {
    n: rows.length,
    metrics: { accuracy: accuracy(rows.map((r) => r.correct)).accuracy },
    generatedTokens: rows.reduce((sum, r) => sum + (r.tokens ?? 0), 0),
    details: { items: rows },
  };
}
