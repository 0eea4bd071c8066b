import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { TrainSession, type AdapterState, type Model, type OptimizerOptions, type RawBatch } from '../../lib/index.js';
import { batchOf, STORY_TEXTS, targetCount } from '../helpers/batches.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';
import { assertClose, maxAbsDiff } from './_support.js';

interface Ctx {
  model: Model;
  initial: AdapterState;
  rows: number[][];
}

/** Restores the initial adapter, runs `steps` with a fresh session and returns the adapter values. */
async function trainFrom(ctx: Ctx, batches: RawBatch[], optimizer: OptimizerOptions, steps = 1): Promise<{ data: Float32Array; losses: number[] }> {
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, { optimizer });
  try {
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) losses.push((await session.trainStep(batches, { lr: 1e-2 })).loss);
    return { data: (await ctx.model.exportAdapter()).data, losses };
  } finally {
    await session.dispose();
  }
}

// ---

const train = suite<Ctx>('TrainSession.trainStep');

train.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel();
  ctx.initial = await ctx.model.exportAdapter();
  ctx.rows = STORY_TEXTS.slice(0, 2).map((t) => ctx.model.tokenizer!.encode(t));
  assert.is.not(ctx.rows[0]!.length, ctx.rows[1]!.length, 'the two rows should need padding');
});

train.after(async (ctx) => {
  await ctx.model?.dispose();
});

train('should overfit one small batch: loss falls by more than 90% within 60 steps', async (ctx) => {
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model);
  try {
    const batch = batchOf(ctx.rows.slice(0, 1));
    const first = await session.trainStep(batch, { lr: 1e-2 });
    assert.ok(first.loss > 0.5, `first loss ${first.loss}`);
    assert.is(first.skipped, false);
    assert.ok(first.gradNorm > 0 && Number.isFinite(first.gradNorm));
    let last = first.loss;
    for (let step = 2; step <= 60 && last > 0.1 * first.loss; step++) last = (await session.trainStep(batch, { lr: 1e-2 })).loss;
    assert.ok(last < 0.1 * first.loss, `loss ${first.loss} -> ${last}`);
  } finally {
    await session.dispose();
  }
});

train('should report the step metrics', async (ctx) => {
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, { optimizer: { type: 'sgd' } });
  try {
    const a = batchOf(ctx.rows.slice(0, 1));
    const b = batchOf(ctx.rows.slice(1, 2));
    const m = await session.trainStep([a, b], { lr: 1e-3 });
    assert.is(m.targetTokens, targetCount(a) + targetCount(b));
    assert.is(m.inputTokens, ctx.rows[0]!.length + ctx.rows[1]!.length);
    assert.is(m.microLosses.length, 2);
    // The step loss is the token-weighted mean of the micro-batch means.
    const weighted = (m.microLosses[0]! * targetCount(a) + m.microLosses[1]! * targetCount(b)) / m.targetTokens;
    assert.ok(Math.abs(weighted - m.loss) < 1e-6 * m.loss, `${weighted} vs ${m.loss}`);
    assert.is(m.lossScale, 1);
    assert.is(m.skipped, false);
    assert.ok(m.ms > 0);
  } finally {
    await session.dispose();
  }
});

train('should not change the adapter at lr 0', async (ctx) => {
  const { data } = await trainFrom(ctx, [batchOf(ctx.rows)], { type: 'sgd' });
  assert.ok(maxAbsDiff(data, ctx.initial.data) > 0, 'lr 1e-2 should change the adapter');
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, { optimizer: { type: 'sgd' } });
  await session.trainStep(batchOf(ctx.rows), { lr: 0 });
  await session.dispose();
  assert.is(maxAbsDiff((await ctx.model.exportAdapter()).data, ctx.initial.data), 0);
});

// Two micro-batches [a], [b] accumulate to the gradient of one batch [a; b] right-padded with ignored
// labels: both are normalised by the same target count, so only summation order differs.
train('accumulation :: sgd, two micro-batches should equal one padded batch', async (ctx) => {
  const micro = await trainFrom(ctx, [batchOf([ctx.rows[0]!]), batchOf([ctx.rows[1]!])], { type: 'sgd', momentum: 0.9 }, 2);
  const padded = await trainFrom(ctx, [batchOf(ctx.rows)], { type: 'sgd', momentum: 0.9 }, 2);
  assert.ok(Math.abs(micro.losses[0]! - padded.losses[0]!) < 1e-6, `${micro.losses} vs ${padded.losses}`);
  assert.ok(maxAbsDiff(micro.data, ctx.initial.data) > 1e-3, 'the steps should move the adapter');
  assertClose(micro.data, padded.data, 1e-6, 'sgd adapters');
});

train('accumulation :: adamw, two micro-batches should equal one padded batch', async (ctx) => {
  const micro = await trainFrom(ctx, [batchOf([ctx.rows[0]!]), batchOf([ctx.rows[1]!])], { type: 'adamw' });
  const padded = await trainFrom(ctx, [batchOf(ctx.rows)], { type: 'adamw' });
  assert.ok(Math.abs(micro.losses[0]! - padded.losses[0]!) < 1e-6);
  // AdamW's first update is about lr * sign(g): entries with |g| near eps amplify rounding (seen: 2e-7).
  assertClose(micro.data, padded.data, 1e-5, 'adamw adapters');
});

train('should clip the gradient norm when maxGradNorm is set', async (ctx) => {
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, { optimizer: { type: 'sgd' } });
  try {
    const batch = batchOf(ctx.rows);
    const m = await session.trainStep(batch, { lr: 1, maxGradNorm: 1e-3 });
    assert.ok(m.gradNorm > 1e-3, `gradNorm ${m.gradNorm} (reported before clipping)`);
    // SGD with lr 1: the update is the clipped gradient, whose norm is maxGradNorm.
    const after = (await ctx.model.exportAdapter()).data;
    let sq = 0;
    for (let i = 0; i < after.length; i++) sq += (after[i]! - ctx.initial.data[i]!) ** 2;
    assert.ok(Math.abs(Math.sqrt(sq) - 1e-3) < 1e-5, `update norm ${Math.sqrt(sq)}`);
  } finally {
    await session.dispose();
  }
});

train.run();
