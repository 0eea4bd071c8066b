/**
 * safetensors reader: header parsing with full validation (for checkpoints, whose bytes the native
 * loader maps) and whole-file reading into typed arrays (for adapters, which are small).
 * Format: u64 little-endian header length N, N bytes of JSON, then the data section; each tensor's
 * `data_offsets` are [begin, end) relative to the data section.
 */

import { checkpointError } from './errors.js';
import { openForRead, readRange } from './readRange.js';
import type { StoredDType, TensorSource } from './types.js';

/** The plain dtypes fsllm reads from and writes to safetensors files. */
export type SafetensorsDType = Extract<StoredDType, 'f32' | 'f16' | 'bf16' | 'f64' | 'i32' | 'i64'>;

/** Typed arrays holding tensor data; f16 and bf16 travel as raw bits in a `Uint16Array`. */
export type SafetensorsData = Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array;

/** One tensor entry of a header. */
export interface SafetensorsEntry {
  name: string;
  /** dtype as the header spells it, e.g. `F32`, `BF16`, `I8`; see {@link safetensorsDType}. */
  formatDType: string;
  shape: number[];
  /** Absolute byte offset of the first element in the file. */
  offset: number;
  byteLength: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  file: string;
  fileSize: number;
  /** Absolute offset of the data section (8 + header length). */
  dataOffset: number;
  /** The `__metadata__` map (string → string), empty when absent. */
  metadata: Record<string, string>;
  /** Entries in ascending offset order. */
  tensors: SafetensorsEntry[];
}

/** A tensor read into memory. */
export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  data: SafetensorsData;
}

/** @internal Format spelling of each supported dtype. */
export const SAFETENSORS_FORMAT_NAMES: Readonly<Record<SafetensorsDType, string>> = {
  f32: 'F32', f16: 'F16', bf16: 'BF16', f64: 'F64', i32: 'I32', i64: 'I64',
};

/** @internal Bytes per element of every dtype the format defines (so any header can be validated). */
export const SAFETENSORS_ELEMENT_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

// The reference implementation refuses headers above 100 MB; a larger length means a foreign file.
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Reads and validates a safetensors header: every tensor's byte range must match its dtype and shape,
 * lie inside the file and not overlap another.
 * @param file path of the `.safetensors` file.
 * @throws `ERR_FSLLM_CHECKPOINT` when the file is missing, truncated, or not safetensors.
 */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const handle = await openForRead(file);
  try {
    const fileSize = (await handle.stat()).size;
    if (fileSize < 8) throw checkpointError(`${fileSize} bytes is too small for a safetensors file`, file);
    const lengthBytes = await readRange(handle, 0, 8);
    const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, /* littleEndian */ true);
    if (headerLength > BigInt(fileSize - 8) || headerLength > BigInt(MAX_HEADER_BYTES)) {
      throw checkpointError(
        `header length ${headerLength} runs past the end of the file (${fileSize} bytes); ` +
          'the file is truncated or not safetensors',
        file,
      );
    }
    const text = new TextDecoder().decode(await readRange(handle, 8, Number(headerLength)));
    return interpretHeader(text, 8 + Number(headerLength), fileSize, file);
  } finally {
    await handle.close();
  }
}

/**
 * The dtype of an entry as fsllm names it.
 * @throws `ERR_FSLLM_CHECKPOINT` naming the tensor when the dtype is not one fsllm loads.
 */
export function safetensorsDType(entry: SafetensorsEntry, file: string): SafetensorsDType {
  for (const [dtype, formatName] of Object.entries(SAFETENSORS_FORMAT_NAMES)) {
    if (formatName === entry.formatDType) return dtype as SafetensorsDType;
  }
  throw checkpointError(
    `tensor ${entry.name} has dtype ${entry.formatDType}, which fsllm cannot load; ` +
      `supported: ${Object.values(SAFETENSORS_FORMAT_NAMES).join(', ')}`,
    file,
  );
}

/**
 * Where `entry`'s bytes lie in `file` and how they are stored: what the native reader needs to decode it.
 * @throws `ERR_FSLLM_CHECKPOINT` naming the tensor when its dtype is not one fsllm loads.
 */
export function safetensorsSource(entry: SafetensorsEntry, file: string): TensorSource {
  return { name: entry.name, file, offset: entry.offset, byteLength: entry.byteLength, dtype: safetensorsDType(entry, file), shape: entry.shape };
}

/**
 * Reads a whole safetensors file into typed arrays (meant for adapters and other small files).
 * @throws `ERR_FSLLM_CHECKPOINT` as {@link readSafetensorsHeader}, or for an unsupported dtype.
 */
export async function readSafetensors(file: string): Promise<{ metadata: Record<string, string>; tensors: SafetensorsTensor[] }> {
  const header = await readSafetensorsHeader(file);
  const handle = await openForRead(file);
  try {
    const tensors: SafetensorsTensor[] = [];
    for (const entry of header.tensors) {
      const dtype = safetensorsDType(entry, file);
      const bytes = await readRange(handle, entry.offset, entry.byteLength);
      tensors.push({ name: entry.name, dtype, shape: entry.shape, data: typedView(dtype, bytes) });
    }
    return { metadata: header.metadata, tensors };
  } finally {
    await handle.close();
  }
}

// `bytes` owns its buffer from offset 0 (readRange), so the view is aligned.
function typedView(dtype: SafetensorsDType, bytes: Uint8Array): SafetensorsData {
  const { buffer } = bytes;
  switch (dtype) {
    case 'f32': return new Float32Array(buffer, 0, bytes.length / 4);
    case 'f64': return new Float64Array(buffer, 0, bytes.length / 8);
    case 'f16':
    case 'bf16': return new Uint16Array(buffer, 0, bytes.length / 2);
    case 'i32': return new Int32Array(buffer, 0, bytes.length / 4);
    case 'i64': return new BigInt64Array(buffer, 0, bytes.length / 8);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function interpretHeader(text: string, dataOffset: number, fileSize: number, file: string): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw checkpointError('the header is not valid JSON; the file is corrupt or not safetensors', file, error);
  }
  if (!isRecord(json)) throw checkpointError('the header is not a JSON object; the file is not safetensors', file);

  let metadata: Record<string, string> = {};
  const tensors: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        throw checkpointError('__metadata__ must map strings to strings', file);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    tensors.push(interpretEntry(name, value, dataOffset, file));
  }

  // Empty tensors sort first at their offset and take no bytes, so they overlap nothing.
  tensors.sort((a, b) => a.offset - b.offset || a.byteLength - b.byteLength);
  let end = dataOffset;
  for (const entry of tensors) {
    const entryEnd = entry.offset + entry.byteLength;
    if (entry.byteLength > 0 && entry.offset < end) throw checkpointError(`tensor ${entry.name} overlaps the tensor before it`, file);
    if (entryEnd > fileSize) {
      throw checkpointError(
        `tensor ${entry.name} ends at byte ${entryEnd} but the file has ${fileSize} bytes; it is truncated`,
        file,
      );
    }
    end = Math.max(end, entryEnd);
  }
  return { file, fileSize, dataOffset, metadata, tensors };
}

function interpretEntry(name: string, value: unknown, dataOffset: number, file: string): SafetensorsEntry {
  const bad = (what: string) => checkpointError(`tensor ${name}: ${what}`, file);
  if (!isRecord(value)) throw bad('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw bad('dtype is missing');
  const elementBytes = SAFETENSORS_ELEMENT_BYTES[dtype];
  if (elementBytes === undefined) throw bad(`unknown dtype ${dtype}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad('shape must be an array of non-negative integers');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1]) || offsets[1] < offsets[0]) {
    throw bad('data_offsets must be [begin, end] with 0 <= begin <= end');
  }
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const byteLength = offsets[1] - offsets[0];
  if (byteLength !== numel * elementBytes) {
    throw bad(`data_offsets span ${byteLength} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${numel * elementBytes}`);
  }
  return { name, formatDType: dtype, shape: shape as number[], offset: dataOffset + offsets[0], byteLength };
}
