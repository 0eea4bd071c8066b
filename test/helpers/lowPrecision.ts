// An independent TypeScript rendering of the base formats (csrc/quant): fp32 values rounded as bf16 or fp16
// would store them, and ggml Q8_0 / Q4_0 blocks encoded and decoded. Tests load a model stored in a format
// and compare it with an fp32 model holding these decoded weights.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The fp32 value of bits. */
function fromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/** `value` rounded to bf16 (nearest, ties to even), as an fp32 number. */
export function roundBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  return fromBits(((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) << 16);
}

/** IEEE fp16 bits of `value` (nearest, ties to even; overflow to infinity). */
export function halfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  const round = (kept: number, rest: number, mid: number) => (rest > mid || (rest === mid && kept & 1) ? kept + 1 : kept);
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    return sign | round(mant >>> shift, mant & ((1 << shift) - 1), 1 << (shift - 1));
  }
  return sign | round((e << 10) | (mant >>> 13), mant & 0x1fff, 0x1000);
}

/** The value of fp16 `bits`. */
export function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** `value` rounded to fp16, as an fp32 number. */
export function roundFp16(value: number): number {
  return halfValue(halfBits(value));
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * `rows` rows of `values` (row-major, `values.length / rows` each) cut into blocks of 32 along each row, the
 * last block of a row padded with zeros; `block` rounds one block in place.
 */
function byRowBlocks(values: Float32Array, rows: number, block: (b: Float32Array) => void): Float32Array {
  const width = values.length / rows;
  const out = new Float32Array(values.length);
  const b = new Float32Array(32);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c += 32) {
      b.fill(0);
      const n = Math.min(32, width - c);
      b.set(values.subarray(r * width + c, r * width + c + n));
      block(b);
      out.set(b.subarray(0, n), r * width + c);
    }
  }
  return out;
}

/** ggml Q8_0 per row (scale max|x| / 127, stored fp16), encoded and decoded. */
export function roundQ8_0(values: Float32Array, rows: number): Float32Array {
  return byRowBlocks(values, rows, (b) => {
    let amax = 0;
    for (const v of b) amax = Math.max(amax, Math.abs(v));
    const d = roundFp16(Math.fround(amax / 127));
    const inv = d !== 0 ? Math.fround(1 / d) : 0;
    for (let i = 0; i < 32; i++) b[i] = Math.fround(d * clamp(roundHalfEven(Math.fround(b[i]! * inv)), -127, 127));
  });
}

/** ggml Q4_0 per row (scale: the value of largest magnitude / -8, fp16; offset 8), encoded and decoded. */
export function roundQ4_0(values: Float32Array, rows: number): Float32Array {
  return byRowBlocks(values, rows, (b) => {
    let extreme = 0;
    for (const v of b) if (Math.abs(v) > Math.abs(extreme)) extreme = v;
    const d = roundFp16(Math.fround(extreme / -8));
    const inv = d !== 0 ? Math.fround(1 / d) : 0;
    for (let i = 0; i < 32; i++) b[i] = Math.fround(d * (clamp(roundHalfEven(Math.fround(b[i]! * inv)) + 8, 0, 15) - 8));
  });
}
