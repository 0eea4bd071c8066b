import { fsllmError } from '../errors/index.js';

/** Throws `ERR_FSLLM_DISPOSED` for a call on a disposed object of class `what`. */
export function disposedCheck(disposed: boolean, what: string): void {
  if (disposed) throw fsllmError('ERR_FSLLM_DISPOSED', `${what} is disposed; create a new ${what}`);
}
