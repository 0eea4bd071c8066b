import { tokenizerError } from './tokenizerError.js';

/**
 * Throws unless `id` is an integer in `[0, vocabSize)`; the message follows the project's
 * argument-error format.
 * @throws `ERR_FSLLM_TOKENIZER`
 * @internal
 */
export function checkTokenId(id: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw tokenizerError(
      `Expected integer between 0 and ${vocabSize - 1} for token id but received ${String(id)} of type ${typeof id}`,
    );
  }
}
