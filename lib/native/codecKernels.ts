/**
 * The wire codecs' kernels (csrc/comm/quantize.cpp), run on the executor thread over runs of an adapter's
 * flat buffer. lib/comm/codecOptions.ts gives each codec's byte layout; lib/comm/codecFrame.ts the frame
 * that carries the bytes.
 */
import { binding, type RawCodecTask } from './binding.js';
import { callNative } from './callNative.js';

export type { RawCodecTask };

/**
 * @internal Encodes each task's `values` (plus its `residual`, which is overwritten with the new one) into
 * its `bytes`. The buffers must not change until the promise settles. No tasks: no native call.
 */
export async function codecEncode(tasks: RawCodecTask[]): Promise<void> {
  if (tasks.length > 0) await callNative(() => binding().codecEncode(tasks));
}

/** @internal Decodes each task's `bytes` into its `values`; the buffers must not change until it settles. */
export async function codecDecode(tasks: RawCodecTask[]): Promise<void> {
  if (tasks.length > 0) await callNative(() => binding().codecDecode(tasks));
}
