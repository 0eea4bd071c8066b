import { invalidArg } from '../errors/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { InstructionRecord } from './instruction.js';
import { tokenizeInstruction, type TokenizedExample } from './tokenizeExample.js';

/** What {@link tokenizeAll} returns. */
export interface TokenizeAllResult {
  examples: TokenizedExample[];
  /** The records behind `examples`, position by position (what a task that generates from the prompts scores). */
  records: InstructionRecord[];
  /** Records dropped because truncation to `tokLen` left no target token (see {@link dropWarning}). */
  dropped: number;
}

/**
 * Tokenizes every record with {@link tokenizeInstruction}, keeping record order and dropping (and
 * counting) those whose prompt leaves no response token within `tokLen`.
 * @param tokLen Maximum tokens per example (config `data.tokLen`), an integer >= 2.
 * @throws `ERR_FSLLM_INVALID_ARG` for a bad `tokLen`.
 */
export function tokenizeAll(tokenizer: Tokenizer, records: readonly InstructionRecord[], tokLen: number): TokenizeAllResult {
  if (!Number.isInteger(tokLen) || tokLen < 2) throw invalidArg('tokLen', 'an integer >= 2', tokLen);
  const examples: TokenizedExample[] = [];
  const kept: InstructionRecord[] = [];
  let dropped = 0;
  for (const record of records) {
    const example = tokenizeInstruction(tokenizer, record, tokLen);
    if (example === null) {
      dropped++;
    } else {
      examples.push(example);
      kept.push(record);
    }
  }
  return { examples, records: kept, dropped };
}

/**
 * The warning to print when {@link tokenizeAll} dropped examples (the empty string when it dropped none), e.g.
 * "12 of 800 examples of client 3 train were dropped: the prompt fills all 128 tokens (tokLen), so no
 * response token is left to learn from; raise data.tokLen".
 * @param where Which data, e.g. `'client 3 train'`.
 */
export function dropWarning(dropped: number, total: number, tokLen: number, where: string): string {
  if (dropped <= 0) return '';
  const verb = dropped === 1 ? 'was' : 'were';
  return (
    `${dropped} of ${total} examples of ${where} ${verb} dropped: the prompt fills all ${tokLen} tokens (tokLen), ` +
    'so no response token is left to learn from; raise data.tokLen'
  );
}
