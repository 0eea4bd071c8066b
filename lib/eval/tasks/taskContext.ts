/**
 * What `evaluateTask` and `scoreCompletions` hand each task adapter, and what an adapter hands back. The
 * adapters (one file per task) decide prompts, decoding and scoring; everything they share (journal,
 * progress, cancellation, the sandbox, where files are) comes through here.
 */
import type { InstructionRecord } from '../../data/instruction.js';
import type { BenchmarkFileOptions } from '../benchmarkFiles.js';
import type { EvalJournal, JournalFields } from '../EvalJournal.js';
import type { CompletionRow } from '../generateCompletions.js';
import type { ProgramRunner } from '../programRunner.js';

export interface TaskContext {
  /** The task's name (`taskName`). */
  task: string;
  /** Seeds exemplar order, sampling and data-set selection. */
  seed: number;
  /** Prompts generated together. */
  batchSize: number;
  files: BenchmarkFileOptions;
  signal: AbortSignal | undefined;
  /** Rouge: score these records instead of the data set (e.g. a client's held-out split). */
  instructions: readonly InstructionRecord[] | undefined;
  /**
   * Opens the journal for this task; `setting` is what decides the items besides the spec, the seed and the
   * model (e.g. the number of items in the file). Closed by the caller of the adapter.
   */
  openJournal(setting: Record<string, unknown>): Promise<EvalJournal>;
  /** The program runner (made on first use: a task that runs no code starts no sandbox). */
  runner(): ProgramRunner;
  /** `total` units of work, `done` of them already finished (from the journal). */
  startProgress(total: number, done: number): void;
  /** One more unit finished. */
  stepProgress(): void;
}

/** What a task adapter reports: its headline metrics, plus the detail files for an output folder. */
export interface TaskOutcome {
  n: number;
  metrics: Record<string, number>;
  generatedTokens: number;
  /** Items restored from the journal instead of being redone. */
  resumed: number;
  /** File suffix (after `<task>.`) → JSONL rows (an array) or one JSON document. */
  details: Record<string, readonly object[] | object>;
}

/** `items` limited to the first `limit` (all when null). */
export function firstN<T>(items: readonly T[], limit: number | null): T[] {
  return limit === null ? [...items] : items.slice(0, limit);
}

/** A number read back from a journal line (the journal holds what this code wrote). */
export function journalNumber(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** What a detail row shows of a generated item: its completion and {@link generatedFields}. */
export interface GeneratedDetail {
  index: number;
  completion: string;
  tokens: number;
  finishReason: string;
  cutTokens?: number;
}

/** The {@link GeneratedDetail} of item `index` from its journal fields. */
export function generatedDetail(index: number, fields: JournalFields): GeneratedDetail {
  const cut = journalNumber(fields['cutTokens']);
  return {
    index,
    completion: journalString(fields['completion']),
    tokens: journalNumber(fields['tokens']),
    finishReason: journalString(fields['finishReason']),
    ...(cut > 0 ? { cutTokens: cut } : {}),
  };
}

/** A string read back from a journal line. */
export function journalString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The journal fields of a generated row: the completion as scored, and what generating it cost. */
export function generatedFields(row: CompletionRow, completion: string = row.text): JournalFields {
  return { completion, tokens: row.ids.length, finishReason: row.finishReason, ...(row.cutTokens > 0 ? { cutTokens: row.cutTokens } : {}) };
}
