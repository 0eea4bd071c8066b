// The native codec kernels (csrc/comm/quantize) through the raw binding: rounding, error bounds, sizes, errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FsllmError } from '../../lib/index.js';
import { binding, type RawCodecTask } from '../../lib/native/binding.js';
import { seededRandom } from '../../lib/util/random.js';
import { expectError } from './_support.js';

type Codec = RawCodecTask['codec'];

function gaussian(n: number, seed: number, sigma = 1): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sigma * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return out;
}

async function roundTrip(values: Float32Array, codec: Codec, groupSize = 64): Promise<{ bytes: Uint8Array; back: Float32Array }> {
  const bytes = new Uint8Array(binding().codecBytes(codec, values.length, groupSize));
  await binding().codecEncode([{ codec, groupSize, values, bytes }]);
  const back = new Float32Array(values.length);
  await binding().codecDecode([{ codec, groupSize, values: back, bytes }]);
  return { bytes, back };
}

function halfToFloat(bits: number): number {
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  return sign * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
}

// ---

const casts = suite('codecEncode :: fp16/bf16');

casts('should round to nearest even :: bf16', async () => {
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7 (even mantissa wins: 1); 1 + 3·2^-8 rounds up to 1 + 2^-6.
  const { back } = await roundTrip(Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5]), 'bf16');
  assert.equal(Array.from(back), [1, 1 + 2 ** -6, -2.5]);
});

casts('should round to nearest even :: fp16', async () => {
  const { back } = await roundTrip(Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504]), 'fp16');
  assert.equal(Array.from(back), [1, 1 + 2 ** -9, 65504]);
});

for (const [codec, bound] of [['fp16', 2 ** -11], ['bf16', 2 ** -8]] as const) {
  casts(`should stay within relative error ${bound} :: ${codec}`, async () => {
    const values = gaussian(10_001, 1, 0.01);
    const { bytes, back } = await roundTrip(values, codec);
    assert.is(bytes.length, 2 * values.length);
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (Math.abs(x) > 1e-4) worst = Math.max(worst, Math.abs(back[i]! - x) / Math.abs(x)); // fp16 normals start at 6.1e-5
    }
    assert.ok(worst <= bound, `worst relative error ${worst}`);
  });
}

casts('should refuse a value beyond fp16 :: ERR_FSLLM_INVALID_ARG', async () => {
  await expectError(() => roundTrip(Float32Array.from([0, 1e6]), 'fp16'), FsllmError, 'ERR_FSLLM_INVALID_ARG', /1e\+06 at index 1 as fp16: .*range/);
});

casts.run();

// ---

const ints = suite('codecEncode :: int8/int4');

for (const [codec, qmax] of [['int8', 127], ['int4', 7]] as const) {
  for (const groupSize of [64, 30]) {
    ints(`should err at most scale/2 per group :: ${codec} g=${groupSize}`, async () => {
      const values = gaussian(5_000 + 3, 2, 0.02);
      const { bytes, back } = await roundTrip(values, codec, groupSize);
      const groups = Math.ceil(values.length / groupSize);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      assert.is(bytes.length, 2 * groups + (codec === 'int8' ? values.length : Math.ceil(values.length / 2)));
      for (let g = 0; g < groups; g++) {
        const scale = halfToFloat(view.getUint16(2 * g, true));
        let amax = 0;
        for (let i = g * groupSize; i < Math.min(values.length, (g + 1) * groupSize); i++) {
          amax = Math.max(amax, Math.abs(values[i]!));
          assert.ok(Math.abs(back[i]! - values[i]!) <= scale / 2 + 1e-12, `value ${i}: ${back[i]} vs ${values[i]} (scale ${scale})`);
        }
        assert.ok(scale >= amax / qmax && scale <= (amax / qmax) * (1 + 2 ** -10), `scale ${scale} for max ${amax}`);
      }
    });
  }
}

ints('should pack two int4 values per byte, low nibble first', async () => {
  // scale = 7/7 = 1: values -7..7 round-trip exactly; 0.5 rounds to even 0, 1.5 to 2.
  const values = Float32Array.from([1, -1, 7, -7, 0.5, 1.5, 3]);
  const { bytes, back } = await roundTrip(values, 'int4', 8);
  assert.equal(Array.from(bytes.subarray(2)), [0xf1, 0x97, 0x20, 0x03]);
  assert.equal(Array.from(back), [1, -1, 7, -7, 0, 2, 3]);
});

ints('should encode an all-zero group with scale 0', async () => {
  const { bytes, back } = await roundTrip(new Float32Array(100), 'int8');
  assert.ok(bytes.every((b) => b === 0));
  assert.ok(back.every((x) => x === 0));
});

ints('should update the residual in place: (x + r) − decoded', async () => {
  const values = gaussian(1000, 3, 0.01);
  const residual = gaussian(1000, 4, 0.001);
  const sent = values.map((x, i) => x + residual[i]!);
  const bytes = new Uint8Array(binding().codecBytes('int4', 1000, 64));
  await binding().codecEncode([{ codec: 'int4', groupSize: 64, values, bytes, residual }]);
  const back = new Float32Array(1000);
  await binding().codecDecode([{ codec: 'int4', groupSize: 64, values: back, bytes }]);
  for (let i = 0; i < 1000; i++) assert.ok(Math.abs(residual[i]! - (sent[i]! - back[i]!)) < 1e-7, `residual ${i}`);
});

ints('should refuse non-finite values :: ERR_FSLLM_INVALID_ARG', async () => {
  await expectError(() => roundTrip(Float32Array.from([1, Number.NaN]), 'int8'), FsllmError, 'ERR_FSLLM_INVALID_ARG', /value nan at index 1 as int8: it is not finite/i);
});

ints.run();

// ---

const surface = suite('codec binding checks');

surface('should refuse an odd int4 group, a wrong byte count and an unknown codec', async () => {
  const values = new Float32Array(10);
  await expectError(() => binding().codecEncode([{ codec: 'int4', groupSize: 3, values, bytes: new Uint8Array(9) }]), FsllmError, 'ERR_FSLLM_INVALID_ARG', /even.*groupSize/);
  await expectError(() => binding().codecEncode([{ codec: 'int8', groupSize: 64, values, bytes: new Uint8Array(3) }]), FsllmError, 'ERR_FSLLM_INVALID_ARG', /Expected 12 elements in tasks\[0\]\.bytes/);
  await expectError(() => binding().codecDecode([{ codec: 'fp8' as Codec, groupSize: 64, values, bytes: new Uint8Array(3) }]), FsllmError, 'ERR_FSLLM_INVALID_ARG', /one of fp32, fp16, bf16, int8, int4 for codec but received fp8/);
  assert.throws(() => binding().codecBytes('int8', -1, 64), /non-negative integer count/);
});

surface('should report sizes: fp32 4n, fp16 2n, int8 n + 2⌈n/g⌉, int4 ⌈n/2⌉ + 2⌈n/g⌉', () => {
  assert.equal(
    (['fp32', 'fp16', 'bf16', 'int8', 'int4'] as const).map((c) => binding().codecBytes(c, 1001, 64)),
    [4004, 2002, 2002, 1001 + 32, 501 + 32],
  );
});

surface.run();
