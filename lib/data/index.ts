/** Instruction data: records, the Alpaca template, tokenization with loss masks, batching. */
export type { InstructionRecord } from './instruction.js';
export { alpacaPrompt } from './alpacaTemplate.js';
export { IGNORE_INDEX, tokenizeInstruction, type TokenizedExample } from './tokenizeExample.js';
export { collate } from './collate.js';
export { pack } from './pack.js';
export { readInstructions, type KeyMap, type ReadInstructionsOptions } from './readInstructions.js';
export { BUILTIN_DATASETS, isBuiltinDataset, rootCandidates, type BuiltinDataset, type BuiltinDatasetType } from './builtins.js';
export { CODE_LANGUAGES, codeLanguage, type CodeLanguage } from './codeLanguage.js';
export { defaultDatasetCacheDir, downloadFile, mirrored, type DownloadCheck } from './download.js';
export { loadDataset, type LoadDatasetOptions, type LoadDatasetResult } from './loadDataset.js';
export { dirichletSplit, gammaSample, iidSplit, metaLabels, metaSplit } from './splitters.js';
export {
  buildFederatedData,
  type ClientData,
  type FederatedData,
  type FederatedSplitOptions,
  type SplitterName,
} from './federatedSplit.js';
export { dropWarning, tokenizeAll, type TokenizeAllResult } from './tokenizeAll.js';
