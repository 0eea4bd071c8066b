import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { AbortError, InvalidArgumentError, TrainSession, type AdapterState, type Model, type OptimizerOptions, type RawBatch } from '../../lib/index.js';
import { batchOf, randomRows, STORY_TEXTS } from '../helpers/batches.js';
import { TINY_LORA, tinyAdaptedModel } from '../helpers/tinyModel.js';
import { assertClose, expectError, maxAbsDiff } from './_support.js';

interface Ctx {
  model: Model;
  /** The attached adapter with B made non-zero, so A and B both get gradients in the first step. */
  start: AdapterState;
  batch: RawBatch;
}

const SGD: OptimizerOptions = { type: 'sgd' };

/** Layer index of a manifest name (`...layers.3.self_attn...`), or -1. */
function layerOf(name: string): number {
  return Number(/\.layers\.(\d+)\./.exec(name)?.[1] ?? -1);
}

/** Restores `ctx.start`, runs one step of a new session on `layers` and returns the adapter after it. */
async function stepOn(ctx: Ctx, layers: number[] | undefined, lr: number, options: { anchor?: Float32Array; mu?: number } = {}): Promise<Float32Array> {
  await ctx.model.importAdapter(ctx.start);
  const session = await TrainSession.create(ctx.model, { optimizer: SGD, ...(layers ? { layers } : {}) });
  try {
    if (options.anchor) await session.setProximalAnchor(options.anchor);
    await session.trainStep(ctx.batch, { lr, proximalMu: options.mu ?? 0 });
    return (await ctx.model.exportAdapter()).data;
  } finally {
    await session.dispose();
  }
}

/** Asserts which manifest entries changed from `ctx.start`: exactly those of `layers`. */
function assertChangedLayers(ctx: Ctx, after: Float32Array, layers: number[]): void {
  for (const entry of ctx.start.manifest) {
    const n = entry.shape.reduce((a, b) => a * b, 1);
    const d = maxAbsDiff(after.subarray(entry.offset, entry.offset + n), ctx.start.data.subarray(entry.offset, entry.offset + n));
    if (layers.includes(layerOf(entry.name))) assert.ok(d > 0, `${entry.name} should change`);
    else assert.is(d, 0, `${entry.name} should not change`);
  }
}

async function setUp(ctx: Ctx): Promise<void> {
  ctx.model = await tinyAdaptedModel();
  const initial = await ctx.model.exportAdapter();
  ctx.start = { data: initial.data.map((w, i) => w + 0.05 * Math.sin(i + 1)), manifest: initial.manifest };
  ctx.batch = batchOf(STORY_TEXTS.slice(0, 2).map((t) => ctx.model.tokenizer!.encode(t)));
}

// ---

const layers = suite<Ctx>('TrainSession.create :: layers');

layers.before(setUp);
layers.after(async (ctx) => {
  await ctx.model?.dispose();
});

layers('should change only the LoRA tensors of its layers :: [3, 4]', async (ctx) => {
  assertChangedLayers(ctx, await stepOn(ctx, [3, 4], 0.1), [3, 4]);
});

layers('should change only the LoRA tensors of its layers :: [0, 1, 2]', async (ctx) => {
  assertChangedLayers(ctx, await stepOn(ctx, [0, 1, 2], 0.1), [0, 1, 2]);
});

layers('should give its layers the gradients of an all-layer session', async (ctx) => {
  const lr = 1e-3;
  const all = await stepOn(ctx, undefined, lr);
  const part = await stepOn(ctx, [3, 4], lr);
  let compared = 0;
  for (const entry of ctx.start.manifest.filter((e) => [3, 4].includes(layerOf(e.name)))) {
    const n = entry.shape.reduce((a, b) => a * b, 1);
    const slice = (w: Float32Array) => Array.from(w.subarray(entry.offset, entry.offset + n), (v, i) => v - ctx.start.data[entry.offset + i]!);
    const expected = slice(all);
    const scale = Math.max(...expected.map(Math.abs));
    assert.ok(scale > 1e-6, `${entry.name} should move`);
    assertClose(slice(part), expected, 1e-5 * scale + 1e-9, entry.name);
    compared += 1;
  }
  assert.is(compared, 16, 'q, k, v, o A and B of two layers');
});

layers('should keep the full flat layout for setProximalAnchor', async (ctx) => {
  const lr = 0.1;
  const mu = 0.5;
  const anchor = ctx.start.data.map((w, i) => w + 0.02 * Math.cos(i));
  const plain = await stepOn(ctx, [3, 4], lr);
  const prox = await stepOn(ctx, [3, 4], lr, { anchor, mu });
  for (const entry of ctx.start.manifest) {
    const n = entry.shape.reduce((a, b) => a * b, 1);
    const inside = [3, 4].includes(layerOf(entry.name));
    const got = Array.from({ length: n }, (_, i) => prox[entry.offset + i]! - plain[entry.offset + i]!);
    const expected = Array.from({ length: n }, (_, i) => (inside ? -lr * mu * (ctx.start.data[entry.offset + i]! - anchor[entry.offset + i]!) : 0));
    assertClose(got, expected, 1e-6, entry.name);
  }
});

layers('should restore the other layers after an aborted step', async (ctx) => {
  await ctx.model.importAdapter(ctx.start);
  const many = Array.from({ length: 40 }, (_, seed) => batchOf(randomRows(seed, 2, 64, 512)));
  const session = await TrainSession.create(ctx.model, { optimizer: SGD, layers: [4] });
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 20);
    await expectError(() => session.trainStep(many, { lr: 0.1, signal: controller.signal }), AbortError, 'ERR_FSLLM_ABORTED', /aborted/);
    clearTimeout(timer);
  } finally {
    await session.dispose();
  }
  // Frozen tensors that stayed frozen would drop out of the trainable state (and its manifest).
  const after = await ctx.model.exportAdapter();
  assert.equal(after.manifest, ctx.start.manifest);
  assertChangedLayers(ctx, await stepOn(ctx, undefined, 0.1), [0, 1, 2, 3, 4]);
});

layers('should let two sessions on one model train their own layers in turn', async (ctx) => {
  await ctx.model.importAdapter(ctx.start);
  const adapter = await TrainSession.create(ctx.model, { optimizer: SGD, layers: [3, 4] });
  const emulator = await TrainSession.create(ctx.model, { optimizer: SGD, layers: [0, 1, 2] });
  try {
    await adapter.trainStep(ctx.batch, { lr: 0.1 });
    const mid = await ctx.model.exportAdapter();
    assertChangedLayers(ctx, mid.data, [3, 4]);
    await emulator.trainStep(ctx.batch, { lr: 0.1 });
    assertChangedLayers({ ...ctx, start: mid }, (await ctx.model.exportAdapter()).data, [0, 1, 2]);
  } finally {
    await adapter.dispose();
    await emulator.dispose();
  }
});

layers('should refuse an empty or out-of-range selection :: ERR_FSLLM_INVALID_ARG', async (ctx) => {
  for (const bad of [[], [5], [-1], [1.5]]) {
    await expectError(() => TrainSession.create(ctx.model, { layers: bad }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^Expected a non-empty array of layer indices in \[0, 5\) for layers/);
  }
});

layers('should refuse layers without LoRA :: ERR_FSLLM_INVALID_ARG', async () => {
  const model = await tinyAdaptedModel({ ...TINY_LORA, layers: [0] });
  try {
    await expectError(() => TrainSession.create(model, { layers: [3] }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^layers \[3\] select no trainable \(LoRA\) tensor/);
  } finally {
    await model.dispose();
  }
});

layers.run();
