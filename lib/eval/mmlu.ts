/**
 * MMLU (Hendrycks et al. 2021, 57 subjects, four choices), the model-free half: the test file, which items
 * serve as each question's exemplars, a subject-balanced subset, and the accuracies. Prompts are in
 * mmluPrompt.ts, the scoring loop (model logits in, predictions out) in runMmlu.ts.
 *
 * Reference: FS-LLM `federatedscope/llm/eval/eval_for_mmlu/eval.py` (after hendrycks/test `evaluate_flan.py`).
 */
import { fsllmError } from '../errors/index.js';
import { mixSeed, shuffled } from '../util/random.js';
import { accuracy, mean } from './metrics.js';
import { readJsonRows } from './readJsonRows.js';

/** The answer letters, in the order of the logits a scorer returns. */
export const MMLU_CHOICES = Object.freeze(['A', 'B', 'C', 'D'] as const);
/** One answer letter. */
export type MmluChoice = (typeof MMLU_CHOICES)[number];

/** One question; `index` is its 0-based row in the file. */
export interface MmluItem {
  index: number;
  /** The subject in words, e.g. 'college chemistry' (the file's `topic`). */
  subject: string;
  question: string;
  choices: [string, string, string, string];
  answer: MmluChoice;
}

/**
 * Reads the MMLU JSONL file (shared/datasets/mmlu: keys `question`, `answer_a`..`answer_d`,
 * `correct_answer` (A-D), `topic`).
 * @throws `ERR_FSLLM_DATA` for an unreadable file, a malformed row or an answer that is not A-D.
 */
export async function readMmlu(file: string): Promise<MmluItem[]> {
  const rows = await readJsonRows(file, ['question', 'answer_a', 'answer_b', 'answer_c', 'answer_d', 'correct_answer', 'topic']);
  return rows.map((row, index) => {
    const answer = row.correct_answer.trim();
    if (!(MMLU_CHOICES as readonly string[]).includes(answer)) {
      throw fsllmError('ERR_FSLLM_DATA', `${file} line ${row.line}: "correct_answer" must be one of A, B, C, D but is ${JSON.stringify(row.correct_answer)}`, { path: file });
    }
    return {
      index,
      subject: row.topic,
      question: row.question,
      choices: [row.answer_a, row.answer_b, row.answer_c, row.answer_d],
      answer: answer as MmluChoice,
    };
  });
}

/**
 * Each item's exemplars, by item index. The reference takes the first 5 rows of the subject's dev split for
 * every question; the shared file has only the test split, so each subject gets a seeded shuffle of its own
 * items by index (seeded by `seed` and the subject's name: independent of other subjects and of the order
 * `items` come in), and a question's exemplars are the first `shots` of that order other than itself: the
 * same for nearly every question of a subject, as a dev split would be, and never the question asked.
 * @param items The whole file (exemplars may come from items outside a `limit`).
 * @param shots Exemplars per question (the reference's 5); fewer when the subject has fewer other items.
 * @returns Item index → its exemplars, in prompt order.
 */
export function mmluShots(items: readonly MmluItem[], shots = 5, seed = 0): Map<number, MmluItem[]> {
  const out = new Map<number, MmluItem[]>();
  for (const [subject, members] of bySubject(items)) {
    const order = shuffled([...members].sort((a, b) => a.index - b.index), mixSeed(seed, stringHash(subject)));
    const head = order.slice(0, shots + 1);
    for (const item of members) out.set(item.index, head.filter((other) => other !== item).slice(0, shots));
  }
  return out;
}

/**
 * Up to `limit` items spread over the subjects: subjects in alphabetical order take turns, each giving its
 * items in file order, so a small limit still covers every subject. `limit` ≥ the size returns every item.
 */
export function mmluSubset(items: readonly MmluItem[], limit: number): MmluItem[] {
  const queues = [...bySubject(items)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, members]) => members);
  const out: MmluItem[] = [];
  for (let round = 0; out.length < limit && queues.some((q) => round < q.length); round++) {
    for (const queue of queues) {
      if (out.length >= limit) break;
      if (round < queue.length) out.push(queue[round]!);
    }
  }
  return out;
}

/** One scored question. */
export interface MmluResult {
  index: number;
  subject: string;
  prediction: MmluChoice;
  answer: MmluChoice;
  correct: boolean;
  /** Exemplars the prompt kept within the token budget. */
  shots: number;
}

/** Accuracy of one subject. */
export interface MmluSubjectScore {
  n: number;
  correct: number;
  accuracy: number;
}

/**
 * Accuracy per subject; `micro` over all questions (the reference's "weighted accuracy") and `macro` the
 * plain mean of the subjects' accuracies.
 */
export function summarizeMmlu(results: readonly Pick<MmluResult, 'subject' | 'correct'>[]): {
  subjects: Record<string, MmluSubjectScore>;
  micro: number;
  macro: number;
  n: number;
} {
  const flags = new Map<string, boolean[]>();
  for (const r of results) {
    const list = flags.get(r.subject) ?? [];
    list.push(r.correct);
    flags.set(r.subject, list);
  }
  const subjects: Record<string, MmluSubjectScore> = {};
  for (const subject of [...flags.keys()].sort()) subjects[subject] = accuracy(flags.get(subject)!);
  const all = accuracy(results.map((r) => r.correct));
  return { subjects, micro: all.accuracy, macro: mean(Object.values(subjects).map((s) => s.accuracy)), n: all.n };
}

function bySubject(items: readonly MmluItem[]): Map<string, MmluItem[]> {
  const groups = new Map<string, MmluItem[]>();
  for (const item of items) {
    const list = groups.get(item.subject) ?? [];
    list.push(item);
    groups.set(item.subject, list);
  }
  return groups;
}

/** 32-bit FNV-1a of the UTF-16 code units: a stable number per subject name. */
function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
