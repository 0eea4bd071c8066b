import { fsllmError, type FsllmError } from '../errors/index.js';

/** Code carried by every error the tokenizer layer throws. */
export const ERR_FSLLM_TOKENIZER = 'ERR_FSLLM_TOKENIZER';

/** An `FsllmError` with {@link ERR_FSLLM_TOKENIZER} as its `code`. */
export type TokenizerError = FsllmError & { code: typeof ERR_FSLLM_TOKENIZER };

/**
 * Makes the error thrown for a bad tokenizer file or a bad token id: the single place that builds
 * tokenizer errors.
 * @param message What is wrong, naming the file when there is one.
 * @param cause The underlying error (e.g. from `fs` or `JSON.parse`), kept as `cause`.
 */
export function tokenizerError(message: string, cause?: unknown): TokenizerError {
  return fsllmError(ERR_FSLLM_TOKENIZER, message, { cause }) as TokenizerError;
}
