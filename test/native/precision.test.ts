import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FsllmError, TrainSession, type AdapterState, type Model, type RawBatch, type TrainSessionOptions } from '../../lib/index.js';
import { STORY_TEXTS, textBatch } from '../helpers/batches.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';
import { assertSame, expectError, maxAbsDiff } from './_support.js';

interface Ctx {
  model: Model;
  initial: AdapterState;
  batch: RawBatch;
}

/** From the initial adapter, a fresh session with `options`; `fn` runs with it, then it is disposed. */
async function withSession<T>(ctx: Ctx, options: TrainSessionOptions, fn: (s: TrainSession) => Promise<T>): Promise<T> {
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, options);
  try {
    return await fn(session);
  } finally {
    await session.dispose();
  }
}

// ---

const precision = suite<Ctx>('TrainSession precision and loss scaling');

precision.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel();
  ctx.initial = await ctx.model.exportAdapter();
  ctx.batch = textBatch(ctx.model.tokenizer!, STORY_TEXTS.slice(0, 2));
});

precision.after(async (ctx) => {
  await ctx.model?.dispose();
});

precision('bf16 should train, starting within 3% of the fp32 loss', async (ctx) => {
  const fp32 = await withSession(ctx, {}, (s) => s.trainStep(ctx.batch, { lr: 1e-2 }));
  const losses = await withSession(ctx, {}, async (s) => {
    const out: number[] = [];
    for (let i = 0; i < 8; i++) out.push((await s.trainStep(ctx.batch, { lr: 1e-2, precision: 'bf16' })).loss);
    return out;
  });
  const rel = Math.abs(losses[0]! - fp32.loss) / fp32.loss;
  assert.ok(rel < 0.03, `bf16 ${losses[0]} vs fp32 ${fp32.loss}`);
  assert.ok(losses.at(-1)! < 0.7 * losses[0]!, `bf16 losses ${losses.join(', ')}`);
});

precision('bf16 logits and evalLoss should be close to fp32', async ({ model, batch, initial }) => {
  await model.importAdapter(initial);
  const full = await model.logits(batch);
  const half = await model.logits(batch, { precision: 'bf16' });
  const range = full.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  // bf16 keeps 8 significant bits (relative step 2^-8); a few roundings per layer stay within 3% of the range.
  assert.ok(maxAbsDiff(full, half) < 0.03 * range, `max |diff| ${maxAbsDiff(full, half)}, max |logit| ${range}`);
  const a = await model.evalLoss([batch]);
  const b = await model.evalLoss([batch], { precision: 'bf16' });
  assert.is(a.tokens, b.tokens);
  assert.ok(Math.abs(a.lossSum - b.lossSum) < 0.03 * a.lossSum, `${a.lossSum} vs ${b.lossSum}`);
});

// The refusal follows the model's device (CPU here, on any build), not whether the build has CUDA.
precision('fp16 should reject on CPU with ERR_FSLLM_UNSUPPORTED and keep the adapter', async (ctx) => {
  await withSession(ctx, {}, async (s) => {
    await expectError(() => s.trainStep(ctx.batch, { lr: 1e-2, precision: 'fp16' }), FsllmError, 'ERR_FSLLM_UNSUPPORTED', /fp16.*CUDA.*bf16/);
    assertSame((await ctx.model.exportAdapter()).data, ctx.initial.data, 'adapter after the rejected step');
    // The session is usable afterwards.
    assert.is((await s.trainStep(ctx.batch, { lr: 1e-2 })).skipped, false);
  });
});

precision('lossScale :: enabled with fp32 should give the same update as no scaling', async (ctx) => {
  const plain = await withSession(ctx, {}, async (s) => [await s.trainStep(ctx.batch, { lr: 1e-2 }), (await ctx.model.exportAdapter()).data] as const);
  const scaled = await withSession(ctx, { lossScale: true }, async (s) => [await s.trainStep(ctx.batch, { lr: 1e-2 }), (await ctx.model.exportAdapter()).data] as const);
  assert.is(plain[0].lossScale, 1);
  assert.is(scaled[0].lossScale, 65536);
  assert.is(scaled[0].skipped, false);
  assert.ok(Math.abs(plain[0].loss - scaled[0].loss) < 1e-9);
  assert.ok(Math.abs(plain[0].gradNorm - scaled[0].gradNorm) < 1e-6 * plain[0].gradNorm, `${plain[0].gradNorm} vs ${scaled[0].gradNorm}`);
  // A power-of-two scale is exact in binary floating point, so the updates agree to the bit.
  assertSame(scaled[1], plain[1], 'adapters');
});

// 2^130 exceeds the fp32 range: the scaled backward overflows (1e38 does not for this batch).
precision('lossScale :: overflow should skip the step, keep the adapter and halve the scale', async (ctx) => {
  const initScale = 2 ** 130;
  await withSession(ctx, { lossScale: { initScale, growthInterval: 1 } }, async (s) => {
    const m = await s.trainStep(ctx.batch, { lr: 1e-2 });
    assert.is(m.skipped, true);
    assert.is(m.lossScale, initScale);
    assert.ok(Number.isFinite(m.loss), 'the reported loss is unscaled');
    assertSame((await ctx.model.exportAdapter()).data, ctx.initial.data, 'adapter after the skipped step');
    const next = await s.trainStep(ctx.batch, { lr: 1e-2 });
    assert.is(next.lossScale, initScale / 2);
  });
});

precision('lossScale :: should grow after growthInterval finite steps', async (ctx) => {
  await withSession(ctx, { lossScale: { initScale: 1024, growthInterval: 2, growthFactor: 4 } }, async (s) => {
    const scales: number[] = [];
    for (let i = 0; i < 4; i++) scales.push((await s.trainStep(ctx.batch, { lr: 1e-3 })).lossScale);
    assert.equal(scales, [1024, 1024, 4096, 4096]);
  });
});

precision.run();
