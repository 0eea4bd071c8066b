/**
 * What an evaluation task is asked to do (`eval.tasks` in a run, `fsllm eval --task` on the command line)
 * and what it reports. One shape for both callers, so a task scored inside the federated loop and the same
 * task scored by hand mean the same thing.
 */
import type { HumanEvalLanguage } from './programRunner.js';

/** GSM8K accuracy: FS-LLM's 8-shot chain of thought (`style: 'cot'`) or FedBiOT's zero-shot Alpaca prompt. */
export interface Gsm8kTaskSpec {
  type: 'gsm8k';
  style?: 'cot' | 'alpaca';
  /** Exemplars 0..8; default 8 for 'cot', 0 for 'alpaca'. */
  shots?: number;
  /** The first `limit` problems of the test file (default all 1,319). */
  limit?: number;
  /** Default 256 (the reference's). */
  maxNewTokens?: number;
}

/** HumanEval (Python) or HumanEval-X in one language: pass@k of `samples` completions per task. */
export interface HumanEvalTaskSpec {
  type: 'humaneval';
  /** 'python' with `suite: 'humaneval'` (default) is OpenAI's file; any language with 'humaneval-x' is CodeGeeX's. */
  suite?: 'humaneval' | 'humaneval-x';
  language?: HumanEvalLanguage;
  /** Completions per task (default 5, the reference's). */
  samples?: number;
  /** Which pass@k to report (default [1]); each k ≤ samples. */
  k?: number[];
  limit?: number;
  /** Default 128 (the reference's). */
  maxNewTokens?: number;
  /** Sampling as the reference: temperature 0.1, top-k 40, top-p 0.75 (greedy when samples is 1 and temperature 0). */
  temperature?: number;
}

/** MMLU accuracy by next-token logits over A-D, 5-shot per subject. */
export interface MmluTaskSpec {
  type: 'mmlu';
  shots?: number;
  /** Questions taken round-robin over the 57 subjects (default all 14,042). */
  limit?: number;
}

/**
 * ROUGE-L F1 of greedy responses against the references of an instruction data set: Dolly by default; in the
 * federated loop each client's own test split.
 */
export interface RougeTaskSpec {
  type: 'rouge';
  limit?: number;
  /** Default 128. */
  maxNewTokens?: number;
}

export type TaskSpec = Gsm8kTaskSpec | HumanEvalTaskSpec | MmluTaskSpec | RougeTaskSpec;
export type TaskType = TaskSpec['type'];
export const TASK_TYPES: readonly TaskType[] = Object.freeze(['gsm8k', 'humaneval', 'mmlu', 'rouge']);

/** What one task reports: its headline metrics (e.g. `{ accuracy }`, `{ 'pass@1' }`, `{ rougeL }`) and costs. */
export interface TaskScore {
  /** The task's name in records and `eval.bestBy`: `gsm8k`, `humaneval`, `humaneval-x:cpp`, `mmlu`, `rouge`. */
  task: string;
  /** Items scored (problems, tasks, questions, responses). */
  n: number;
  metrics: Record<string, number>;
  /**
   * Tokens generated for this score (0 for MMLU, which does not generate), counting items restored from a
   * journal as well, so a resumed evaluation reports what an uninterrupted one would.
   */
  generatedTokens: number;
  /** Wall time of this call (a resumed evaluation counts only its own part). */
  seconds: number;
  /** Items taken from the evaluation journal instead of being redone (absent when there was none). */
  resumed?: number;
}

/** A task's name in records, `eval.bestKey` and `fsllm eval`: `humaneval-x:cpp` for HumanEval-X, else its type. */
export function taskName(spec: TaskSpec): string {
  if (spec.type === 'humaneval' && spec.suite === 'humaneval-x') return `humaneval-x:${spec.language ?? 'python'}`;
  return spec.type;
}

/** The metrics a task reports, by name (`eval.bestKey` may name `<task>.<metric>`); all are higher-is-better. */
export function taskMetricNames(spec: TaskSpec): string[] {
  switch (spec.type) {
    case 'gsm8k': return ['accuracy'];
    case 'humaneval': return (spec.k ?? [1]).map((k) => `pass@${k}`);
    case 'mmlu': return ['accuracy', 'macroAccuracy'];
    case 'rouge': return ['rougeL'];
  }
}
