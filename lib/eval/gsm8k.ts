/**
 * GSM8K (grade-school math), the model-free half: the test file, the two reference prompts, the reference
 * answer extraction and grading. Generation is the caller's: it feeds `gsm8kPrompt(...)` to the model
 * (greedy, up to 256 new tokens in the reference), stopping at `GSM8K_STOP_STRINGS[style]`, and hands each
 * completion to `gradeGsm8k`.
 *
 * References: FS-LLM `federatedscope/llm/eval/eval_for_gsm8k/eval.py` (8-shot chain of thought) and FedBiOT's
 * `eval.py` (zero-shot, Alpaca template) / `eval_with_demo.py` (the Alpaca template with exemplars).
 */
import { alpacaPrompt } from '../data/alpacaTemplate.js';
import { fsllmError, invalidArg } from '../errors/index.js';
import { mixSeed, shuffled } from '../util/random.js';
import { GSM8K_EXEMPLARS } from './gsm8kExemplars.js';
import { readJsonRows } from './readJsonRows.js';

/** One test problem; `index` is its 0-based row in the test file and seeds its exemplar order. */
export interface Gsm8kItem {
  index: number;
  question: string;
  /** The worked solution, ending with `#### <number>`. */
  answer: string;
  /** The number after `####`, commas removed: what a prediction must equal. */
  target: string;
}

/**
 * `'cot'`: FS-LLM's prompt, `Q: {exemplar}\nA: {chain} The answer is {n}.\n\n` per exemplar, then
 * `Q: {question}\nA:`. `'alpaca'`: FedBiOT's, the Alpaca no-input template with the question as instruction.
 */
export type Gsm8kPromptStyle = 'cot' | 'alpaca';

/** Options of {@link gsm8kPrompt}. */
export interface Gsm8kPromptOptions {
  /** Default `'cot'`. */
  style?: Gsm8kPromptStyle;
  /** Exemplars, 0..8. Default 8 for `'cot'` (FS-LLM) and 0 for `'alpaca'` (FedBiOT). */
  shots?: number;
  /** Seeds the exemplar order (with the item's index). Default 0. */
  seed?: number;
  /**
   * Exemplar indices (into `GSM8K_EXEMPLARS`) in prompt order, instead of the seeded shuffle: to rebuild a
   * prompt whose order is known (e.g. one the reference logged). Its length is the number of shots.
   */
  order?: readonly number[];
}

/** The sentence both the exemplars and a trained model end with; `extractGsm8kAnswer` keys on it. */
export const GSM8K_ANSWER_TRIGGER = 'The answer is';

/**
 * Where generation may stop for each prompt style: the model has answered and starts inventing the next
 * question. The reference had no stop strings (it generated 256 tokens, then extracted); stopping only
 * changes the score when an answer lacks the trigger and the invented continuation holds a number, which the
 * reference would then have taken as the last number: never an answer to this question.
 */
export const GSM8K_STOP_STRINGS: Readonly<Record<Gsm8kPromptStyle, readonly string[]>> = Object.freeze({
  cot: Object.freeze(['\nQ:']),
  alpaca: Object.freeze(['\n### Instruction']),
});

const ANSWER_LINE = /#### (-?[0-9.,]+)/;

/**
 * Reads the GSM8K test (or train) file: JSONL rows `{question, answer}`.
 * @throws `ERR_FSLLM_DATA` for an unreadable file, a malformed row or an answer without `#### N`.
 */
export async function readGsm8k(file: string): Promise<Gsm8kItem[]> {
  const rows = await readJsonRows(file, ['question', 'answer']);
  return rows.map((row, index) => {
    const target = gsm8kTarget(row.answer);
    if (target === null) throw fsllmError('ERR_FSLLM_DATA', `${file} line ${row.line}: answer has no "#### <number>" line`, { path: file });
    return { index, question: row.question, answer: row.answer, target };
  });
}

/** The number after `#### ` with commas removed (the reference's `extract_answer_from_output`), or null. */
export function gsm8kTarget(answer: string): string | null {
  const match = ANSWER_LINE.exec(answer);
  return match ? match[1]!.trim().replaceAll(',', '') : null;
}

/**
 * The prompt for test problem `item`. The reference shuffles the exemplars with Python's global `random`
 * before every question, so its order depends on how many questions ran before; here the order is a
 * Fisher-Yates shuffle seeded by `(seed, item.index)`: the same for a question whatever `limit` or resume
 * point, and different between questions. `shots` < 8 keeps the first `shots` of that order, as the
 * reference's `index_list[:n_shot]`.
 * @throws `ERR_FSLLM_INVALID_ARG` for `shots` outside 0..8, a bad `order` or an unknown style.
 * @example gsm8kPrompt(items[0], { shots: 8 })  // 'Q: ...\nA: ... The answer is 6.\n\n ... Q: <question>\nA:'
 */
export function gsm8kPrompt(item: Pick<Gsm8kItem, 'index' | 'question'>, options: Gsm8kPromptOptions = {}): string {
  const style = options.style ?? 'cot';
  if (style !== 'cot' && style !== 'alpaca') throw invalidArg('style', "'cot' or 'alpaca'", style);
  const demos = exemplarOrder(item.index, style, options).map((i) => GSM8K_EXEMPLARS[i]!);
  if (style === 'cot') {
    const demoText = demos.map((d) => `Q: ${d.question}\nA: ${d.chain} ${GSM8K_ANSWER_TRIGGER} ${d.answer}.\n\n`).join('');
    return `${demoText}Q: ${item.question}\nA:`;
  }
  // FedBiOT's eval_with_demo.py: each exemplar as "### Instruction:\n{q}\n\n### Response: {chain} ...", all
  // inserted before the template's first "###".
  const prompt = alpacaPrompt({ instruction: item.question, input: '' });
  const demoText = demos
    .map((d) => `### Instruction:\n${d.question}\n\n### Response: ${d.chain} ${GSM8K_ANSWER_TRIGGER} ${d.answer}.\n\n`)
    .join('');
  const at = prompt.indexOf('###');
  return prompt.slice(0, at) + demoText + prompt.slice(at);
}

function exemplarOrder(index: number, style: Gsm8kPromptStyle, options: Gsm8kPromptOptions): number[] {
  const count = GSM8K_EXEMPLARS.length;
  if (options.order !== undefined) {
    const order = [...options.order];
    if (new Set(order).size !== order.length || !order.every((i) => Number.isInteger(i) && i >= 0 && i < count)) {
      throw invalidArg('order', `distinct exemplar indices in [0, ${count})`, options.order);
    }
    return order;
  }
  const shots = options.shots ?? (style === 'cot' ? count : 0);
  if (!Number.isInteger(shots) || shots < 0 || shots > count) throw invalidArg('shots', `an integer from 0 to ${count}`, shots);
  return shuffled([...Array(count).keys()], mixSeed(options.seed ?? 0, index)).slice(0, shots);
}

/**
 * The number a completion answers, as the reference's `clean_answer`: lowercase; split on "the answer is";
 * if the trigger occurs, the first number between its first and second occurrence, else the last number of
 * the completion; numbers are `-?\d+\.?\d*` after removing commas, where `\d` is any Unicode decimal digit
 * (Python 3's `re` on str); one trailing '.' is dropped.
 * @returns The number as written (e.g. '18', '-3', '0.50', '007'), or null where the reference says '[invalid]'.
 */
export function extractGsm8kAnswer(completion: string): string | null {
  const parts = completion.toLowerCase().split(GSM8K_ANSWER_TRIGGER.toLowerCase());
  const triggered = parts.length > 1;
  const text = (triggered ? parts[1]! : parts.at(-1)!).replaceAll(',', '');
  const numbers = text.match(/-?\p{Nd}+\.?\p{Nd}*/gu);
  if (numbers === null) return null;
  const pick = triggered ? numbers[0]! : numbers.at(-1)!;
  return pick.endsWith('.') ? pick.slice(0, -1) : pick;
}

/** One graded completion. */
export interface Gsm8kGrade {
  /** {@link extractGsm8kAnswer} of the completion. */
  prediction: string | null;
  target: string;
  /** Exact string equality, as the reference (`'18.0'` does not equal `'18'`). */
  correct: boolean;
}

/** Grades `completion` against `item` (see {@link extractGsm8kAnswer}). */
export function gradeGsm8k(completion: string, item: Pick<Gsm8kItem, 'target'>): Gsm8kGrade {
  const prediction = extractGsm8kAnswer(completion);
  return { prediction, target: item.target, correct: prediction === item.target };
}
