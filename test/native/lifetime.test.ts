import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { TrainSession } from '../../lib/index.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';
import { forceGc } from './_support.js';

const ROUNDS = 20;
// stories260K weighs 1 MB, so a leaked model per round would add 20 MB; after the warm-up, allocator slack
// moved RSS by up to 9 MB either way in trials, and did not grow with more rounds.
const MAX_GROWTH_MB = 12;

/** One model + adapter + session life: load, train one step, read results back, dispose everything. */
async function oneLife(seed: number): Promise<void> {
  const model = await tinyAdaptedModel();
  const session = await TrainSession.create(model);
  const batch = batchOf(randomRows(seed, 1, 16, 512));
  await session.trainStep(batch, { lr: 1e-3 });
  await session.exportOptimizerState();
  await model.exportAdapter();
  await model.generate([1], { maxNewTokens: 2, onText: () => undefined });
  await session.dispose();
  await model.dispose();
}

async function settledRss(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().rss;
}

// ---

const lifetime = suite('native object lifetime');

lifetime(`create and dispose model, adapter and session ${ROUNDS} times without growing RSS`, async () => {
  const gc = forceGc();
  for (let i = 0; i < 5; i++) await oneLife(i); // warm-up: allocator pools, thread pools, lazy inits
  const before = await settledRss(gc);
  for (let i = 0; i < ROUNDS; i++) await oneLife(100 + i);
  const after = await settledRss(gc);
  const growthMb = (after - before) / 2 ** 20;
  assert.ok(growthMb < MAX_GROWTH_MB, `RSS grew by ${growthMb.toFixed(1)} MB over ${ROUNDS} rounds`);
});

lifetime.run();
