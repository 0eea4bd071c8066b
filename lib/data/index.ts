/** Instruction data: records, the Alpaca template, tokenization with loss masks, batching. */
export type { InstructionRecord } from './instruction.js';
export { alpacaPrompt } from './alpacaTemplate.js';
export { IGNORE_INDEX, tokenizeInstruction, type TokenizedExample } from './tokenizeExample.js';
export { collate } from './collate.js';
export { pack } from './pack.js';
export { readInstructions, type KeyMap } from './readInstructions.js';
