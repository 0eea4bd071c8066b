/** Task evaluation: benchmark files, reference prompts, answer extraction and metrics, and the task runner (evaluateTask, scoreCompletions). */
export { accuracy, mean } from './metrics.js';
export { readJsonRows, type JsonRow } from './readJsonRows.js';
export {
  extractGsm8kAnswer,
  gradeGsm8k,
  gsm8kPrompt,
  gsm8kTarget,
  readGsm8k,
  GSM8K_ANSWER_TRIGGER,
  GSM8K_STOP_STRINGS,
  type Gsm8kGrade,
  type Gsm8kItem,
  type Gsm8kPromptOptions,
  type Gsm8kPromptStyle,
} from './gsm8k.js';
export { GSM8K_EXEMPLARS, type Gsm8kExemplar } from './gsm8kExemplars.js';
export {
  humanEvalPrompt,
  readCompletions,
  readHumanEval,
  HUMANEVAL_STOP_STRINGS,
  HUMANEVAL_X_LANGUAGE_TAG,
  type HumanEvalSample,
  type HumanEvalTask,
} from './humaneval.js';
export { cleanCompletion, cutAtFunctionEnd } from './humanevalCleanup.js';
export { humanEvalProgram, type HumanEvalProgramOptions } from './humanevalPrograms.js';
export type { CodeProgram, HumanEvalLanguage, ProgramOutcome, ProgramRunner, RunProgramOptions } from './programRunner.js';
export { runHumanEval, summarizeHumanEval, type HumanEvalResultRow, type HumanEvalTaskSummary, type RunHumanEvalOptions } from './runHumanEval.js';
export { meanPassAtK, passAtK, type TaskPassCount } from './passAtK.js';
export {
  mmluShots,
  mmluSubset,
  readMmlu,
  summarizeMmlu,
  MMLU_CHOICES,
  type MmluChoice,
  type MmluItem,
  type MmluResult,
  type MmluSubjectScore,
} from './mmlu.js';
export { mmluChoiceIds, mmluPrompt, mmluPromptWithinBudget, mmluQuestionText, type MmluBudgetOptions, type MmluHeader } from './mmluPrompt.js';
export { argmaxChoice, runMmlu, type RunMmluOptions } from './runMmlu.js';
export { nextTokenLogitsFrom, type LogitsBatch, type NextTokenLogits, type NextTokenLogitsFromOptions } from './nextTokenLogits.js';
export { meanRougeL, rougeL, rougeTokens, type RougeScore } from './rougeL.js';
export { perplexity, withPerplexity } from './perplexity.js';
export { evaluateTask, type EvaluateTaskOptions } from './evaluateTask.js';
export { scoreCompletions, type ScoreCompletionsOptions } from './scoreCompletions.js';
export type { TaskRunOptions } from './taskHarness.js';
export { resolveTaskSpec, type ResolvedTaskSpec, type SpecFieldNames } from './resolveTaskSpec.js';
export { TASK_TYPES, taskMetricNames, taskName, type TaskScore, type TaskSpec, type TaskType } from './taskSpec.js';
export { benchmarkFile, locateBenchmark, readDollyRecords, type BenchmarkFile, type BenchmarkFileOptions, type BenchmarkName } from './benchmarkFiles.js';
export { generateCompletions, type CompletionRow, type EvalModel, type GenerateCompletionsOptions } from './generateCompletions.js';
export { EvalJournal } from './EvalJournal.js';
export { readIndexedCompletions, type IndexedCompletion } from './readIndexedCompletions.js';
export { ROUGE_STOP_STRINGS, selectRows } from './tasks/rougeTask.js';
export { sandboxRunner, type SandboxRunnerOptions } from './sandboxRunner.js';
