/**
 * The program runner evaluation uses when the caller gives none: the code sandbox (lib/eval/sandbox/), which
 * is being finished on its own branch. Until it is merged there is no safe default, and HumanEval without
 * an explicit runner is refused rather than run unisolated.
 */
import { fsllmError } from '../errors/index.js';
import type { ProgramRunner } from './programRunner.js';

/**
 * @throws `ERR_FSLLM_UNSUPPORTED`: this build has no code sandbox; pass `runner` (a ProgramRunner).
 */
export function defaultProgramRunner(): ProgramRunner {
  throw fsllmError('ERR_FSLLM_UNSUPPORTED', 'HumanEval needs the code sandbox to run programs, and this build has none; pass options.runner (a ProgramRunner)');
}
