import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { binding, FsllmError, InvalidArgumentError, manualSeed, TrainSession, type AdapterState, type Model, type RawBatch } from '../../lib/index.js';
import { batchOf, STORY_TEXTS } from '../helpers/batches.js';
import { TINY_LORA, tinyAdaptedModel } from '../helpers/tinyModel.js';
import { assertSame, expectError } from './_support.js';

interface Ctx {
  model: Model;
  session: TrainSession;
  initial: AdapterState;
  batch: RawBatch;
}

/** Resets the adapter and optimizer, seeds, and runs 3 steps; returns the losses and the adapter. */
async function replay(ctx: Ctx, seed: number): Promise<{ losses: number[]; data: Float32Array }> {
  await ctx.model.importAdapter(ctx.initial);
  await ctx.session.resetOptimizer();
  await manualSeed(seed);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await ctx.session.trainStep(ctx.batch, { lr: 1e-2 })).loss);
  return { losses, data: (await ctx.model.exportAdapter()).data };
}

// ---

const seed = suite<Ctx>('manualSeed');

seed.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel({ ...TINY_LORA, dropout: 0.3 });
  ctx.session = await TrainSession.create(ctx.model);
  ctx.initial = await ctx.model.exportAdapter();
  ctx.batch = batchOf(STORY_TEXTS.slice(0, 2).map((t) => ctx.model.tokenizer!.encode(t)));
});

seed.after(async (ctx) => {
  await ctx.session?.dispose();
  await ctx.model?.dispose();
});

seed('should replay LoRA dropout exactly with the same seed', async (ctx) => {
  const first = await replay(ctx, 7);
  const again = await replay(ctx, 7);
  assert.equal(again.losses, first.losses);
  assert.equal(new Uint8Array(again.data.buffer, again.data.byteOffset, again.data.byteLength), new Uint8Array(first.data.buffer, first.data.byteOffset, first.data.byteLength));
});

seed('should draw other dropout masks with another seed', async (ctx) => {
  const seven = await replay(ctx, 7);
  const eight = await replay(ctx, 8);
  assert.not.equal(eight.losses, seven.losses);
  let differs = false;
  for (let i = 0; i < seven.data.length && !differs; i++) differs = seven.data[i] !== eight.data[i];
  assert.ok(differs, 'adapters after seeds 7 and 8 should differ');
});

seed('should leave training without dropout unaffected', async () => {
  const model = await tinyAdaptedModel();
  try {
    const session = await TrainSession.create(model);
    const initial = await model.exportAdapter();
    const batch = batchOf([model.tokenizer!.encode(STORY_TEXTS[0]!)]);
    const runWith = async (s: number) => {
      await model.importAdapter(initial);
      await session.resetOptimizer();
      await manualSeed(s);
      await session.trainStep(batch, { lr: 1e-2 });
      return (await model.exportAdapter()).data;
    };
    assertSame(await runWith(1), await runWith(2), 'adapter');
    await session.dispose();
  } finally {
    await model.dispose();
  }
});

for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, '7']) {
  seed(`should refuse ${String(bad)} :: ERR_FSLLM_INVALID_ARG`, async () => {
    await expectError(() => manualSeed(bad as number), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^Expected a non-negative safe integer for seed/);
  });
}

seed('binding :: should refuse a bad seed natively too', async () => {
  // The raw binding's errors are FsllmErrors with a code; the subclass is chosen by callNative in lib.
  await expectError(() => binding().manualSeed(-3), FsllmError, 'ERR_FSLLM_INVALID_ARG', /non-negative safe integer for seed/);
  await expectError(() => binding().manualSeed(2 ** 53), FsllmError, 'ERR_FSLLM_INVALID_ARG', /non-negative safe integer for seed/);
});

seed('should accept the largest safe integer', async () => {
  await manualSeed(Number.MAX_SAFE_INTEGER);
  await manualSeed(0);
});

seed.run();
