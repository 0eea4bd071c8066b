// LoRA dropout (csrc/kernels/dropout: a counter-hashed mask regenerated for backward). With lora_B = 0 the
// forward pass does not depend on the mask, and the lora_B gradient is linear in dropout(x): averaged over
// seeds it must approach the gradient without dropout. A wrong keep rate or a missing 1 / (1 - p) rescale
// moves that mean by 30 % or more; a mask that ignored the seed would make every draw equal.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { manualSeed, type AdapterState, type Model, type RawBatch } from '../../lib/index.js';
import { batchOf, STORY_TEXTS } from '../helpers/batches.js';
import { gradientsAt } from '../helpers/golden.js';
import { TINY_LORA, tinyAdaptedModel } from '../helpers/tinyModel.js';

const P = 0.3;
const DRAWS = 32;

interface Ctx {
  plain: Model;
  dropped: Model;
  initial: AdapterState;
  batch: RawBatch;
}

function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! ** 2;
  return Math.sqrt(s);
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const diff = Float64Array.from({ length: a.length }, (_, i) => a[i]! - b[i]!);
  return norm(diff) / norm(b);
}

const dropout = suite<Ctx>('LoRA dropout');

dropout.before(async (ctx) => {
  ctx.plain = await tinyAdaptedModel({ ...TINY_LORA, dropout: 0 });
  ctx.dropped = await tinyAdaptedModel({ ...TINY_LORA, dropout: P });
  ctx.initial = await ctx.plain.exportAdapter();
  ctx.batch = batchOf(STORY_TEXTS.slice(0, 4).map((t) => ctx.plain.tokenizer!.encode(t)));
});

dropout.after(async (ctx) => {
  await ctx.plain?.dispose();
  await ctx.dropped?.dispose();
});

dropout('should be unbiased: the mean lora_B gradient over seeds matches the gradient without dropout', async (ctx) => {
  const reference = (await gradientsAt(ctx.plain, ctx.initial, ctx.batch)).grads.data;
  assert.ok(norm(reference) > 1e-4, 'the reference gradient is not zero');
  const mean = new Float64Array(reference.length);
  const draws: Float32Array[] = [];
  for (let seed = 0; seed < DRAWS; seed++) {
    await manualSeed(seed);
    const g = (await gradientsAt(ctx.dropped, ctx.initial, ctx.batch)).grads.data;
    draws.push(g);
    for (let i = 0; i < g.length; i++) mean[i]! += g[i]! / DRAWS;
  }
  const single = relativeError(draws[0]!, reference);
  const averaged = relativeError(mean, reference);
  assert.ok(single > 0.02, `one draw differs from the no-dropout gradient (${single})`);
  assert.ok(relativeError(draws[0]!, draws[1]!) > 0.02, 'two seeds draw different masks');
  assert.ok(averaged < 0.1, `mean of ${DRAWS} draws is within 10 % of the reference (${averaged}; one draw ${single})`);
});

dropout.run();
