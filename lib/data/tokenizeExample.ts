import type { Tokenizer } from '../tokenizer/index.js';
import { alpacaPrompt } from './alpacaTemplate.js';
import type { InstructionRecord } from './instruction.js';

/** Token ids and loss labels of one example (labels -100 on the prompt). */
export interface TokenizedExample {
  ids: number[];
  labels: number[];
}

export const IGNORE_INDEX = -100;

/**
 * Tokenizes prompt + output + EOS as FS-LLM does (the joint string, prompt length from the prompt alone),
 * masks the prompt from the loss and truncates to `tokLen`. Returns null when truncation leaves no target
 * token (FS-LLM would produce an all -100 example and a NaN loss; callers drop and count these).
 */
export function tokenizeInstruction(tokenizer: Tokenizer, record: InstructionRecord, tokLen: number): TokenizedExample | null {
  const prompt = alpacaPrompt(record);
  const promptLength = tokenizer.encode(prompt).length;
  const full = tokenizer.encode(prompt + record.output);
  if (tokenizer.eosId !== null) full.push(tokenizer.eosId);
  const ids = full.slice(0, tokLen);
  const labels = ids.map((id, i) => (i < promptLength ? IGNORE_INDEX : id));
  // The first label is never a target after the causal shift, so one more position is needed.
  const targets = labels.slice(1).filter((l) => l !== IGNORE_INDEX).length;
  return targets > 0 ? { ids, labels } : null;
}
