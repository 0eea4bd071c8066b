import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError, TrainSession, type Model, type RawBatch } from '../../lib/index.js';
import { batchOf } from '../helpers/batches.js';
import { QKVO, tinyAdaptedModel, tinyModel } from '../helpers/tinyModel.js';
import { expectError } from './_support.js';

const INVALID = 'ERR_FSLLM_INVALID_ARG';

function row(...ids: number[]): RawBatch {
  return batchOf([ids]);
}

// ---

const batches = suite<{ model: Model; session: TrainSession }>('batch validation');

batches.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel();
  ctx.session = await TrainSession.create(ctx.model);
});

batches.after(async (ctx) => {
  await ctx.session?.dispose();
  await ctx.model?.dispose();
});

batches('ids out of the vocabulary :: trainStep', async ({ session }) => {
  await expectError(() => session.trainStep([row(1, 5, 6), row(1, 512, 3)], { lr: 1e-3 }), InvalidArgumentError, INVALID, /^batch\[1\]\.ids has a token id outside \[0, 512\)/);
});

batches('ids out of the vocabulary :: negative id in logits', async ({ model }) => {
  await expectError(() => model.logits(row(1, -1, 3)), InvalidArgumentError, INVALID, /batch\[0\]\.ids has a token id outside/);
});

batches('ids out of the vocabulary :: generate prompt', async ({ model }) => {
  await expectError(() => model.generate([1, 999]), InvalidArgumentError, INVALID, /^Expected a token id in \[0, 512\) for prompt\[1\] but received 999/);
});

batches('labels out of the vocabulary', async ({ session }) => {
  const b = { ...row(1, 5, 6), labels: Int32Array.of(1, 700, 6) };
  await expectError(() => session.trainStep(b, { lr: 1e-3 }), InvalidArgumentError, INVALID, /batch\[0\]\.labels has an id outside \[0, 512\) that is not -100/);
});

batches('labels all -100 should say there is nothing to learn', async ({ session }) => {
  const b = { ...row(1, 5, 6), labels: Int32Array.of(-100, -100, -100) };
  await expectError(() => session.trainStep(b, { lr: 1e-3 }), InvalidArgumentError, INVALID, /every label is -100\), so there is nothing to learn/);
});

batches('wrong typed array :: Float32Array ids', async ({ session }) => {
  const b = { ...row(1, 5, 6), ids: Float32Array.of(1, 5, 6) as unknown as Int32Array };
  await expectError(() => session.trainStep(b, { lr: 1e-3 }), InvalidArgumentError, INVALID, /^Expected an Int32Array for batches\[0\]\.ids$/);
});

batches('wrong typed array :: Int32Array mask', async ({ model }) => {
  const b = { ...row(1, 5, 6), attentionMask: Int32Array.of(1, 1, 1) as unknown as Uint8Array };
  await expectError(() => model.logits(b), InvalidArgumentError, INVALID, /Expected a Uint8Array for batch\.attentionMask/);
});

batches('mismatched lengths :: seq larger than ids', async ({ session }) => {
  await expectError(() => session.trainStep({ ...row(1, 5, 6), seq: 4 }, { lr: 1e-3 }), InvalidArgumentError, INVALID, /Expected 4 elements in batches\[0\]\.ids but received 3/);
});

batches('mismatched lengths :: short mask', async ({ session }) => {
  await expectError(() => session.trainStep({ ...row(1, 5, 6), attentionMask: new Uint8Array(2) }, { lr: 1e-3 }), InvalidArgumentError, INVALID, /Expected 3 elements in batches\[0\]\.attentionMask but received 2/);
});

batches('too many tokens for the model', async ({ model }) => {
  await expectError(() => model.logits(row(...new Array<number>(600).fill(5))), InvalidArgumentError, INVALID, /has 600 tokens; the model supports at most 512/);
});

batches('no micro-batch and a negative lr', async ({ session }) => {
  await expectError(() => session.trainStep([], { lr: 1e-3 }), InvalidArgumentError, INVALID, /at least one micro-batch/);
  await expectError(() => session.trainStep(row(1, 5, 6), { lr: -1 }), InvalidArgumentError, INVALID, /^Expected a non-negative number for step\.lr but received -1 of type number$/);
});

batches('should still train after rejected steps', async ({ session }) => {
  const m = await session.trainStep(row(1, 5, 6, 7), { lr: 1e-3 });
  assert.is(m.targetTokens, 3);
});

batches.run();

// ---

const lora = suite<{ model: Model }>('LoRA configuration errors');

lora.before(async (ctx) => {
  ctx.model = await tinyModel();
});

lora.after(async (ctx) => {
  await ctx.model?.dispose();
});

lora('a target the model does not have should list the valid names', async ({ model }) => {
  await expectError(() => model.attachLora({ r: 4, targets: ['q_proj', 'query'] }), InvalidArgumentError, INVALID,
    /names "query", which this model does not have; valid names: down_proj, gate_proj, k_proj, o_proj, q_proj, up_proj, v_proj/);
  assert.is(model.lora, null);
});

lora('invalid options should name the field', async ({ model }) => {
  await expectError(() => model.attachLora({ r: 0, targets: QKVO }), InvalidArgumentError, INVALID, /integer between 1 and 4096 for lora\.r/);
  await expectError(() => model.attachLora({ r: 4, targets: [] }), InvalidArgumentError, INVALID, /non-empty array of module names .* for lora\.targets but received \[\]/);
  await expectError(() => model.attachLora({ r: 4, targets: QKVO, dropout: 1 }), InvalidArgumentError, INVALID, /\[0, 1\) for lora\.dropout/);
  await expectError(() => model.attachLora({ r: 4, targets: QKVO, layers: [9] }), InvalidArgumentError, INVALID, /lora\.layers selects no layer/);
});

lora('TrainSession.create without an adapter should say to attach one', async ({ model }) => {
  await expectError(() => TrainSession.create(model), InvalidArgumentError, INVALID, /no trainable parameters; attach an adapter/);
  await expectError(() => TrainSession.create(model, { optimizer: { type: 'lion' as 'sgd' } }), InvalidArgumentError, INVALID, /'adamw' or 'sgd' for optimizer\.type/);
});

lora('attachLora twice should reject', async ({ model }) => {
  await model.attachLora({ r: 4, targets: ['q_proj'] });
  try {
    await expectError(() => model.attachLora({ r: 4, targets: ['q_proj'] }), InvalidArgumentError, INVALID, /already attached/);
  } finally {
    await model.detachLora();
  }
});

// A second attachLora on other modules must not silently grow the adapter: model.lora would then describe
// only the second call and saveAdapter would write a config that does not match the weights.
lora('attachLora twice should reject also for other targets', async ({ model }) => {
  await model.attachLora({ r: 4, targets: ['q_proj'] });
  try {
    await expectError(() => model.attachLora({ r: 4, targets: ['v_proj'] }), InvalidArgumentError, INVALID, /already/);
    assert.equal(model.lora?.targets, ['q_proj']);
  } finally {
    await model.detachLora();
  }
});

lora('importAdapter with the wrong length should name both sizes', async ({ model }) => {
  await model.attachLora({ r: 2, targets: ['q_proj'] });
  try {
    await expectError(() => model.importAdapter(new Float32Array(5)), InvalidArgumentError, INVALID, /has 5 values but the model's trainable state has 1280/);
    await expectError(() => model.importAdapter([1, 2] as unknown as Float32Array), InvalidArgumentError, INVALID, /Float32Array or \{data, manifest\} for state/);
  } finally {
    await model.detachLora();
  }
});

lora.run();
