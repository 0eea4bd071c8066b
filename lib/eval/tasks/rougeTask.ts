/**
 * ROUGE-L of greedy responses to an instruction data set (Dolly-15k by default; the `instructions` option
 * gives others, e.g. a client's held-out split in the federated loop, see lib/fl/serverTasks.ts): each record
 * is prompted with the Alpaca template exactly as training formats it (`alpacaPrompt`: instruction, and
 * context as the input when it is not empty), the response is generated up to EOS or the start of a new
 * template section, and scored against the record's response with rouge-score's ROUGE-L F1; the metric is the
 * mean F1.
 *
 * Which records: the data set's rows (in file order, index = row) shuffled by the seed (Fisher-Yates, see
 * `shuffled`), the first `limit` of that order; all of them without a limit. A seed therefore picks the same
 * rows for every model, and a larger limit extends a smaller one.
 */
import { alpacaPrompt } from '../../data/alpacaTemplate.js';
import type { InstructionRecord } from '../../data/instruction.js';
import { mixSeed, shuffled } from '../../util/random.js';
import { readDollyRecords } from '../benchmarkFiles.js';
import { generateCompletions, type EvalModel } from '../generateCompletions.js';
import { readIndexedCompletions } from '../readIndexedCompletions.js';
import type { ResolvedRouge } from '../resolveTaskSpec.js';
import { meanRougeL } from '../rougeL.js';
import { generatedDetail, generatedFields, type TaskContext, type TaskOutcome } from './taskContext.js';

/**
 * Where a response ends if the model goes on to write the template's next section (a model trained with
 * this template ends its response with EOS; the base model often does not).
 */
export const ROUGE_STOP_STRINGS: readonly string[] = Object.freeze(['\n### Instruction', '\n### Input', '\n### Response']);

// Salt of the row shuffle, so that it differs from other uses of the same seed.
const SELECTION = 0x726f75;

/** Generates the responses the journal lacks and scores every selected record. */
export async function runRougeTask(model: EvalModel, spec: ResolvedRouge, ctx: TaskContext): Promise<TaskOutcome> {
  const { records } = await rougeRecords(ctx);
  const chosen = selectRows(records.length, spec.limit, ctx.seed);
  // The row count tells the full data set, the sample and a given split apart; the path may change between runs.
  const journal = await ctx.openJournal({ items: records.length, records: ctx.instructions === undefined ? 'dolly-15k' : 'instructions option' });
  const todo = chosen.filter((index) => journal.get(index) === undefined);
  ctx.startProgress(chosen.length, chosen.length - todo.length);
  await generateCompletions(
    model,
    todo.map((index) => alpacaPrompt(records[index]!)),
    {
      maxNewTokens: spec.maxNewTokens,
      stop: ROUGE_STOP_STRINGS,
      keys: todo,
      seed: ctx.seed,
      batchSize: ctx.batchSize,
      signal: ctx.signal,
      onRow: async (row) => {
        await journal.add(todo[row.index]!, 0, generatedFields(row));
        ctx.stepProgress();
      },
    },
  );
  const done = chosen.map((index) => generatedDetail(index, journal.get(index)!));
  return { ...rougeOutcome(records, done), resumed: chosen.length - todo.length };
}

/** Scores `{index, completion}` rows of `file` (indices into the data set's rows). */
export async function scoreRougeCompletions(file: string, ctx: TaskContext): Promise<TaskOutcome> {
  const { records } = await rougeRecords(ctx);
  const rows = await readIndexedCompletions(file, records.length);
  ctx.startProgress(rows.length, rows.length);
  return { ...rougeOutcome(records, rows), resumed: 0 };
}

/**
 * Row indices of a data set of `size` rows: a seeded shuffle, the first `limit`.
 * @example selectRows(320, 5, 0) // five distinct row numbers below 320
 */
export function selectRows(size: number, limit: number | null, seed: number): number[] {
  const order = shuffled([...Array(size).keys()], mixSeed(seed, SELECTION));
  return limit === null ? order : order.slice(0, limit);
}

async function rougeRecords(ctx: TaskContext): Promise<{ records: readonly InstructionRecord[] }> {
  return ctx.instructions !== undefined ? { records: ctx.instructions } : readDollyRecords(ctx.files);
}

function rougeOutcome(
  records: readonly InstructionRecord[],
  done: readonly { index: number; completion: string; tokens?: number }[],
): Omit<TaskOutcome, 'resumed'> {
  const { scores, mean } = meanRougeL(done.map((d) => ({ target: records[d.index]!.output, prediction: d.completion })));
  const rows = done.map((d, i) => ({ ...d, reference: records[d.index]!.output, ...scores[i]! }));
  return {
    n: rows.length,
    metrics: { rougeL: mean.fmeasure },
    generatedTokens: rows.reduce((sum, r) => sum + (r.tokens ?? 0), 0),
    details: { items: rows },
  };
}
