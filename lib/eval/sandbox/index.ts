/** The code sandbox: runs model-written programs (HumanEval, HumanEval-X) isolated from the host and each other. */
export { DEFAULT_COMPILE_LIMITS, DEFAULT_RUN_LIMITS } from './limits.js';
export { probeIsolation, type SandboxIsolation } from './probeIsolation.js';
export { runProgram } from './runProgram.js';
export { SandboxPool, type SandboxPoolOptions } from './SandboxPool.js';
export type { IsolationSummary, PassWhen, RunProgramOptions, RunProgramResult, RunStatus, SandboxLanguage, SandboxLimits } from './types.js';
