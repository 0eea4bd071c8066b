// csrc/kernels/small_head_attention (fused causal attention for head dimensions up to 32) against the libtorch
// formula it replaces, softmax(q kᵀ / √Hd + bias) v under autograd, both run by binding().attentionProbe:
// outputs and the gradients of q, k and v on shapes at the kernel's edges (head dimensions that are not
// multiples of 8, one row, a row count not a multiple of 8, grouped query heads, the largest head dimension)
// and under each kind of bias the model builds (causal, right and left padding, packed segments); then the
// kernel's gradients against finite differences of its own forward pass.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FsllmError } from '../../lib/index.js';
import { binding, type RawAttentionProbe, type RawAttentionProbeResult } from '../../lib/native/binding.js';
import { seededRandom } from '../helpers/batches.js';
import { assertClose, maxAbs } from '../helpers/tolerance.js';
import { expectError } from './_support.js';

type Mask = 'causal' | 'right padding' | 'left padding' | 'segments';
interface Shape {
  batch: number;
  heads: number;
  kvHeads: number;
  seq: number;
  headDim: number;
  mask: Mask;
}

const CASES: Record<string, Shape> = {
  "stories260K's heads: Hd 8, 8 heads over 4 KV heads": { batch: 2, heads: 8, kvHeads: 4, seq: 70, headDim: 8, mask: 'causal' },
  'Hd 5, a single row': { batch: 1, heads: 2, kvHeads: 2, seq: 1, headDim: 5, mask: 'causal' },
  'Hd 5, 13 rows, right padding': { batch: 2, heads: 2, kvHeads: 1, seq: 13, headDim: 5, mask: 'right padding' },
  'Hd 16, 3 query heads per KV head, packed segments': { batch: 2, heads: 6, kvHeads: 2, seq: 33, headDim: 16, mask: 'segments' },
  'Hd 8, packed segments that start past 5 and 9 chunks of keys, then padding': {
    batch: 2, heads: 4, kvHeads: 2, seq: 100, headDim: 8, mask: 'segments',
  },
  'Hd 24, one KV head, left padding': { batch: 2, heads: 2, kvHeads: 1, seq: 40, headDim: 24, mask: 'left padding' },
  'Hd 32 (the largest), 130 rows': { batch: 1, heads: 4, kvHeads: 2, seq: 130, headDim: 32, mask: 'causal' },
};

const LOWEST = -3.4028234663852886e38; // the model's masked bias (the lowest finite float)

/** Whether row t of sequence b may see key s (before causality): padding keys and other segments are hidden. */
function visible(shape: Shape, b: number, t: number, s: number): boolean {
  const pad = 3 + b; // padding tokens per row in the padded cases
  switch (shape.mask) {
    case 'causal':
      return true;
    case 'right padding':
      return s < shape.seq - pad;
    case 'left padding':
      return s >= pad;
    case 'segments': {
      // Short rows: boundaries at 10 + b and 25; long ones at 41 + b and 77 (the kernel skips the chunks of
      // keys before a segment's start).
      // The long rows end in padding (segment 0, as pack() leaves it), which no row sees and which sees nothing.
      const [first, second, end] = shape.seq < 50 ? [10 + b, 25, shape.seq] : [41 + b, 77, 93 + b];
      const segment = (i: number) => (i >= end ? 0 : i < first ? 1 : i < second ? 2 : 3);
      return segment(s) !== 0 && segment(s) === segment(t);
    }
  }
}

/** Inputs in the probe's layouts; rows that see no key (left padding's pad rows) get no output gradient, as in a loss. */
function inputs(shape: Shape, seed: number): { probe: Omit<RawAttentionProbe, 'path'>; live: (row: number) => boolean } {
  const { batch: B, heads: H, kvHeads: Hkv, seq: T, headDim: Hd } = shape;
  const random = seededRandom(seed);
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const bias = new Float32Array(B * T * T);
  const seen = new Uint8Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < T; s++) {
        const ok = s <= t && visible(shape, b, t, s);
        bias[(b * T + t) * T + s] = ok ? 0 : LOWEST;
        if (ok) seen[b * T + t] = 1;
      }
    }
  }
  const grad = fill(B * T * H * Hd, 1);
  for (let r = 0; r < B * T; r++) if (!seen[r]) grad.fill(0, r * H * Hd, (r + 1) * H * Hd);
  // q and k of ±2 give peaked rows as well as flat ones.
  const probe = {
    batch: B, heads: H, kvHeads: Hkv, seq: T, headDim: Hd,
    q: fill(B * H * T * Hd, 2), k: fill(B * Hkv * T * Hd, 2), v: fill(B * Hkv * T * Hd, 1), bias, grad,
  };
  return { probe, live: (row) => seen[row] === 1 };
}

function run(path: RawAttentionProbe['path'], probe: Omit<RawAttentionProbe, 'path'>): Promise<RawAttentionProbeResult> {
  return binding().attentionProbe({ ...probe, path });
}

// ---

const parity = suite('small_head_attention vs the libtorch formula');

let seed = 1;
for (const [name, shape] of Object.entries(CASES)) {
  const caseSeed = seed++;
  parity(`should give its outputs and input gradients :: ${name}, ${shape.mask}`, async () => {
    const { probe, live } = inputs(shape, caseSeed);
    const kernel = await run('kernel', probe);
    const reference = await run('reference', probe);
    const width = shape.heads * shape.headDim;
    // Bounds are fp32 rounding of sums in another order (measured worst: a fifth of them, on Hd 32).
    assertClose(kernel.out, reference.out, { abs: 2e-6, rel: 1e-6 }, `${name} out`, (i) => live(Math.floor(i / width)));
    // A row that sees no key is padding: the formula averages it over the hidden keys, the kernel gives 0.
    assert.ok(kernel.out.every((x, i) => live(Math.floor(i / width)) || x === 0), 'rows without a visible key are 0');
    for (const key of ['dq', 'dk', 'dv'] as const) {
      const expected = reference[key]!;
      assertClose(kernel[key]!, expected, { abs: 3e-6 * Math.max(1, maxAbs(expected)), rel: 1e-6 }, `${name} ${key}`);
    }
    const forwardOnly = await run('kernel', { ...probe, grad: undefined });
    assert.equal(forwardOnly.out, kernel.out, 'the forward pass outside autograd gives the same output');
  });
}

parity('should have cases with rows that see no key (left padding, the padding after packed rows)', () => {
  const rowsWithoutKeys = (name: string) => {
    const shape = CASES[name]!;
    const { live } = inputs(shape, 0);
    return Array.from({ length: shape.batch * shape.seq }, (_, row) => row).filter((row) => !live(row)).length;
  };
  assert.ok(rowsWithoutKeys('Hd 24, one KV head, left padding') > 0);
  assert.ok(rowsWithoutKeys('Hd 8, packed segments that start past 5 and 9 chunks of keys, then padding') > 0);
});

parity('should refuse a head dimension above 32 :: ERR_FSLLM_INVALID_ARG', async () => {
  const { probe } = inputs({ batch: 1, heads: 1, kvHeads: 1, seq: 4, headDim: 40, mask: 'causal' }, 99);
  // The raw binding rejects with the base class; lib/native's wrappers pick subclasses by code.
  const why = /small_head_attention: inputs outside the kernel's shapes/;
  await expectError(() => run('kernel', probe), FsllmError, 'ERR_FSLLM_INVALID_ARG', why);
});

parity.run();

// ---

/**
 * Five-point central differences of L = Σ out · w (w the output gradient) along single coordinates of q, k
 * and v, from fp32 forward passes of the kernel; L is summed in float64. With h = 5e-2 the rounding and the
 * O(h⁴) truncation errors stayed below 2.5e-6 over these 18 coordinates (gradients of 1e-3 to 0.3), so a
 * gradient off by 0.1% fails.
 */
const FD_H = 5e-2;
const FD_TOL = { abs: 2e-5, rel: 1e-3 };

const differences = suite('small_head_attention backward (finite differences)');

differences('should match the slope of its forward pass along q, k and v', async () => {
  const shape: Shape = { batch: 2, heads: 4, kvHeads: 2, seq: 20, headDim: 8, mask: 'segments' };
  const { probe } = inputs(shape, 42);
  const grads = await run('kernel', probe);
  const w = probe.grad!;
  const loss = async (key: 'q' | 'k' | 'v', index: number, delta: number) => {
    const moved = Float32Array.from(probe[key]);
    moved[index] = moved[index]! + delta;
    const { out } = await run('kernel', { ...probe, [key]: moved, grad: undefined });
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += out[i]! * w[i]!;
    return sum;
  };
  const random = seededRandom(7);
  for (const key of ['q', 'k', 'v'] as const) {
    const analytic = grads[`d${key}`]!;
    for (let n = 0; n < 6; n++) {
      const i = Math.floor(random() * analytic.length);
      const [p2, p1, m1, m2] = await Promise.all([2, 1, -1, -2].map((s) => loss(key, i, s * FD_H)));
      const slope = (-p2! + 8 * p1! - 8 * m1! + m2!) / (12 * FD_H);
      assertClose([analytic[i]!], [slope], FD_TOL, `d${key}[${i}]`);
    }
  }
});

differences.run();
