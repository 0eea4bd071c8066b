/**
 * The bytes of a GGUF v3 header: magic, counts, metadata key/values and tensor infos, padded to the
 * alignment so the data section can follow. It writes no tensor data: callers stream that themselves
 * (a multi-GB model never has to be in memory at once). gguf.ts reads what this writes.
 */
import type { GgufValue } from './gguf.js';
import { GGUF_TYPE as TYPE, GGUF_TYPED_ARRAYS } from './ggufTypes.js';

/** ggml's default `general.alignment`: what readers assume when the key is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** One tensor info as the header lists it. */
export interface GgufTensorEntry {
  name: string;
  /** Row-major, outermost first (written innermost first, as ggml lists them). */
  shape: readonly number[];
  /** ggml type id, e.g. 2 = Q4_0. */
  ggmlType: number;
  /** Offset from the start of the data section; a multiple of the alignment. */
  offset: number;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

function str(s: string): Buffer[] {
  const bytes = Buffer.from(s, 'utf8');
  return [u64(bytes.length), bytes];
}

// The GGUF type a parsed value came from, as near as the parsed form tells (readGguf keeps typed
// arrays typed; scalars lose their width, so integers are written as u32/i32 when they fit).
function typeOf(value: GgufValue): number {
  if (typeof value === 'string') return TYPE.string;
  if (typeof value === 'boolean') return TYPE.bool;
  if (typeof value === 'bigint') return value >= 0n ? TYPE.u64 : TYPE.i64;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return TYPE.f64;
    if (value >= 0) return value <= 0xffffffff ? TYPE.u32 : TYPE.u64;
    return value >= -0x80000000 ? TYPE.i32 : TYPE.i64;
  }
  return TYPE.array;
}

function scalarBytes(type: number, value: GgufValue): Buffer[] {
  const b = Buffer.alloc(8);
  switch (type) {
    case TYPE.string: return str(value as string);
    case TYPE.bool: return [Buffer.from([value ? 1 : 0])];
    case TYPE.u32: b.writeUInt32LE(value as number); return [b.subarray(0, 4)];
    case TYPE.i32: b.writeInt32LE(value as number); return [b.subarray(0, 4)];
    case TYPE.u64: b.writeBigUInt64LE(BigInt(value as number | bigint)); return [b];
    case TYPE.i64: b.writeBigInt64LE(BigInt(value as number | bigint)); return [b];
    case TYPE.f64: b.writeDoubleLE(value as number); return [b];
    default: return arrayBytes(value as Exclude<GgufValue, string | number | bigint | boolean>);
  }
}

function arrayBytes(value: Exclude<GgufValue, string | number | bigint | boolean>): Buffer[] {
  if (ArrayBuffer.isView(value)) {
    const type = GGUF_TYPED_ARRAYS.find(([, cls]) => value instanceof cls)![0];
    return [u32(type), u64(value.length), Buffer.from(value.buffer, value.byteOffset, value.byteLength)];
  }
  const list = value as GgufValue[];
  // Elements of a plain array share a type; a numbers-free plain array is strings, bools or arrays.
  const type = list.length === 0 ? TYPE.string : typeOf(list[0]!);
  return [u32(type), u64(list.length), ...list.flatMap((v) => scalarBytes(type, v))];
}

/**
 * The header of a GGUF v3 file holding `metadata` and `tensors`, zero-padded to `alignment`: the data
 * section starts right after it. Non-integer numbers are written as f64, integers as u32/i32 when they fit.
 * @param alignment must match `general.alignment` in `metadata` when that key is set.
 */
export function ggufHeaderBytes(
  metadata: Iterable<readonly [string, GgufValue]>,
  tensors: readonly GgufTensorEntry[] = [],
  alignment = GGUF_DEFAULT_ALIGNMENT,
): Buffer {
  const entries = [...metadata];
  const parts: Buffer[] = [Buffer.from('GGUF', 'latin1'), u32(3), u64(tensors.length), u64(entries.length)];
  for (const [key, value] of entries) {
    const type = typeOf(value);
    parts.push(...str(key), u32(type), ...scalarBytes(type, value));
  }
  for (const t of tensors) {
    parts.push(...str(t.name), u32(t.shape.length), ...[...t.shape].reverse().map(u64), u32(t.ggmlType), u64(t.offset));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, Buffer.alloc((alignment - (body.length % alignment)) % alignment)]);
}
