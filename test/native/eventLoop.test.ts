import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { TrainSession, type Model } from '../../lib/index.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';

/** Runs `work` while a 1 ms interval ticks; returns how long it took, the ticks and the longest gap. */
async function watchLoop(work: () => Promise<unknown>): Promise<{ ms: number; ticks: number; maxGap: number }> {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 1);
  const start = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { ms: performance.now() - start, ticks, maxGap };
}

// A call that blocked the loop would show one gap as long as the whole call and almost no ticks, so the
// bound is a fifth of the call (never under 100 ms): always below a blocked call's gap, and above the
// ~100 ms pauses a loaded, shared 2-core machine gives a healthy loop (seen in CI-like runs).
const maxGap = (callMs: number) => Math.max(100, callMs / 5);

// ---

const loop = suite<{ model: Model; session: TrainSession }>('event loop during native work');

loop.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel();
  ctx.session = await TrainSession.create(ctx.model);
});

loop.after(async (ctx) => {
  await ctx.session?.dispose();
  await ctx.model?.dispose();
});

loop('should keep ticking while trainStep runs', async ({ session }) => {
  // 48 micro-batches: a quiet machine ran 12 in under 150 ms, too short to tell a blocked loop from a busy one.
  const batches = Array.from({ length: 48 }, (_, seed) => batchOf(randomRows(seed, 4, 128, 512)));
  const r = await watchLoop(() => session.trainStep(batches, { lr: 1e-3 }));
  assert.ok(r.ms > 150, `trainStep took only ${r.ms} ms; make it longer`);
  assert.ok(r.ticks >= Math.min(50, r.ms / 10), `${r.ticks} ticks in ${r.ms} ms`);
  assert.ok(r.maxGap < maxGap(r.ms), `longest gap ${r.maxGap} ms in ${r.ms} ms`);
});

loop('should keep ticking while generate streams 300 tokens', async ({ model }) => {
  let pieces = 0;
  const r = await watchLoop(() => model.generate([1], { maxNewTokens: 300, stopAtEos: false, onText: () => pieces++ }));
  assert.ok(pieces > 100, `${pieces} pieces`);
  assert.ok(r.ticks >= Math.min(50, r.ms / 10), `${r.ticks} ticks in ${r.ms} ms`);
  assert.ok(r.maxGap < maxGap(r.ms), `longest gap ${r.maxGap} ms in ${r.ms} ms`);
});

loop('should keep ticking while generate decodes a batch of prompts', async ({ model }) => {
  const prompts = Array.from({ length: 8 }, (_, i) => [1, 300 + i]);
  let rows = 0;
  const r = await watchLoop(() => model.generate(prompts, { maxNewTokens: 300, stopAtEos: false, numReturnSequences: 2, onRow: () => rows++ }));
  assert.is(rows, 16);
  assert.ok(r.ms > 150, `generate took only ${r.ms} ms; make it longer`);
  assert.ok(r.ticks >= Math.min(50, r.ms / 10), `${r.ticks} ticks in ${r.ms} ms`);
  assert.ok(r.maxGap < maxGap(r.ms), `longest gap ${r.maxGap} ms in ${r.ms} ms`);
});

loop.run();
