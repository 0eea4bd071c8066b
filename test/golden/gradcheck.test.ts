// Finite-difference check of the LoRA gradients on the llama fixture, independent of the HF reference:
// the analytic gradient (backward + SGD, observed as before − after with lr = 1) must equal the slope
// of the forward-only loss (evalLoss) along single coordinates of lora_A and lora_B. A wrong LoRA
// scaling, a missing transpose or a dropped term in backward changes the first and not the second.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { AdapterState, Model } from '../../lib/index.js';
import { assertFiniteDifferences, gradientsAt, loadAdapted, loadGolden } from '../helpers/golden.js';
import type { GoldenFixture } from '../helpers/golden.js';
import { logReport } from '../helpers/tolerance.js';

type Ctx = { fx: GoldenFixture; model: Model; initial: AdapterState; grads: AdapterState };

/**
 * Step of the differences. The loss is an fp32 forward (noise ~1e-6 on a loss of ~5), and the
 * parameters are ~N(0, 0.1) (A) and ~N(0, 0.05) (B), so h = 2e-2 keeps the rounding part of the
 * error (~1.5·noise/h ≈ 4e-5 at worst, as measured over 150 coordinates) small; the five-point
 * stencil makes the truncation part O(h⁴), below that.
 */
const H = 2e-2;

/**
 * |fd − g| <= FD_ABS + FD_REL·|g|. Coordinates are drawn among those with |g| >= MIN_GRAD, so the bound
 * is at most 3 % of |g|: a scaling error (×2 for this adapter's α/r = 2) or any gradient wrong by more
 * than 3 % fails. Measured worst over 150 coordinates: 17 % of this bound.
 */
const FD_ABS = 1e-4;
const FD_REL = 1e-2;
const MIN_GRAD = 5e-3;
const PER_KIND = 10;
const SEED = 20240611;

/** A small xorshift32 generator: the same coordinates on every run. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** `count` distinct flat indices drawn from `pool`. */
function draw(pool: number[], count: number, next: () => number): number[] {
  const picked = new Set<number>();
  while (picked.size < Math.min(count, pool.length)) picked.add(pool[Math.floor(next() * pool.length)]!);
  return [...picked];
}

/** The entry `index` belongs to, as `name[i]`. */
function coordinateName(state: AdapterState, index: number): string {
  const e = state.manifest.find((m) => index >= m.offset && index < m.offset + m.shape.reduce((a, b) => a * b, 1))!;
  return `${e.name}[${index - e.offset}]`;
}

// ---

const fd = suite<Ctx>('TrainSession.trainStep (finite differences)');

fd.before(async (ctx) => {
  ctx.fx = await loadGolden('llama');
  Object.assign(ctx, await loadAdapted(ctx.fx));
  ctx.grads = (await gradientsAt(ctx.model, ctx.initial, ctx.fx.batch)).grads;
});

fd.after(async (ctx) => {
  await ctx.model?.dispose();
});

fd('should match central differences of evalLoss at 20 seeded coordinates :: llama lora_A and lora_B', async (ctx) => {
  const { fx, model, initial, grads } = ctx;

  // Candidates: every entry of the lora_A tensors, and of the lora_B tensors, with a usable |g|.
  const pools = { lora_A: [] as number[], lora_B: [] as number[] };
  for (const e of grads.manifest) {
    const kind = e.name.includes('.lora_A.') ? 'lora_A' : 'lora_B';
    const size = e.shape.reduce((a, b) => a * b, 1);
    for (let i = e.offset; i < e.offset + size; i++) if (Math.abs(grads.data[i]!) >= MIN_GRAD) pools[kind].push(i);
  }
  const next = generator(SEED);
  const coordinates = [...draw(pools.lora_A, PER_KIND, next), ...draw(pools.lora_B, PER_KIND, next)];
  assert.is(coordinates.length, 2 * PER_KIND);

  const report = await assertFiniteDifferences(model, initial, fx.batch, grads, coordinates, { h: H, abs: FD_ABS, rel: FD_REL }, (i) => coordinateName(grads, i));
  logReport('llama finite differences', report);
});

fd.run();
