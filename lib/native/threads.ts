import { binding } from './binding.js';
import { invalidArg } from '../errors/index.js';

/**
 * Sets how many CPU threads libtorch uses inside one operation. The setting is process-wide: every model,
 * session and worker thread of this process shares it.
 * @param threads A non-negative integer; 0 lets libtorch use every core.
 * @returns The thread count now in effect.
 * @throws `ERR_FSLLM_INVALID_ARG` for anything else.
 * @example
 * setNumThreads(2);
 */
export function setNumThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 0) throw invalidArg('threads', 'a non-negative integer (0 = all cores)', threads);
  return binding().setNumThreads(threads);
}
