import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { AbortError, TrainSession, type AdapterState, type Model, type RawBatch } from '../../lib/index.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';
import { assertSame, expectError } from './_support.js';

interface Ctx {
  model: Model;
  session: TrainSession;
  initial: AdapterState;
  many: RawBatch[];
}

// ---

const abort = suite<Ctx>('TrainSession.trainStep abort');

abort.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel();
  ctx.session = await TrainSession.create(ctx.model);
  ctx.initial = await ctx.model.exportAdapter();
  // 40 micro-batches: the whole step takes far longer than the 20 ms after which it is aborted.
  ctx.many = Array.from({ length: 40 }, (_, seed) => batchOf(randomRows(seed, 2, 64, 512)));
});

abort.after(async (ctx) => {
  await ctx.session?.dispose();
  await ctx.model?.dispose();
});

abort('should reject with ERR_FSLLM_ABORTED and keep the adapter when aborted in flight', async (ctx) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20);
  const start = performance.now();
  await expectError(() => ctx.session.trainStep(ctx.many, { lr: 1e-2, signal: controller.signal }), AbortError, 'ERR_FSLLM_ABORTED', /aborted; the weights were not updated/);
  clearTimeout(timer);
  assert.ok(performance.now() - start >= 15, 'rejected before the abort');
  assertSame((await ctx.model.exportAdapter()).data, ctx.initial.data, 'adapter after the abort');
});

abort('should reject at once when the signal is already aborted', async (ctx) => {
  const controller = new AbortController();
  controller.abort();
  await expectError(() => ctx.session.trainStep(ctx.many, { lr: 1e-2, signal: controller.signal }), AbortError, 'ERR_FSLLM_ABORTED', /aborted before it started/);
  assertSame((await ctx.model.exportAdapter()).data, ctx.initial.data, 'adapter');
});

abort('should leave the session usable after an abort', async (ctx) => {
  const controller = new AbortController();
  const aborted = ctx.session.trainStep(ctx.many, { lr: 1e-2, signal: controller.signal });
  setTimeout(() => controller.abort(), 10);
  await aborted.then(() => assert.unreachable('should abort'), () => undefined);
  const m = await ctx.session.trainStep(ctx.many.slice(0, 1), { lr: 1e-2 });
  assert.is(m.skipped, false);
  assert.ok(Number.isFinite(m.loss));
  await ctx.model.importAdapter(ctx.initial);
});

abort('should not abort a later step through a signal that fired earlier', async (ctx) => {
  const controller = new AbortController();
  const first = ctx.session.trainStep(ctx.many.slice(0, 1), { lr: 1e-2, signal: controller.signal });
  await first;
  controller.abort(); // after the step settled: must not leak into the next one
  const m = await ctx.session.trainStep(ctx.many.slice(0, 2), { lr: 1e-2 });
  assert.is(m.microLosses.length, 2);
  await ctx.model.importAdapter(ctx.initial);
});

// A step queued behind another call on the same model (here a generate) must still honour its signal.
abort('should abort a step whose signal fires while it waits for the model', async (ctx) => {
  const controller = new AbortController();
  const generating = ctx.model.generate([1], { maxNewTokens: 200, stopAtEos: false });
  const step = ctx.session.trainStep(ctx.many.slice(0, 2), { lr: 1e-2, signal: controller.signal });
  const checked = expectError(() => step, AbortError, 'ERR_FSLLM_ABORTED', /aborted/); // handles the rejection at once
  controller.abort();
  await generating;
  await checked;
  assertSame((await ctx.model.exportAdapter()).data, ctx.initial.data, 'adapter');
});

abort.run();
