import path from 'node:path';
import { fsllmError, invalidArg, type FsllmError } from '../errors/index.js';

/** Codes the format parsers throw with. */
export type FormatErrorCode = 'ERR_FSLLM_CHECKPOINT' | 'ERR_FSLLM_INVALID_ARG';

/** An `FsllmError` from a format parser; `path` is the offending file or folder, when there is one. */
export type FormatError = FsllmError;

/**
 * Makes the error thrown for an unreadable, truncated, inconsistent or unsupported checkpoint file.
 * @param message what is wrong and, where there is one, the fix; it is prefixed with the file's base name.
 * @param file absolute path of the file (or folder) at fault; kept whole on `error.path`.
 * @param cause the underlying error, if any (e.g. a JSON `SyntaxError` or an fs error).
 * @returns a `CheckpointError` (`code === 'ERR_FSLLM_CHECKPOINT'`).
 */
export function checkpointError(message: string, file: string, cause?: unknown): FormatError {
  return fsllmError('ERR_FSLLM_CHECKPOINT', `${path.basename(file)}: ${message}`, { cause, path: file });
}

/**
 * Makes the error thrown for a bad argument:
 * `Expected <expectation> for <name> but received <value> of type <type>`.
 */
export function invalidArgError(expectation: string, name: string, value: unknown): FormatError {
  return invalidArg(name, expectation, value);
}
