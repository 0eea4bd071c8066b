import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { collate, Model, pack, readInstructions, TrainSession, tokenizeInstruction, type TokenizedExample } from '../../lib/index.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const MODEL = path.join(root, 'assets', 'stories260K', 'stories260K.bin');
const DOLLY = path.join(root, 'assets', 'data', 'dolly-sample.jsonl');

type Ctx = { model: Model; examples: TokenizedExample[] };
const packing = suite<Ctx>('pack');

packing.before(async (ctx) => {
  ctx.model = await Model.load(MODEL);
  const rows = await readInstructions(DOLLY, { input: 'context', output: 'response' });
  ctx.examples = rows
    .map((r) => tokenizeInstruction(ctx.model.tokenizer!, r, 256))
    .filter((e): e is TokenizedExample => e !== null)
    .slice(0, 7);
});

packing.after(async (ctx) => {
  await ctx.model.dispose();
});

packing('should hold every example in fewer padded tokens than collate', ({ examples }) => {
  const padded = collate(examples, 0);
  const packed = pack(examples, 512, 0);
  const real = examples.reduce((n, e) => n + e.ids.length, 0);
  assert.is(packed.attentionMask.reduce((a, b) => a + b, 0), real);
  assert.ok(packed.batch * packed.seq < padded.batch * padded.seq, `${packed.batch}x${packed.seq} vs ${padded.batch}x${padded.seq}`);
  assert.is(new Set(packed.segmentIds).size - (packed.segmentIds!.includes(0) ? 1 : 0) <= examples.length, true);
});

packing('should give the loss of the padded batch :: segments isolate examples', async ({ model, examples }) => {
  const a = await model.evalLoss([collate(examples, 0)]);
  const b = await model.evalLoss([pack(examples, 512, 0)]);
  assert.is(a.tokens, b.tokens);
  assert.ok(Math.abs(a.lossSum - b.lossSum) <= 1e-4 * Math.abs(a.lossSum), `${a.lossSum} vs ${b.lossSum}`);
});

packing('should differ from a packing without segment ids :: the mask matters', async ({ model, examples }) => {
  const packed = pack(examples, 512, 0);
  const leaky = { ...packed, segmentIds: undefined };
  const a = await model.evalLoss([packed]);
  const b = await model.evalLoss([leaky]);
  assert.ok(Math.abs(a.lossSum - b.lossSum) > 1e-3 * Math.abs(a.lossSum));
});

packing('should take the same SGD step as the padded batch', async ({ model, examples }) => {
  await model.attachLora({ r: 4, targets: ['q_proj', 'v_proj', 'down_proj'], seed: 3 });
  const start = await model.exportAdapter();
  const initial = start.data.slice();
  // Nonzero B so that gradients reach A as well.
  await model.importAdapter(Float32Array.from(initial, (v, i) => v + 0.01 * Math.sin(i)));
  const base = (await model.exportAdapter()).data.slice();
  const step = async (batch: Parameters<TrainSession['trainStep']>[0]) => {
    await model.importAdapter(base);
    const s = await TrainSession.create(model, { optimizer: { type: 'sgd' } });
    try {
      await s.trainStep(batch, { lr: 1 });
    } finally {
      await s.dispose();
    }
    return (await model.exportAdapter()).data.slice();
  };
  const padded = await step(collate(examples, 0));
  const packed = await step(pack(examples, 512, 0));
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < padded.length; i++) {
    worst = Math.max(worst, Math.abs(padded[i]! - packed[i]!));
    scale = Math.max(scale, Math.abs(padded[i]! - base[i]!));
  }
  assert.ok(scale > 1e-4, 'the step moved the adapter');
  assert.ok(worst <= 1e-4 * scale + 1e-7, `max diff ${worst} vs step scale ${scale}`);
  await model.detachLora();
});

packing.run();
