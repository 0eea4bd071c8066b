/** The one check of an AbortSignal between units of work. */
import { fsllmError } from '../errors/index.js';

/**
 * @param what What was stopped, for the message (e.g. 'evaluation').
 * @throws `ERR_FSLLM_ABORTED` (with the signal's reason as `cause`) when `signal` has aborted.
 */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', `${what} was aborted`, { cause: signal.reason });
}
