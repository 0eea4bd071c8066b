import { binding } from './binding.js';
import { callNative } from './callNative.js';
import { invalidArg } from '../errors/index.js';

/**
 * Seeds libtorch's default random generators (CPU, and every CUDA device when present), which LoRA
 * dropout draws from, so a run can be replayed exactly. The seed is applied on the native executor, after
 * the native work already queued: await pending steps first for a well-defined point. The generator is
 * process-wide, so worker threads training at the same time share it.
 * @param seed A non-negative safe integer.
 * @throws `ERR_FSLLM_INVALID_ARG` for anything else.
 * @example
 * await manualSeed(7);
 * await session.trainStep(batch, { lr: 1e-3 });
 */
export async function manualSeed(seed: number): Promise<void> {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) throw invalidArg('seed', 'a non-negative safe integer', seed);
  await callNative(() => binding().manualSeed(seed));
}
