/**
 * Decoding stored tensors to float32 through the native reader, which maps the files, converts every
 * stored dtype (bf16, GGUF blocks, ...) and applies layout transforms off the JS thread.
 */
import { readSafetensorsHeader, safetensorsSource } from '../formats/index.js';
import type { TensorSource } from '../formats/types.js';
import { binding } from './binding.js';
import { callNative } from './callNative.js';

/**
 * @internal The float32 values of `sources`, keyed by `name`. An empty list is answered without loading
 * the addon, so files with no tensors stay readable where it is missing.
 * @throws `ERR_FSLLM_CHECKPOINT` when a file is missing or shorter than a source says.
 */
export async function readTensors(sources: TensorSource[]): Promise<Record<string, Float32Array>> {
  if (sources.length === 0) return {};
  return callNative(() => binding().readTensors(sources));
}

/**
 * @internal Every tensor of the safetensors file `file`, decoded to float32, in file order.
 * @throws `ERR_FSLLM_CHECKPOINT` for a missing or corrupt file or a dtype fsllm cannot load.
 */
export async function readSafetensorsF32(file: string): Promise<{ name: string; shape: number[]; data: Float32Array }[]> {
  const header = await readSafetensorsHeader(file);
  const values = await readTensors(header.tensors.map((entry) => safetensorsSource(entry, file)));
  return header.tensors.map((t) => ({ name: t.name, shape: t.shape, data: values[t.name]! }));
}
