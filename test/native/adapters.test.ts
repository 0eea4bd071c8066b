import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ADAPTER_CONFIG, CheckpointError, InvalidArgumentError, loadAdapter, saveAdapter, TrainSession, type Model, type RawBatch } from '../../lib/index.js';
import { STORY_TEXTS, textBatch } from '../helpers/batches.js';
import { TINY_LORA, tinyAdaptedModel, tinyModel } from '../helpers/tinyModel.js';
import { assertClose, assertSame, expectError, maxAbsDiff } from './_support.js';

interface Ctx {
  model: Model;
  session: TrainSession;
  batch: RawBatch;
  base: Float32Array;
  dir: string;
}

// ---

const adapters = suite<Ctx>('adapters');

// A model whose adapter is trained a few steps, so that B != 0 and the adapter changes the logits.
adapters.before(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'fsllm-adapter-'));
  ctx.model = await tinyAdaptedModel();
  ctx.batch = textBatch(ctx.model.tokenizer!, STORY_TEXTS.slice(1, 3));
  ctx.base = await ctx.model.logits(ctx.batch);
  ctx.session = await TrainSession.create(ctx.model);
  for (let i = 0; i < 3; i++) await ctx.session.trainStep(ctx.batch, { lr: 1e-2 });
});

adapters.after(async (ctx) => {
  await ctx.session?.dispose();
  await ctx.model?.dispose();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

adapters('a trained adapter should change the logits', async ({ model, batch, base }) => {
  assert.ok(maxAbsDiff(await model.logits(batch), base) > 1e-2);
});

adapters('saveAdapter then loadAdapter into a fresh model should give identical logits', async ({ model, batch, dir }) => {
  const folder = path.join(dir, 'saved');
  await saveAdapter(model, folder);
  const config = JSON.parse(await readFile(path.join(folder, ADAPTER_CONFIG), 'utf8')) as Record<string, unknown>;
  assert.is(config.peft_type, 'LORA');
  assert.is(config.r, TINY_LORA.r);
  assert.is(config.lora_alpha, TINY_LORA.alpha);
  assert.equal(config.target_modules, [...TINY_LORA.targets].sort());
  const fresh = await tinyModel();
  try {
    await loadAdapter(fresh, folder);
    assert.equal(fresh.lora?.targets.slice().sort(), [...TINY_LORA.targets].sort());
    assertSame(await fresh.logits(batch), await model.logits(batch), 'logits of the reloaded adapter');
    assertSame((await fresh.exportAdapter()).data, (await model.exportAdapter()).data, 'adapter values');
  } finally {
    await fresh.dispose();
  }
});

adapters('loadAdapter from a folder without an adapter should reject with ERR_FSLLM_CHECKPOINT', async ({ dir }) => {
  const fresh = await tinyModel();
  try {
    await expectError(() => loadAdapter(fresh, path.join(dir, 'absent')), CheckpointError, 'ERR_FSLLM_CHECKPOINT', /adapter_config\.json: cannot read the PEFT adapter config/);
  } finally {
    await fresh.dispose();
  }
});

adapters('loadAdapter should name a non-numeric r or lora_dropout of adapter_config.json as written', async ({ model, dir }) => {
  const folder = path.join(dir, 'bad-numbers');
  await saveAdapter(model, folder);
  const config = JSON.parse(await readFile(path.join(folder, ADAPTER_CONFIG), 'utf8')) as Record<string, unknown>;
  const fresh = await tinyModel();
  try {
    for (const [field, value, why] of [['r', 'eight', /r but received "eight" of type string/], ['lora_dropout', 'x', /lora_dropout but received "x" of type string/]] as const) {
      await writeFile(path.join(folder, ADAPTER_CONFIG), JSON.stringify({ ...config, [field]: value }));
      await expectError(() => loadAdapter(fresh, folder), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', why);
    }
  } finally {
    await fresh.dispose();
  }
});

adapters('exportAdapter then importAdapter should restore the adapter exactly', async ({ model, session, batch }) => {
  const saved = await model.exportAdapter();
  assert.is(saved.manifest[0]!.name, 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
  assert.is(saved.data.length, saved.manifest.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0));
  const logits = await model.logits(batch);
  await session.trainStep(batch, { lr: 1e-2 });
  assert.ok(maxAbsDiff((await model.exportAdapter()).data, saved.data) > 0);
  await model.importAdapter(saved);
  assertSame((await model.exportAdapter()).data, saved.data, 'adapter');
  assertSame(await model.logits(batch), logits, 'logits');
});

adapters('exported state should be a snapshot, not a view of the weights', async ({ model, session, batch }) => {
  const saved = await model.exportAdapter();
  const copy = saved.data.slice();
  await session.trainStep(batch, { lr: 1e-2 });
  assertSame(saved.data, copy, 'snapshot after a step');
});

adapters('optimizer state export/import should give identical next steps', async ({ model, session, batch }) => {
  const adapter = await model.exportAdapter();
  const moments = await session.exportOptimizerState();
  assert.is(moments.length, 1 + 2 * adapter.data.length, 'AdamW: step count, m and v');
  const first = await session.trainStep(batch, { lr: 1e-2 });
  const after = (await model.exportAdapter()).data;

  await session.trainStep(batch, { lr: 1e-2 }); // move away
  await model.importAdapter(adapter);
  await session.importOptimizerState(moments);
  const again = await session.trainStep(batch, { lr: 1e-2 });
  assert.is(again.loss, first.loss);
  assertSame((await model.exportAdapter()).data, after, 'adapter after the replayed step');

  await model.importAdapter(adapter);
  await session.resetOptimizer();
  await session.trainStep(batch, { lr: 1e-2 });
  assert.ok(maxAbsDiff((await model.exportAdapter()).data, after) > 1e-6, 'a reset optimizer should step differently');
  await expectError(() => session.importOptimizerState(new Float32Array(3)), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^Optimizer state has 3 values; this AdamW expects \d+$/);
});

adapters('detachLora should restore the base logits exactly', async ({ model, batch, base }) => {
  const adapted = await model.logits(batch);
  const state = await model.exportAdapter();
  await model.detachLora();
  assert.is(model.lora, null);
  assertSame(await model.logits(batch), base, 'base logits after detach');
  assert.is((await model.exportAdapter()).data.length, 0);
  await model.attachLora(TINY_LORA);
  await model.importAdapter(state);
  assertSame(await model.logits(batch), adapted, 'logits after re-attaching');
});

adapters('a merged adapter should refuse training and take imports without corrupting the base', async ({ model, batch, base }) => {
  const trained = await model.exportAdapter();
  const session = await TrainSession.create(model); // a session of the re-attached adapter
  const zero = new Float32Array(trained.data.length);
  await model.mergeLora();
  try {
    await expectError(() => session.trainStep(batch, { lr: 1e-2 }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /merged into the base weights; call unmergeLora\(\) before training/);
    await model.importAdapter(zero); // B = 0 and A = 0: the merged model is the base model
    assertClose(await model.logits(batch), base, 1e-4, 'merged zero adapter');
    await model.importAdapter(trained);
  } finally {
    await model.unmergeLora();
    await session.dispose();
  }
  await model.importAdapter(zero);
  assertClose(await model.logits(batch), base, 1e-4, 'base after unmerge');
  await model.importAdapter(trained);
});

// Merging adds B·A·scale into the base weight and unmerging subtracts it again, so the base comes back up to
// fp32 rounding only (as in PEFT).
adapters('merge and unmerge should keep the logits', async ({ model, batch, base }) => {
  const adapted = await model.logits(batch);
  await model.mergeLora();
  assertClose(await model.logits(batch), adapted, 1e-4, 'merged logits');
  await model.unmergeLora();
  assertClose(await model.logits(batch), adapted, 1e-4, 'unmerged logits');
  await model.mergeLora();
  await model.detachLora(); // unmerges first
  assertClose(await model.logits(batch), base, 1e-4, 'base logits after merge and detach');
});

adapters.run();
