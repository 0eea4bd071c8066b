/**
 * safetensors writer (adapters, exported deltas). The file appears atomically: it is written to a
 * temporary file in the same folder, flushed, then renamed over the target.
 */
import { checkpointError, invalidArgError } from './errors.js';
import { replaceFile } from '../util/atomicWrite.js';
import {
  SAFETENSORS_FORMAT_NAMES,
  type SafetensorsData,
  type SafetensorsDType,
  type SafetensorsTensor,
} from './safetensors.js';

const ELEMENT_BYTES: Readonly<Record<SafetensorsDType, number>> = { f32: 4, f16: 2, bf16: 2, f64: 8, i32: 4, i64: 8 };

const ARRAY_TYPES: Readonly<Record<SafetensorsDType, string>> = {
  f32: 'Float32Array', f64: 'Float64Array', f16: 'Uint16Array', bf16: 'Uint16Array', i32: 'Int32Array', i64: 'BigInt64Array',
};

function isArrayOf(data: unknown, dtype: SafetensorsDType): data is SafetensorsData {
  switch (dtype) {
    case 'f32': return data instanceof Float32Array;
    case 'f64': return data instanceof Float64Array;
    case 'f16':
    case 'bf16': return data instanceof Uint16Array;
    case 'i32': return data instanceof Int32Array;
    case 'i64': return data instanceof BigInt64Array;
  }
}

/**
 * Writes tensors to a safetensors file, replacing `file` atomically.
 *
 * Header keys are sorted (`__metadata__` first); data is laid out by descending element size, then
 * name, so every tensor is aligned to its element size; the header is padded with spaces so that the
 * data section starts on an 8-byte boundary. Byte order is the host's (little-endian on every
 * supported platform).
 * @param file destination path; its folder must exist.
 * @param tensors unique non-empty names; `data` is the typed array for `dtype` (f16/bf16 as
 *   `Uint16Array` bits) with exactly `product(shape)` elements. Not modified; not retained.
 * @param metadata optional string → string map stored as `__metadata__`.
 * @throws `ERR_FSLLM_INVALID_ARG` for a bad tensor list or metadata; `ERR_FSLLM_CHECKPOINT` when the file
 *   cannot be written (the target is then untouched and the temporary file removed).
 * @example
 * await writeSafetensors('adapter.safetensors',
 *   [{ name: 'lora_a', dtype: 'f32', shape: [2, 3], data: new Float32Array(6) }], { rank: '2' });
 */
export async function writeSafetensors(
  file: string,
  tensors: readonly SafetensorsTensor[],
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  // Validate
  if (!Array.isArray(tensors as unknown)) throw invalidArgError('an array of tensors', 'tensors', tensors);
  validateMetadata(metadata);
  const seen = new Set<string>();
  tensors.forEach((tensor, i) => {
    validateTensor(tensor, i);
    if (seen.has(tensor.name)) throw invalidArgError('unique tensor names', `tensors[${i}].name`, tensor.name);
    seen.add(tensor.name);
  });

  // Layout: data by (element size desc, name) keeps alignment; header keys sorted by name.
  const byName = (a: SafetensorsTensor, b: SafetensorsTensor) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const order = [...tensors].sort((a, b) => ELEMENT_BYTES[b.dtype] - ELEMENT_BYTES[a.dtype] || byName(a, b));
  const offsets = new Map<string, [number, number]>();
  let cursor = 0;
  for (const tensor of order) {
    offsets.set(tensor.name, [cursor, cursor + tensor.data.byteLength]);
    cursor += tensor.data.byteLength;
  }
  const entries: string[] = [];
  if (Object.keys(metadata).length > 0) {
    const sorted = Object.keys(metadata).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    entries.push(`"__metadata__":{${sorted.join(',')}}`);
  }
  for (const tensor of [...tensors].sort(byName)) {
    const value = { dtype: SAFETENSORS_FORMAT_NAMES[tensor.dtype], shape: tensor.shape, data_offsets: offsets.get(tensor.name) };
    entries.push(`${JSON.stringify(tensor.name)}:${JSON.stringify(value)}`);
  }
  const prefix = safetensorsPrefix(Buffer.from(`{${entries.join(',')}}`, 'utf8'));

  try {
    await replaceFile(file, async (handle) => {
      const chunks = [prefix, ...order.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
      for (const chunk of chunks) await handle.write(chunk);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw checkpointError(`cannot write the file (${code}); check that the folder exists and is writable`, file, error);
  }
}

/**
 * @internal The bytes before a safetensors data section: the u64 header length, then `json` padded with
 * spaces (allowed JSON whitespace) to a multiple of 8 bytes, so the data section starts 8-aligned.
 */
export function safetensorsPrefix(json: Buffer): Buffer {
  const headerLength = Math.ceil(json.length / 8) * 8;
  const prefix = Buffer.alloc(8 + headerLength, 0x20);
  prefix.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(prefix, 8);
  return prefix;
}

function validateMetadata(metadata: unknown): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw invalidArgError('an object of strings', 'metadata', metadata);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw invalidArgError('a string', `metadata.${key}`, value);
  }
}

function validateTensor(tensor: SafetensorsTensor, i: number): void {
  const at = `tensors[${i}]`;
  if (typeof tensor !== 'object' || tensor === null) throw invalidArgError('an object', at, tensor);
  if (typeof tensor.name !== 'string' || tensor.name === '' || tensor.name === '__metadata__') {
    throw invalidArgError('a non-empty name other than __metadata__', `${at}.name`, tensor.name);
  }
  if (!Object.hasOwn(ELEMENT_BYTES, tensor.dtype)) {
    throw invalidArgError(`one of ${Object.keys(ELEMENT_BYTES).join(', ')}`, `${at}.dtype`, tensor.dtype);
  }
  if (!Array.isArray(tensor.shape) || !tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidArgError('an array of non-negative integers', `${at}.shape`, tensor.shape);
  }
  if (!isArrayOf(tensor.data, tensor.dtype)) {
    throw invalidArgError(`a ${ARRAY_TYPES[tensor.dtype]} for dtype ${tensor.dtype}`, `${at}.data`, tensor.data);
  }
  const numel = tensor.shape.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== numel) {
    throw invalidArgError(`${numel} elements (shape [${tensor.shape.join(', ')}])`, `${at}.data.length`, tensor.data.length);
  }
}
