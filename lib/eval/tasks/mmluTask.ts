/**
 * MMLU as a task: `limit` questions spread over the subjects (`mmluSubset`; the whole file in file order
 * without a limit), each scored by `runMmlu` from the model's next-token logits over A-D (no generation),
 * with exemplars from the whole file. Accuracy over all questions (micro) and the mean of the subjects'
 * accuracies (macro); per subject in the detail output.
 *
 * The prompt budget is the reference's 1024 tokens or the model's context if smaller; a bare question still
 * longer than the context is cut from the front (keeping BOS), so its end ("Answer:") stays in view.
 */
import { fsllmError, invalidArg } from '../../errors/index.js';
import { locateBenchmark } from '../benchmarkFiles.js';
import type { EvalModel } from '../generateCompletions.js';
import { MMLU_CHOICES, mmluSubset, readMmlu, summarizeMmlu, type MmluChoice, type MmluResult } from '../mmlu.js';
import { nextTokenLogitsFrom, type NextTokenLogits } from '../nextTokenLogits.js';
import type { ResolvedMmlu } from '../resolveTaskSpec.js';
import { runMmlu } from '../runMmlu.js';
import type { TaskContext, TaskOutcome } from './taskContext.js';

/** Scores the questions the journal lacks and summarises all of them. */
export async function runMmluTask(model: EvalModel, spec: ResolvedMmlu, ctx: TaskContext): Promise<TaskOutcome> {
  const tokenizer = model.tokenizer;
  if (tokenizer === null) throw invalidArg('model', 'a model with a tokenizer (MMLU prompts are text)', null);
  const all = await readMmlu(await locateBenchmark('mmlu', ctx.files));
  const questions = spec.limit === null ? all : mmluSubset(all, spec.limit);
  const journal = await ctx.openJournal({ items: all.length });
  const todo = questions.filter((item) => journal.get(item.index) === undefined);
  ctx.startProgress(questions.length, questions.length - todo.length);
  const maxPositions = model.config.maxPositions;
  const writes: Promise<void>[] = [];
  try {
    await runMmlu(todo, all, tokenizer, withinContext(nextTokenLogitsFrom(model), maxPositions, tokenizer.bosId), {
      shots: spec.shots,
      seed: ctx.seed,
      maxPromptTokens: Math.min(1024, maxPositions),
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      onResults: (results) => {
        for (const r of results) {
          writes.push(journal.add(r.index, 0, { subject: r.subject, prediction: r.prediction, answer: r.answer, correct: r.correct, shots: r.shots }));
          ctx.stepProgress();
        }
      },
    });
  } finally {
    // Results already handed over reach the journal even when scoring stops (an abort rethrows after).
    await Promise.allSettled(writes);
  }
  await Promise.all(writes);
  const results = questions.map((item): MmluResult => {
    const fields = journal.get(item.index)!;
    const prediction = fields['prediction'] as MmluChoice;
    // The journal holds what runMmlu predicted; anything else means the file was edited by hand.
    if (!MMLU_CHOICES.includes(prediction)) throw fsllmError('ERR_FSLLM_DATA', `the evaluation journal's MMLU item ${item.index} has no A-D prediction; delete the journal`);
    return { index: item.index, subject: item.subject, prediction, answer: item.answer, correct: prediction === item.answer, shots: Number(fields['shots'] ?? 0) };
  });
  const summary = summarizeMmlu(results);
  return {
    n: summary.n,
    metrics: { accuracy: summary.micro, macroAccuracy: summary.macro },
    generatedTokens: 0,
    resumed: questions.length - todo.length,
    details: { items: results, subjects: summary.subjects },
  };
}

/** `logits` over prompts cut from the front (after BOS) to the last `maxPositions` tokens. */
function withinContext(logits: NextTokenLogits, maxPositions: number, bosId: number | null): NextTokenLogits {
  return (prompts, candidates) =>
    logits(
      prompts.map((ids) => {
        if (ids.length <= maxPositions) return ids;
        const head = bosId !== null && ids[0] === bosId ? [bosId] : [];
        return [...head, ...ids.slice(ids.length - (maxPositions - head.length))];
      }),
      candidates,
    );
}
