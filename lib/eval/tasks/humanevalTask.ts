/**
 * HumanEval / HumanEval-X as a task: the first `limit` tasks of the file, `samples` completions per task
 * sampled as the reference (temperature 0.1, top-k 40, top-p 0.75, 128 new tokens), cleaned as the reference
 * (`cleanCompletion`), each run through the program runner (the sandbox, several at a time); the mean pass@k over the tasks. The per-sample results are human-eval's `_results.jsonl` rows.
 *
 * Programs run while the model generates (at most one per core at a time; starting them is safe during
 * native compute, see csrc/core/fork_gate.h). A sample's completion is journaled as soon as it is generated
 * and its result once it has run, so a stop between the two reruns the program, never the generation.
 */
import os from 'node:os';

import { locateBenchmark, type BenchmarkName } from '../benchmarkFiles.js';
import { generateCompletions, type EvalModel } from '../generateCompletions.js';
import { humanEvalPrompt, readCompletions, readHumanEval, HUMANEVAL_STOP_STRINGS, type HumanEvalTask } from '../humaneval.js';
import { cleanCompletion } from '../humanevalCleanup.js';
import type { ProgramRunner } from '../programRunner.js';
import type { ResolvedHumanEval } from '../resolveTaskSpec.js';
import { runHumanEval, summarizeHumanEval, type HumanEvalResultRow } from '../runHumanEval.js';
import { RunQueue } from './RunQueue.js';
import { firstN, generatedFields, journalNumber, journalString, type TaskContext, type TaskOutcome } from './taskContext.js';

/** Generates and runs the samples the journal lacks; takes the others from it. */
export async function runHumanEvalTask(model: EvalModel, spec: ResolvedHumanEval, ctx: TaskContext): Promise<TaskOutcome> {
  const all = await readHumanEval(await locateBenchmark(benchmarkOf(spec), ctx.files));
  const tasks = firstN(all, spec.limit);
  const journal = await ctx.openJournal({ items: all.length });
  const runner = ctx.runner();
  const fields = (index: number, sample: number) => journal.get(index, sample);
  const samples = tasks.flatMap((_, index) => Array.from({ length: spec.samples }, (__, sample) => ({ index, sample })));
  const scored = samples.filter(({ index, sample }) => fields(index, sample)?.['passed'] !== undefined).length;
  ctx.startProgress(samples.length, scored);

  const queue = new RunQueue(os.availableParallelism());
  const score = (index: number, sample: number, completion: string) =>
    queue.add(async () => {
      const [row] = await runOne(tasks[index]!, completion, runner, ctx.signal);
      await journal.add(index, sample, { passed: row!.passed, result: row!.result });
      ctx.stepProgress();
    });
  const generated = (index: number, sample: number) => typeof fields(index, sample)?.['completion'] === 'string';
  const todo = tasks.map((_, index) => index).filter((index) => samples.some((s) => s.index === index && !generated(index, s.sample)));
  try {
    // Samples generated but not run (a stop came between) first; then each new sample is queued the moment
    // it is generated, so programs run while the model goes on generating.
    for (const { index, sample } of samples) {
      if (generated(index, sample) && fields(index, sample)?.['passed'] === undefined) await score(index, sample, journalString(fields(index, sample)?.['completion']));
    }
    await generateCompletions(
      model,
      todo.map((index) => humanEvalPrompt(tasks[index]!)),
      {
        maxNewTokens: spec.maxNewTokens,
        temperature: spec.temperature,
        topK: spec.topK,
        topP: spec.topP,
        stop: HUMANEVAL_STOP_STRINGS[spec.language],
        numReturnSequences: spec.samples,
        keys: todo,
        skip: (i, sample) => generated(todo[i]!, sample),
        seed: ctx.seed,
        batchSize: ctx.batchSize,
        signal: ctx.signal,
        onRow: async (row) => {
          const index = todo[row.index]!;
          const completion = cleanCompletion(tasks[index]!, row.text);
          await journal.add(index, row.sample, generatedFields(row, completion));
          await score(index, row.sample, completion);
        },
      },
    );
    await queue.drain();
  } finally {
    await queue.settle();
  }
  const rows = samples.map(({ index, sample }): HumanEvalResultRow & { tokens: number } => {
    const f = fields(index, sample)!;
    return { task_id: tasks[index]!.taskId, completion: journalString(f['completion']), passed: f['passed'] === true, result: journalString(f['result']), tokens: journalNumber(f['tokens']) };
  });
  return { ...humanEvalOutcome(rows, spec.k), resumed: scored };
}

/** Runs human-eval style `{task_id, completion}` rows of `file` (several rows of a task are several samples). */
export async function scoreHumanEvalCompletions(spec: ResolvedHumanEval, file: string, ctx: TaskContext): Promise<TaskOutcome> {
  const all = await readHumanEval(await locateBenchmark(benchmarkOf(spec), ctx.files));
  const samples = await readCompletions(file);
  const runner = ctx.runner();
  ctx.startProgress(samples.length, 0);
  const rows = await runHumanEval(all, samples, runner, {
    concurrency: os.availableParallelism(),
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    onResult: () => ctx.stepProgress(),
  });
  return { ...humanEvalOutcome(rows, spec.k), resumed: 0 };
}

/** The benchmark file of a HumanEval spec. */
export function benchmarkOf(spec: Pick<ResolvedHumanEval, 'suite' | 'language'>): BenchmarkName {
  return spec.suite === 'humaneval' ? 'humaneval' : `humaneval-x:${spec.language}`;
}

function runOne(task: HumanEvalTask, completion: string, runner: ProgramRunner, signal: AbortSignal | undefined): Promise<HumanEvalResultRow[]> {
  return runHumanEval([task], [{ task_id: task.taskId, completion }], runner, signal === undefined ? {} : { signal });
}

function humanEvalOutcome(rows: readonly (HumanEvalResultRow & { tokens?: number })[], ks: readonly number[]): Omit<TaskOutcome, 'resumed'> {
  const summary = summarizeHumanEval(rows, ks);
  return {
    n: summary.tasks.length,
    metrics: summary.passAtK,
    generatedTokens: rows.reduce((sum, r) => sum + (r.tokens ?? 0), 0),
    details: { items: rows, tasks: summary.tasks },
  };
}
