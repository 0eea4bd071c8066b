/** GGUF's metadata value types (v3), shared by the reader (ggufCursor.ts) and the writer (writeGgufHeader.ts). */
import type { GgufArray } from './gguf.js';

export const GGUF_TYPE = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;

/** A typed array class as GGUF arrays of numbers are held in memory. */
export type GgufTypedArrayClass = { new (buffer: ArrayBuffer): GgufArray; readonly BYTES_PER_ELEMENT: number };

/** The numeric element types and the typed array each is held in (strings, bools and arrays stay lists). */
export const GGUF_TYPED_ARRAYS: readonly (readonly [number, GgufTypedArrayClass])[] = [
  [GGUF_TYPE.u8, Uint8Array], [GGUF_TYPE.i8, Int8Array], [GGUF_TYPE.u16, Uint16Array], [GGUF_TYPE.i16, Int16Array],
  [GGUF_TYPE.u32, Uint32Array], [GGUF_TYPE.i32, Int32Array], [GGUF_TYPE.f32, Float32Array],
  [GGUF_TYPE.u64, BigUint64Array], [GGUF_TYPE.i64, BigInt64Array], [GGUF_TYPE.f64, Float64Array],
];
