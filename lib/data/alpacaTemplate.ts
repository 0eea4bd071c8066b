import type { InstructionRecord } from './instruction.js';

// Stanford Alpaca's PROMPT_DICT, verbatim (as FS-LLM uses it): the input variant is chosen iff input != ''.
const WITH_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. ' +
  'Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:';
const NO_INPUT =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
  '### Instruction:\n{instruction}\n\n### Response:';

/** The Alpaca prompt for `record` (everything the model reads before the response). */
export function alpacaPrompt(record: Pick<InstructionRecord, 'instruction' | 'input'>): string {
  const template = record.input !== '' ? WITH_INPUT : NO_INPUT;
  return template.replace('{instruction}', () => record.instruction).replace('{input}', () => record.input);
}
