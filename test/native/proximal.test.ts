import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError, TrainSession, type AdapterState, type Model, type OptimizerOptions, type RawBatch, type StepMetrics } from '../../lib/index.js';
import { batchOf, STORY_TEXTS } from '../helpers/batches.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';
import { assertClose, assertSame, expectError } from './_support.js';

interface Ctx {
  model: Model;
  initial: AdapterState;
  /** The initial adapter plus a deterministic perturbation, so w0 - anchor is non-zero everywhere. */
  anchor: Float32Array;
  batch: RawBatch;
}

const SGD: OptimizerOptions = { type: 'sgd' };
const LR = 0.1;
const MU = 0.5;

interface ProxRun {
  /** Proximal anchor to set before the steps (null: none, or set then cleared when `clear`). */
  anchor: Float32Array | null;
  mu: number;
  clear?: boolean;
}

/** Restores the initial adapter, runs `steps` with a fresh session and returns the adapter and last metrics. */
async function run(ctx: Ctx, prox: ProxRun, optimizer = SGD, steps = 1, lr = LR): Promise<{ data: Float32Array; metrics: StepMetrics }> {
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, { optimizer });
  try {
    if (prox.anchor) await session.setProximalAnchor(prox.anchor);
    if (prox.clear) await session.setProximalAnchor(null);
    let metrics: StepMetrics | undefined;
    for (let i = 0; i < steps; i++) metrics = await session.trainStep(ctx.batch, { lr, proximalMu: prox.mu });
    return { data: (await ctx.model.exportAdapter()).data, metrics: metrics! };
  } finally {
    await session.dispose();
  }
}

/** ||a - b||² in float64. */
function squaredDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum;
}

async function setUp(ctx: Ctx): Promise<void> {
  ctx.model = await tinyAdaptedModel();
  ctx.initial = await ctx.model.exportAdapter();
  ctx.anchor = ctx.initial.data.map((w, i) => w + 0.02 * Math.sin(i + 1));
  ctx.batch = batchOf(STORY_TEXTS.slice(0, 2).map((t) => ctx.model.tokenizer!.encode(t)));
}

// ---

const step = suite<Ctx>('TrainSession.trainStep :: proximalMu');

step.before(setUp);
step.after(async (ctx) => {
  await ctx.model?.dispose();
});

step('sgd :: should add exactly mu·(w0 - anchor) to the gradient', async (ctx) => {
  const plain = await run(ctx, { anchor: null, mu: 0 });
  const prox = await run(ctx, { anchor: ctx.anchor, mu: MU });
  const w0 = ctx.initial.data;
  const got = prox.data.map((w, i) => w - plain.data[i]!);
  const expected = w0.map((w, i) => -LR * MU * (w - ctx.anchor[i]!));
  assertClose(got, expected, 1e-6, 'w(mu) - w(plain)');
  assert.ok(Math.max(...expected.map(Math.abs)) > 1e-4, 'the test should move the weights measurably');
  assert.is(prox.metrics.loss, plain.metrics.loss, 'loss stays the plain cross-entropy');
});

step('should report proximal = (mu/2)·||w0 - anchor||² at the step start', async (ctx) => {
  const plain = await run(ctx, { anchor: null, mu: 0 });
  const prox = await run(ctx, { anchor: ctx.anchor, mu: MU });
  const expected = (MU / 2) * squaredDistance(ctx.initial.data, ctx.anchor);
  assert.is(plain.metrics.proximal, 0);
  assert.ok(expected > 0);
  assert.ok(Math.abs(prox.metrics.proximal - expected) <= 1e-5 * expected, `${prox.metrics.proximal} vs ${expected}`);
});

step('should be off with mu 0 even when an anchor is set', async (ctx) => {
  const plain = await run(ctx, { anchor: null, mu: 0 });
  const anchored = await run(ctx, { anchor: ctx.anchor, mu: 0 });
  assertSame(anchored.data, plain.data, 'adapter');
  assert.is(anchored.metrics.proximal, 0);
});

step('adamw :: should keep the weights nearer the anchor after 20 steps', async (ctx) => {
  const adamw: OptimizerOptions = { type: 'adamw' };
  const free = await run(ctx, { anchor: ctx.anchor, mu: 0 }, adamw, 20, 1e-2);
  const prox = await run(ctx, { anchor: ctx.anchor, mu: 1 }, adamw, 20, 1e-2);
  const dFree = Math.sqrt(squaredDistance(free.data, ctx.anchor));
  const dProx = Math.sqrt(squaredDistance(prox.data, ctx.anchor));
  assert.ok(dProx < dFree, `||w - anchor||: mu=1 ${dProx} vs mu=0 ${dFree}`);
});

step('overflow :: should leave the weights unchanged when the scaled step is skipped', async (ctx) => {
  await ctx.model.importAdapter(ctx.initial);
  // 2^130 overflows fp32, so every scaled gradient is inf and the step is skipped.
  const session = await TrainSession.create(ctx.model, { optimizer: SGD, lossScale: { initScale: 2 ** 130 } });
  try {
    await session.setProximalAnchor(ctx.anchor);
    const m = await session.trainStep(ctx.batch, { lr: LR, proximalMu: MU });
    assert.is(m.skipped, true);
    assertSame((await ctx.model.exportAdapter()).data, ctx.initial.data, 'adapter after the skipped step');
    const expected = (MU / 2) * squaredDistance(ctx.initial.data, ctx.anchor);
    assert.ok(Math.abs(m.proximal - expected) <= 1e-5 * expected, `${m.proximal} vs ${expected}`);
  } finally {
    await session.dispose();
  }
});

step('should refuse a negative or non-finite mu :: ERR_FSLLM_INVALID_ARG', async (ctx) => {
  const session = await TrainSession.create(ctx.model, { optimizer: SGD });
  try {
    for (const mu of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expectError(() => session.trainStep(ctx.batch, { lr: LR, proximalMu: mu }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /step\.proximalMu/);
    }
  } finally {
    await session.dispose();
  }
});

step.run();

// ---

const anchor = suite<Ctx>('TrainSession.setProximalAnchor');

anchor.before(setUp);
anchor.after(async (ctx) => {
  await ctx.model?.dispose();
});

anchor('should be required when mu > 0 :: ERR_FSLLM_INVALID_ARG', async (ctx) => {
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, { optimizer: SGD });
  try {
    await expectError(() => session.trainStep(ctx.batch, { lr: LR, proximalMu: MU }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /call setProximalAnchor first/);
    assertSame((await ctx.model.exportAdapter()).data, ctx.initial.data, 'weights after the refused step');
  } finally {
    await session.dispose();
  }
});

anchor('should refuse a wrong length, naming both lengths :: ERR_FSLLM_INVALID_ARG', async (ctx) => {
  const session = await TrainSession.create(ctx.model, { optimizer: SGD });
  try {
    const n = ctx.initial.data.length;
    const message = new RegExp(`^Proximal anchor has 3 values but ${n} were expected`);
    await expectError(() => session.setProximalAnchor(new Float32Array(3)), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', message);
  } finally {
    await session.dispose();
  }
});

anchor('should refuse anything but a Float32Array or null :: ERR_FSLLM_INVALID_ARG', async (ctx) => {
  const session = await TrainSession.create(ctx.model, { optimizer: SGD });
  try {
    const bad = new Float64Array(ctx.initial.data.length) as unknown as Float32Array;
    await expectError(() => session.setProximalAnchor(bad), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /Expected a Float32Array or null for anchor/);
  } finally {
    await session.dispose();
  }
});

anchor('should copy the anchor: changing the buffer afterwards has no effect', async (ctx) => {
  const reference = await run(ctx, { anchor: ctx.anchor, mu: MU });
  const scratch = ctx.anchor.slice();
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, { optimizer: SGD });
  try {
    await session.setProximalAnchor(scratch);
    scratch.fill(0);
    await session.trainStep(ctx.batch, { lr: LR, proximalMu: MU });
    assertSame((await ctx.model.exportAdapter()).data, reference.data, 'adapter');
  } finally {
    await session.dispose();
  }
});

anchor('null :: should clear it, making the step plain again', async (ctx) => {
  const plain = await run(ctx, { anchor: null, mu: 0 });
  const cleared = await run(ctx, { anchor: ctx.anchor, clear: true, mu: 0 });
  assertSame(cleared.data, plain.data, 'adapter');
  await ctx.model.importAdapter(ctx.initial);
  const session = await TrainSession.create(ctx.model, { optimizer: SGD });
  try {
    await session.setProximalAnchor(ctx.anchor);
    await session.setProximalAnchor(null);
    await expectError(() => session.trainStep(ctx.batch, { lr: LR, proximalMu: MU }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /call setProximalAnchor first/);
  } finally {
    await session.dispose();
  }
});

anchor.run();
