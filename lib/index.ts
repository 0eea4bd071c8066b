/** fsllm-native: federated fine-tuning of LLMs from Node.js over a libtorch core. Public exports only. */
export * from './errors/index.js';
export * from './native/index.js';
export { openCheckpoint } from './formats/index.js';
export type { Checkpoint, ModelConfig, TensorSource } from './formats/index.js';
export { loadTokenizer, type Tokenizer } from './tokenizer/index.js';
export * from './data/index.js';
export * from './trainer/index.js';
export * from './parallel/index.js';
export * from './fl/index.js';
export * from './aggregate/index.js';
export * from './config/index.js';
export { renderReport, writeReport } from './report/index.js';
export { loadHpoSettings, parseSearchSpace, renderHpoReport, runHpo } from './hpo/index.js';
export type { HpoChoices, HpoEvent, HpoResult, HpoScheduler, HpoSettings, LoadHpoSettingsOptions, Objective, RunHpoOptions, SearchDimension, SearchSpace, TrialConfig, TrialRecord } from './hpo/index.js';
export * from './emulator/index.js';
export * from './comm/index.js';
export { evaluateTask, scoreCompletions, TASK_TYPES } from './eval/index.js';
export type { EvaluateTaskOptions, ScoreCompletionsOptions, TaskScore, TaskSpec, TaskType } from './eval/index.js';
