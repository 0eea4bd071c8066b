/**
 * How the frozen base weights of the transformer blocks are stored (`Model.load(path, { baseDtype })`). LoRA
 * factors, their gradients and optimizer state are fp32 whatever this is; embeddings, norms and the LM head
 * stay fp32 too.
 * - `fp32`: as loaded (the default);
 * - `bf16`, `fp16`: 2 bytes per weight;
 * - `int8`: ggml Q8_0, blocks of 32 weights with an fp16 scale (8.5 bits per weight);
 * - `q4`: ggml Q4_0, blocks of 32 with an fp16 scale (4.5 bits per weight); a GGUF's Q4_1 tensors are kept
 *   as Q4_1 (5 bits).
 * GGUF tensors already in the requested encoding (Q8_0 for int8, Q4_0/Q4_1 for q4) are kept byte for byte;
 * anything else is encoded while loading, one tensor at a time. Block formats need rows whose length is a
 * multiple of 32.
 */
import { invalidArg } from '../errors/index.js';

export const BASE_DTYPES = Object.freeze(['fp32', 'bf16', 'fp16', 'int8', 'q4'] as const);

export type BaseDtype = (typeof BASE_DTYPES)[number];

/** Throws `ERR_FSLLM_INVALID_ARG` naming `field` unless `value` is a base dtype. */
export function checkBaseDtype(value: unknown, field = 'baseDtype'): BaseDtype {
  if (typeof value !== 'string' || !(BASE_DTYPES as readonly string[]).includes(value)) {
    throw invalidArg(field, `one of ${BASE_DTYPES.map((d) => `'${d}'`).join(', ')}`, value);
  }
  return value as BaseDtype;
}
