/**
 * GGUF v2/v3 reader (little-endian): header, metadata key/values and tensor infos. Tensor data is not
 * read. Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count, the key/values, the
 * tensor infos, then padding to `general.alignment` (default 32) and the data section; each tensor's
 * offset is relative to the data section.
 */

import { checkpointError } from './errors.js';
import { GgufCursor, MAX_HEADER_BYTES, NEED_MORE, quoted } from './ggufCursor.js';
import { openForRead, readRange } from './readRange.js';
import type { StoredDType } from './types.js';

/** A GGUF array value: numeric element types arrive as typed arrays (copies, aligned). */
export type GgufArray =
  | string[] | boolean[] | GgufArray[]
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array
  | BigUint64Array | BigInt64Array | Float64Array;

/** A metadata value. 64-bit integers are numbers when they are safe integers, bigints otherwise. */
export type GgufValue = number | bigint | boolean | string | GgufArray;

/** One tensor info. */
export interface GgufTensorInfo {
  name: string;
  /** ggml type id, e.g. 0 = F32, 8 = Q8_0. */
  ggmlType: number;
  /** ggml type name, e.g. `Q4_K`, or `type <id>` when unknown. */
  typeName: string;
  /** fsllm's name for the encoding, or null when fsllm cannot decode it. */
  dtype: StoredDType | null;
  /** Row-major, outermost first (ggml lists dimensions innermost first; they are reversed here). */
  shape: number[];
  /** Absolute byte offset in the file. */
  offset: number;
  /** Bytes stored; null when `dtype` is null. */
  byteLength: number | null;
}

/** A parsed GGUF header. */
export interface GgufFile {
  file: string;
  fileSize: number;
  version: number;
  alignment: number;
  /** Absolute offset of the data section. */
  dataOffset: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
}

/** @internal ggml type ids → names (ggml.h `enum ggml_type`). */
export const GGML_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K',
  12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S',
  20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64',
  29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};

// Types fsllm decodes: [dtype, values per block, bytes per block].
const DECODABLE: Readonly<Record<number, readonly [StoredDType, number, number]>> = {
  0: ['f32', 1, 4], 1: ['f16', 1, 2], 30: ['bf16', 1, 2], 8: ['q8_0', 32, 34], 2: ['q4_0', 32, 18], 3: ['q4_1', 32, 20],
};

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const MAX_DIMS = 4; // GGML_MAX_DIMS

/**
 * Reads a GGUF file's header, metadata and tensor infos.
 * @throws `ERR_FSLLM_CHECKPOINT` for a missing file, bad magic, unsupported version, a corrupt or
 *   truncated header, or a (decodable) tensor whose bytes run past the end of the file.
 */
export async function readGguf(file: string): Promise<GgufFile> {
  const handle = await openForRead(file);
  try {
    const fileSize = (await handle.stat()).size;
    // The header has no length field: parse a prefix and retry with a larger one if it runs out.
    // The cursor refuses to go past MAX_HEADER_BYTES, so the prefix never grows beyond it.
    const most = Math.min(fileSize, MAX_HEADER_BYTES);
    for (let chunk = Math.min(most, 1 << 20); ; chunk = Math.min(most, chunk * 4)) {
      const bytes = await readRange(handle, 0, chunk);
      try {
        return parseGguf(bytes, fileSize, file);
      } catch (error) {
        if (error !== NEED_MORE || chunk === most) throw error;
      }
    }
  } finally {
    await handle.close();
  }
}

function parseGguf(bytes: Uint8Array, fileSize: number, file: string): GgufFile {
  const c = new GgufCursor(bytes, fileSize, file);
  // Header
  if (fileSize < 4 || c.u32() !== MAGIC) {
    throw checkpointError('bad magic: this is not a GGUF file (it should start with the bytes "GGUF")', file);
  }
  const version = c.u32();
  if (version !== 2 && version !== 3) {
    const hint = version === 1 ? 'GGUF v1 is obsolete: re-convert the model with a current llama.cpp'
      : version > 0xffff ? 'it looks big-endian, which is not supported' : 'supported: 2, 3';
    throw checkpointError(`GGUF version ${version} is not supported; ${hint}`, file);
  }
  const tensorCount = c.count('tensor count');
  const kvCount = c.count('metadata count');

  // Metadata
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    c.at = `metadata key #${i}`;
    const key = c.string();
    c.at = `metadata key ${quoted(key)}`;
    metadata.set(key, c.value(c.u32()));
  }
  const alignment = metadata.get('general.alignment') ?? 32;
  if (typeof alignment !== 'number' || !Number.isSafeInteger(alignment) || alignment <= 0) {
    throw checkpointError(`general.alignment must be a positive integer; got ${String(alignment)}`, file);
  }

  // Tensor infos (offsets fixed up once the data section start is known)
  const infos: { name: string; shape: number[]; ggmlType: number; relative: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    c.at = `tensor info #${i}`;
    const name = c.string();
    c.at = `tensor info ${quoted(name)}`;
    const nDims = c.u32();
    if (nDims > MAX_DIMS) throw checkpointError(`tensor ${name} has ${nDims} dimensions (at most ${MAX_DIMS}); the header is corrupt`, file);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.count('dimension'));
    const ggmlType = c.u32();
    infos.push({ name, shape: dims.reverse(), ggmlType, relative: c.count('offset') });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const tensors = infos.map((info) => tensorInfo(info, dataOffset, fileSize, file));
  return { file, fileSize, version, alignment, dataOffset, metadata, tensors };
}

function tensorInfo(
  info: { name: string; shape: number[]; ggmlType: number; relative: number },
  dataOffset: number,
  fileSize: number,
  file: string,
): GgufTensorInfo {
  const { name, shape, ggmlType } = info;
  const offset = dataOffset + info.relative;
  const typeName = GGML_TYPE_NAMES[ggmlType] ?? `type ${ggmlType}`;
  const decodable = DECODABLE[ggmlType];
  if (decodable === undefined) return { name, ggmlType, typeName, dtype: null, shape, offset, byteLength: null };
  const [dtype, blockValues, blockBytes] = decodable;
  const inner = shape.at(-1) ?? 1;
  if (inner % blockValues !== 0) {
    throw checkpointError(`tensor ${name} is ${typeName} but its rows (${inner}) are not whole ${blockValues}-value blocks`, file);
  }
  const byteLength = (shape.reduce((a, b) => a * b, 1) / blockValues) * blockBytes;
  if (offset + byteLength > fileSize) {
    throw checkpointError(`tensor ${name} ends at byte ${offset + byteLength} but the file has ${fileSize} bytes; it is truncated`, file);
  }
  return { name, ggmlType, typeName, dtype, shape, offset, byteLength };
}
