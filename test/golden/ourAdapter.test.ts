// The adapter that fsllm-native saved into test/fixtures/golden/ours/ (make_our_adapter.ts), which
// check_our_adapter.py loads into PEFT with matching logits. Reloading the committed files must still
// give the committed logits, so saveAdapter's format stays readable by both sides.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, loadAdapter, Model } from '../../lib/index.js';
import type { RawBatch } from '../../lib/index.js';
import { readSafetensors } from '../../lib/formats/index.js';
import type { SafetensorsTensor } from '../../lib/formats/index.js';
import { batchOf, f32, GOLDEN_DIR, loadExpected, realPositions } from '../helpers/golden.js';
import { assertClose, LOGITS_TOL, maxAbs } from '../helpers/tolerance.js';

type Ctx = { model: Model; tensors: Map<string, SafetensorsTensor>; batch: RawBatch; vocab: number };

const OURS = path.join(GOLDEN_DIR, 'ours');
const ADAPTER = path.join(OURS, 'adapter');

/** PEFT keys of a rank-4 q_proj/v_proj adapter on the 2-layer llama fixture. */
const KEYS = [0, 1].flatMap((layer) =>
  ['q_proj', 'v_proj'].flatMap((m) => ['lora_A', 'lora_B'].map((ab) => `base_model.model.model.layers.${layer}.self_attn.${m}.${ab}.weight`)),
).sort();

// ---

const ours = suite<Ctx>('loadAdapter (saved by saveAdapter)');

ours.before(async (ctx) => {
  ctx.tensors = await loadExpected(OURS);
  ctx.batch = batchOf(ctx.tensors);
  ctx.vocab = ctx.tensors.get('logits')!.shape.at(-1)!;
  ctx.model = await Model.load(path.join(GOLDEN_DIR, 'llama', 'model'));
  await loadAdapter(ctx.model, ADAPTER);
});

ours.after(async (ctx) => {
  await ctx.model?.dispose();
});

ours('should reproduce the committed logits (which PEFT reproduces too)', async ({ model, tensors, batch, vocab }) => {
  const got = await model.logits(batch);
  assertClose(got, f32(tensors, 'logits'), LOGITS_TOL, 'ours logits', realPositions(batch, vocab));
});

ours('should read back the committed configuration', async ({ model }) => {
  const config = JSON.parse(await readFile(path.join(ADAPTER, ADAPTER_CONFIG), 'utf8')) as Record<string, unknown>;
  assert.is(config.peft_type, 'LORA');
  assert.is(config.task_type, 'CAUSAL_LM');
  assert.equal([config.r, config.lora_alpha, config.target_modules], [4, 16, ['q_proj', 'v_proj']]);
  assert.is(model.lora?.r, 4);
  assert.is(model.lora?.alpha, 16);
  assert.equal([...(model.lora?.targets ?? [])].sort(), ['q_proj', 'v_proj']);
});

ours('should hold trained PEFT-named tensors', async ({ model }) => {
  const { tensors } = await readSafetensors(path.join(ADAPTER, ADAPTER_WEIGHTS));
  assert.equal(tensors.map((t) => t.name).sort(), KEYS);
  for (const t of tensors) {
    assert.is(t.dtype, 'f32', t.name);
    assert.equal(t.shape, t.name.includes('.lora_A.') ? [4, 64] : [t.name.includes('q_proj') ? 64 : 32, 4], t.name);
    assert.ok(maxAbs(t.data as Float32Array) > 0, `${t.name} is trained`);
  }
  const state = await model.exportAdapter();
  assert.equal(state.manifest.map((e) => e.name).sort(), KEYS);
});

ours.run();
