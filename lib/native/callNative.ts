import { type FsllmError, toFsllmError } from '../errors/index.js';

/** @internal Runs a native call and, on failure, rethrows the coded error with the caller's stack. */
export async function callNative<T>(fn: () => Promise<T>): Promise<T> {
  const site = new Error();
  try {
    return await fn();
  } catch (raw) {
    throw toFsllmError(raw, site) satisfies FsllmError;
  }
}
