import type { ManifestEntry } from './binding.js';

/**
 * The trainable state of a model as one flat fp32 buffer and the PEFT-named slices in it. This is what
 * clients upload, servers aggregate and files store.
 */
export interface AdapterState {
  data: Float32Array;
  manifest: ManifestEntry[];
}

/** The slice of `state.data` holding tensor `entry` (a view, no copy). */
export function sliceOf(state: AdapterState, entry: ManifestEntry): Float32Array {
  const size = entry.shape.reduce((a, b) => a * b, 1);
  return state.data.subarray(entry.offset, entry.offset + size);
}
