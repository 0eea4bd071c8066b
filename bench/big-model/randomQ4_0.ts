/**
 * Random ggml Q4_0 tensor bytes drawn straight from a seeded generator, without encoding any fp32 weights:
 * each 18-byte block is an fp16 scale d and 32 four-bit codes q, and decodes to d * (q - 8). Uniform random
 * codes with a random scale per block are a legitimate Q4_0 tensor (as if random weights had been
 * quantised), and cost one xorshift step per 4 bytes: the 3.8 GB of a 7B model take seconds, where encoding
 * 6.7e9 fp32 weights block by block in JS would take many minutes.
 */
import { halfBits } from '../../test/helpers/lowPrecision.ts';

/** ggml's type id of Q4_0 (ggml.h `GGML_TYPE_Q4_0`). */
export const GGML_Q4_0 = 2;
/** Weights per block and bytes per block (fp16 d + 16 bytes of nibbles). */
export const Q4_0_BLOCK_VALUES = 32;
export const Q4_0_BLOCK_BYTES = 18;

// Two blocks are 36 bytes: the smallest run that whole 32-bit words of random bits cover exactly.
const PAIR_BYTES = 2 * Q4_0_BLOCK_BYTES;

/**
 * A generator of random Q4_0 blocks whose decoded weights have mean 0 and standard deviation `std`: block
 * scales take 128 magnitudes spread over [0.5, 1.5] x s and either sign (the sign cancels the -0.5 mean of
 * q - 8), with s chosen so that E[d^2] E[(q - 8)^2] = std^2.
 * @returns `fill(out)`, which writes the next `out.byteLength / 18` blocks of the stream into `out`; `out`
 *   must start at a multiple of 4 bytes and hold a whole number of block pairs (36 bytes).
 */
export function randomQ4_0(seed: number, std: number): (out: Uint8Array) => void {
  const magnitudes = Array.from({ length: 128 }, (_, k) => 0.5 + k / 127);
  const meanSquare = magnitudes.reduce((a, m) => a + m * m, 0) / magnitudes.length;
  const codeSquare = 21.5; // E[(q - 8)^2] for q uniform in 0..15: variance 21.25 + mean (-0.5) squared
  const s = std / Math.sqrt(meanSquare * codeSquare);
  // The 8 random bits already at a block's scale position pick its scale: bit 7 the sign, bits 0-6 the size.
  const scales = Uint16Array.from({ length: 256 }, (_, b) => halfBits((b & 128 ? -1 : 1) * s * magnitudes[b & 127]!));
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1; // xorshift32 must not start at 0
  return (out) => {
    if (out.byteOffset % 4 !== 0 || out.byteLength % PAIR_BYTES !== 0) {
      throw new RangeError(`randomQ4_0: expected whole block pairs (${PAIR_BYTES} bytes) at a 4-byte offset; got ${out.byteLength} bytes at ${out.byteOffset}`);
    }
    const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength / 4);
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
    // Each block's d is its first 2 bytes: half-word 9 * block.
    const halves = new Uint16Array(out.buffer, out.byteOffset, out.byteLength / 2);
    for (let h = 0; h < halves.length; h += Q4_0_BLOCK_BYTES / 2) halves[h] = scales[halves[h]! & 255]!;
  };
}
