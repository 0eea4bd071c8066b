/**
 * The MMLU prompt as FS-LLM builds it (`eval_for_mmlu/eval.py`: `gen_prompt`, `format_example`), the shot
 * reduction under a token budget, and which token ids stand for the answer letters.
 */
import { fsllmError } from '../errors/index.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { MMLU_CHOICES, type MmluItem } from './mmlu.js';

/**
 * `'reference'` (default): FS-LLM's header verbatim, with its two accidents: a backslash line continuation
 * inside the string literal puts nine spaces between "choice" and "questions", and `format_subject` puts a
 * space before the subject after the "about " (hendrycks/test has the second one too). Kept so that scores
 * compare with the reference's. `'clean'`: the sentence with single spaces.
 */
export type MmluHeader = 'reference' | 'clean';

/** `question\nA. ...\nB. ...\nC. ...\nD. ...\nAnswer:`, plus ` X\n\n` when `withAnswer` (an exemplar). */
export function mmluQuestionText(item: Pick<MmluItem, 'question' | 'choices' | 'answer'>, withAnswer: boolean): string {
  const lines = item.choices.map((choice, j) => `\n${MMLU_CHOICES[j]}. ${choice}`).join('');
  return `${item.question}${lines}\nAnswer:${withAnswer ? ` ${item.answer}\n\n` : ''}`;
}

/** The prompt for `item` with `shots` as exemplars, in order. */
export function mmluPrompt(item: MmluItem, shots: readonly MmluItem[], header: MmluHeader = 'reference'): string {
  const head =
    header === 'reference'
      ? `The following are multiple choice         questions (with answers) about  ${item.subject}.\n\n`
      : `The following are multiple choice questions (with answers) about ${item.subject}.\n\n`;
  return head + shots.map((shot) => mmluQuestionText(shot, true)).join('') + mmluQuestionText(item, false);
}

/** Options of {@link mmluPromptWithinBudget}. */
export interface MmluBudgetOptions {
  /** Largest prompt in tokens (as `countTokens` counts them). Default 1024, as the reference. */
  maxTokens?: number;
  header?: MmluHeader;
}

/**
 * The prompt with as many of `shots` (taken from the front) as fit: the reference starts at 5 and drops the
 * last exemplar while the tokenized prompt is longer than 1024 tokens. It would go on to `k = -1` (every dev
 * row) if even the bare question were too long; we stop at 0 and return the bare question however long.
 * @param countTokens Length of a prompt as the model will read it: the reference counts `tokenizer(prompt)`,
 *   so with the BOS token where the tokenizer adds one.
 */
export function mmluPromptWithinBudget(
  item: MmluItem,
  shots: readonly MmluItem[],
  countTokens: (text: string) => number,
  options: MmluBudgetOptions = {},
): { prompt: string; shots: number } {
  const maxTokens = options.maxTokens ?? 1024;
  for (let k = shots.length; ; k--) {
    const prompt = mmluPrompt(item, shots.slice(0, k), options.header);
    if (k === 0 || countTokens(prompt) <= maxTokens) return { prompt, shots: k };
  }
}

/**
 * The token ids whose next-token logits decide the answer, for A, B, C, D. `'reference'` (default): the last
 * id of encoding the bare letter, as FS-LLM's `tokenizer("A").input_ids[-1]`; for a SentencePiece vocabulary
 * that is "▁A", the token that follows "Answer:", but for a byte-level BPE (GPT-2, SmolLM2) it is "A"
 * without the space, while the model would write " A". `'spaced'`: the last id of encoding " A", the
 * letter as it follows "Answer:" in the exemplars (meant for byte-level BPE; check what a SentencePiece
 * vocabulary gives before using it there).
 * @throws `ERR_FSLLM_INVALID_ARG` when a letter encodes to no token.
 */
export function mmluChoiceIds(tokenizer: Pick<Tokenizer, 'encode'>, variant: 'reference' | 'spaced' = 'reference'): number[] {
  return MMLU_CHOICES.map((letter) => {
    const ids = tokenizer.encode(variant === 'spaced' ? ` ${letter}` : letter);
    const last = ids.at(-1);
    if (last === undefined) throw fsllmError('ERR_FSLLM_INVALID_ARG', `the tokenizer encodes "${letter}" as no tokens`);
    return last;
  });
}
