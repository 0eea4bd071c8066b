// The caching CPU allocator (csrc/core/cpu_block_cache): freed blocks of 256 KiB and more are kept for the
// next step instead of going back to the kernel, within a limit; a limit of 0 frees them all.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { binding, FsllmError, TrainSession, type Model, type RawBatch } from '../../lib/index.js';
import { seededRandom } from '../../lib/util/random.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';
import { expectError } from './_support.js';

interface Ctx {
  model: Model;
  session: TrainSession;
  batch: RawBatch;
  limit: number;
}

/** 8 rows of 256 random tokens: stories260K's activations are then 0.5 MB and more per tensor. */
function bigBatch(vocab: number): RawBatch {
  const random = seededRandom(3);
  const ids = Int32Array.from({ length: 8 * 256 }, () => Math.floor(random() * vocab));
  return { ids, labels: ids, attentionMask: new Uint8Array(ids.length).fill(1), batch: 8, seq: 256 };
}

const cache = suite<Ctx>('binding.cpuCache');

cache.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel();
  ctx.session = await TrainSession.create(ctx.model);
  ctx.batch = bigBatch(ctx.model.config.vocabSize);
  ctx.limit = binding().cpuCache().limitBytes;
});

cache.after(async (ctx) => {
  binding().cpuCache(ctx.limit);
  await ctx.session?.dispose();
  await ctx.model?.dispose();
});

cache('should keep freed activation blocks after a step, within the limit', async (ctx) => {
  assert.ok(ctx.limit > 0, `default limit ${ctx.limit}`);
  await ctx.session.trainStep(ctx.batch, { lr: 1e-3 });
  const s = binding().cpuCache();
  assert.ok(s.cachedBytes > 256 * 1024, `cached ${s.cachedBytes} bytes`);
  assert.ok(s.cachedBytes <= s.limitBytes, `cached ${s.cachedBytes} > limit ${s.limitBytes}`);
});

cache('should serve a repeated step mostly from cached blocks', async (ctx) => {
  await ctx.session.trainStep(ctx.batch, { lr: 1e-3 });
  const before = binding().cpuCache();
  await ctx.session.trainStep(ctx.batch, { lr: 1e-3 });
  const after = binding().cpuCache();
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  assert.ok(hits > 10 * misses, `${hits} hits, ${misses} misses`);
});

cache('should free every cached block at limit 0 and cache nothing until the limit is back', async (ctx) => {
  const s = binding().cpuCache(0);
  assert.is(s.cachedBytes, 0);
  assert.is(s.limitBytes, 0);
  await ctx.session.trainStep(ctx.batch, { lr: 1e-3 });
  assert.is(binding().cpuCache().cachedBytes, 0);
  binding().cpuCache(ctx.limit);
  await ctx.session.trainStep(ctx.batch, { lr: 1e-3 });
  assert.ok(binding().cpuCache().cachedBytes > 0);
});

cache('should refuse a negative or fractional limit :: ERR_FSLLM_INVALID_ARG', async () => {
  await expectError(() => binding().cpuCache(-1), FsllmError, 'ERR_FSLLM_INVALID_ARG', /non-negative integer for limitBytes/);
  await expectError(() => binding().cpuCache(1.5), FsllmError, 'ERR_FSLLM_INVALID_ARG', /non-negative integer for limitBytes/);
});

cache.run();
