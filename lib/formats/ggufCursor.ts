/**
 * The bounded reader under readGguf: GGUF's little-endian scalars, strings and (nested) arrays, read
 * from a prefix of the file. Every length a file declares is checked against the bytes that exist
 * before anything is allocated for it, so a corrupt or hostile header costs at most its own size.
 * It does not know the file layout (header, key/values, tensor infos); gguf.ts does.
 */
import { checkpointError } from './errors.js';
import type { GgufArray, GgufValue } from './gguf.js';
import { GGUF_TYPE as T, GGUF_TYPED_ARRAYS } from './ggufTypes.js';

/**
 * The largest header read. Real headers are a few MiB (a 262k-token vocabulary with scores and
 * merges is about 10 MiB), so a larger one is corrupt; the cap keeps a length field in a multi-GB
 * file from making us read the whole file into memory.
 */
export const MAX_HEADER_BYTES = 256 * 1024 * 1024;
/** Arrays of arrays are legal, and real files nest 1–2 deep; deeper would only exhaust the stack. */
export const MAX_ARRAY_DEPTH = 64;
/** Items of string, bool and nested arrays in the whole header (real files: ~1M merges at most). */
export const MAX_LIST_ITEMS = 1 << 24;

/** Thrown when the parse needs bytes past the prefix read so far; readGguf reads more and retries. */
export const NEED_MORE = Symbol('need more bytes');

/** Fewest bytes one element of a string/bool/array array takes: u64 length, a byte, u32 type + u64 length. */
const MIN_ITEM_BYTES: ReadonlyMap<number, number> = new Map([[T.string, 8], [T.bool, 1], [T.array, 12]]);

const TYPED_ARRAYS = new Map(GGUF_TYPED_ARRAYS);

/** A key or name from the file, quoted and cut short: a corrupt header can hold anything there. */
export function quoted(text: string): string {
  const q = JSON.stringify(text);
  return q.length > 80 ? `${q.slice(0, 76)}..."` : q;
}

export class GgufCursor {
  pos = 0;
  /** What is being read, for messages: e.g. `metadata key "general.name"`. */
  at = 'the start of the header';
  readonly #view: DataView;
  readonly #decoder = new TextDecoder();
  #listItems = 0;

  /**
   * @param bytes the prefix of the file read so far (from byte 0).
   * @param fileSize the whole file's size; reads past it are truncation, not NEED_MORE.
   * @param file the path, for errors.
   */
  constructor(readonly bytes: Uint8Array, readonly fileSize: number, readonly file: string) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #fail(message: string): Error {
    return checkpointError(`${message} at ${this.at}; the header is corrupt`, this.file);
  }

  /** Checks that `n` more bytes exist (in the file, under the cap, and in the prefix read so far). */
  #need(n: number): void {
    if (this.pos + n > this.fileSize) {
      throw checkpointError(`the GGUF header runs past the end of the file (${this.fileSize} bytes) at ${this.at}; it is truncated or corrupt`, this.file);
    }
    if (this.pos + n > MAX_HEADER_BYTES) {
      throw this.#fail(`the GGUF header would run to byte ${this.pos + n} (real headers fit in ${MAX_HEADER_BYTES >> 20} MiB)`);
    }
    if (this.pos + n > this.bytes.length) throw NEED_MORE;
  }

  #take(n: number): number {
    this.#need(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u32(): number { return this.#view.getUint32(this.#take(4), true); }
  u64(): bigint { return this.#view.getBigUint64(this.#take(8), true); }

  /** A u64 used as a count, size or offset: must be a safe integer. */
  count(what: string): number {
    const value = this.u64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.#fail(`${what} ${value} is not plausible`);
    return Number(value);
  }

  string(): string {
    const length = this.count('string length');
    const at = this.#take(length);
    return this.#decoder.decode(this.bytes.subarray(at, at + length));
  }

  /** One metadata value of GGUF value type `type`; `depth` counts the arrays around it. */
  value(type: number, depth = 0): GgufValue {
    const v = this.#view;
    switch (type) {
      case T.u8: return v.getUint8(this.#take(1));
      case T.i8: return v.getInt8(this.#take(1));
      case T.u16: return v.getUint16(this.#take(2), true);
      case T.i16: return v.getInt16(this.#take(2), true);
      case T.u32: return v.getUint32(this.#take(4), true);
      case T.i32: return v.getInt32(this.#take(4), true);
      case T.f32: return shortestFloat32(v.getFloat32(this.#take(4), true));
      case T.bool: return v.getUint8(this.#take(1)) !== 0;
      case T.string: return this.string();
      case T.array: return this.#array(depth + 1);
      case T.u64: return safe(v.getBigUint64(this.#take(8), true));
      case T.i64: return safe(v.getBigInt64(this.#take(8), true));
      case T.f64: return v.getFloat64(this.#take(8), true);
      default: throw this.#fail(`unknown metadata value type ${type} (byte ${this.pos})`);
    }
  }

  #array(depth: number): GgufArray {
    if (depth > MAX_ARRAY_DEPTH) throw this.#fail(`arrays nest more than ${MAX_ARRAY_DEPTH} deep (real files nest 1 or 2)`);
    const type = this.u32();
    const length = this.count('array length');
    const typed = TYPED_ARRAYS.get(type);
    if (typed !== undefined) {
      const at = this.#take(length * typed.BYTES_PER_ELEMENT);
      return new typed(this.bytes.slice(at, at + length * typed.BYTES_PER_ELEMENT).buffer);
    }
    const itemBytes = MIN_ITEM_BYTES.get(type);
    if (itemBytes === undefined) throw this.#fail(`unknown array element type ${type}`);
    // The elements must fit in the bytes that exist before the list grows for them.
    this.#need(length * itemBytes);
    this.#listItems += length;
    if (this.#listItems > MAX_LIST_ITEMS) throw this.#fail(`the header holds more than ${MAX_LIST_ITEMS} list items`);
    const out: GgufValue[] = [];
    for (let i = 0; i < length; i++) out.push(this.value(type, depth));
    return out as GgufArray;
  }
}

// The shortest decimal that reads back as the same float32 (1e-5 rather than 0.000009999999747378752).
function shortestFloat32(value: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function safe(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
