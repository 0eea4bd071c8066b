import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { TrainSession } from '../../lib/native/TrainSession.js';
import { addCheckpointing, addFedProx, BatchSource, earlyStopHook, loggingHook, lrScheduleHook, offloadHook, Trainer, TRIGGERS, type OffloadedState, type StepLog } from '../../lib/trainer/index.js';
import type { TokenizedExample } from '../../lib/data/index.js';
import type { Model } from '../../lib/native/Model.js';
import { dollyExamples, loadStories, TOK_LEN } from './_support.js';

let model: Model;
let session: TrainSession;
let examples: TokenizedExample[];
let start: Float32Array;

const source = (seed = 0) => new BatchSource(examples, { batchSize: 4, gradAccum: 2, tokLen: TOK_LEN, padId: 0, pack: true, seed });
const norm2 = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));

test.before(async () => {
  model = await loadStories();
  examples = await dollyExamples(model);
  await model.attachLora({ r: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'up_proj'], seed: 1 });
  session = await TrainSession.create(model, { optimizer: { type: 'adamw', weightDecay: 0 } });
  start = (await model.exportAdapter()).data;
});

test.after(async () => {
  await session.dispose();
  await model.dispose();
});

test.before.each(async () => {
  await model.importAdapter(start);
  await session.resetOptimizer();
});

test('a fit runs every trigger in loop order and the training loss falls', async () => {
  const trainer = new Trainer();
  const seen: string[] = [];
  for (const t of TRIGGERS) trainer.hooks.register(t, 'trace', () => void seen.push(t));
  const logs: StepLog[] = [];
  trainer.hooks.register('batchEnd', 'log', loggingHook((l) => logs.push(l)));
  const data = source();
  const probe = [source(9).next().micro[0]!, source(10).next().micro[0]!];
  const lossOf = async () => {
    const { lossSum, tokens } = await model.evalLoss(probe);
    return lossSum / tokens;
  };
  const before = await lossOf();
  const fit = await trainer.fit({ model, session, data, steps: 24, lr: 3e-3, maxGradNorm: 1, round: 2, clientId: 5 });
  const after = await lossOf();
  assert.is(fit.steps, 24);
  assert.is(seen[0], 'fitStart');
  assert.is(seen.at(-1), 'fitEnd');
  assert.equal(seen.slice(1, 6), ['epochStart', 'batchStart', 'batchForward', 'batchBackward', 'batchEnd']);
  assert.is(seen.filter((s) => s === 'batchForward').length, 24);
  // Steps never span epochs: the epoch's last step may be short.
  const epochs = Math.ceil(24 / data.stepsPerEpoch);
  assert.is(seen.filter((s) => s === 'epochStart').length, epochs);
  assert.is(fit.samples, epochs === 1 ? Math.min(24 * 8, examples.length) : fit.samples);
  assert.ok(fit.samples > 24 * 7);
  assert.is(logs.length, 24);
  assert.equal([logs[0]!.round, logs[0]!.clientId, logs[0]!.totalSteps], [2, 5, 24]);
  assert.ok(after < before * 0.9, `loss on training examples should fall: ${before.toFixed(3)} -> ${after.toFixed(3)}`);
});

test('epochs: a fit over more steps than an epoch reshuffles and counts epochs', async () => {
  const trainer = new Trainer();
  let epochs = 0;
  trainer.hooks.register('epochStart', 'count', () => void (epochs += 1));
  const data = source();
  const steps = data.stepsPerEpoch + 3;
  await trainer.fit({ model, session, data, steps, lr: 1e-3 });
  assert.is(epochs, 2);
  assert.equal(data.cursor, { epoch: 1, offset: 3 * 8 });
});

test('the same seed and cursor draw the same batches', () => {
  const a = source(3);
  const b = source(3);
  for (let i = 0; i < 5; i++) assert.equal(Array.from(a.next().micro[0]!.ids), Array.from(b.next().micro[0]!.ids));
  const c = source(4);
  assert.not.equal(Array.from(source(3).next().micro[0]!.ids), Array.from(c.next().micro[0]!.ids));
  const d = source(3);
  d.cursor = { ...a.cursor };
  assert.equal(Array.from(a.next().micro[1]!.ids), Array.from(d.next().micro[1]!.ids));
});

test('an LR schedule hook sets the rate per step across rounds', async () => {
  const trainer = new Trainer();
  const rates: number[] = [];
  trainer.hooks.register('batchStart', 'lr', lrScheduleHook(1e-3, { type: 'linear', warmupSteps: 0 }, 8));
  trainer.hooks.register('batchEnd', 'rate', (ctx) => void rates.push(ctx.lr));
  await trainer.fit({ model, session, data: source(), steps: 4, lr: 1e-3, round: 1 });
  await trainer.fit({ model, session, data: source(), steps: 4, lr: 1e-3, round: 2 });
  const expected = Array.from({ length: 8 }, (_, i) => 1e-3 * (1 - i / 8));
  rates.forEach((r, i) => assert.ok(Math.abs(r - expected[i]!) < 1e-12, `step ${i}: ${r} vs ${expected[i]}`));
});

test('FedProx hook: the adapter stays nearer its round-start value', async () => {
  const drift = async (mu: number) => {
    await model.importAdapter(start);
    await session.resetOptimizer();
    const trainer = new Trainer();
    if (mu > 0) addFedProx(trainer.hooks, mu);
    const proximal: number[] = [];
    trainer.hooks.register('batchEnd', 'prox', (ctx) => void proximal.push(ctx.metrics!.proximal));
    await trainer.fit({ model, session, data: source(), steps: 15, lr: 1e-2 });
    return { distance: norm2((await model.exportAdapter()).data, start), proximal };
  };
  const plain = await drift(0);
  const prox = await drift(5);
  assert.ok(prox.distance < plain.distance * 0.8, `FedProx ${prox.distance} vs plain ${plain.distance}`);
  assert.is(prox.proximal[0], 0, 'no distance at the first step');
  assert.ok(prox.proximal.at(-1)! > 0);
  assert.ok(plain.proximal.every((p) => p === 0));
  // The anchor is cleared at fitEnd: a following plain step with mu 0 works.
  await session.trainStep(source().next().micro, { lr: 1e-3 });
});

test('early stop, checkpoint and offload hooks', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-trainer-'));
  try {
    const trainer = new Trainer();
    trainer.hooks.register('batchEnd', 'earlyStop', earlyStopHook(1, 100));
    addCheckpointing(trainer.hooks, path.join(dir, 'ckpt'), 1);
    let kept: OffloadedState | null = null;
    trainer.hooks.register('fitEnd', 'offload', offloadHook((s) => void (kept = s), true));
    const fit = await trainer.fit({ model, session, data: source(), steps: 10, lr: 1e-3 });
    assert.is(fit.steps, 2, 'an improvement threshold of 100 stops after patience 1');
    assert.ok(existsSync(path.join(dir, 'ckpt', 'adapter_model.safetensors')));
    assert.ok(existsSync(path.join(dir, 'ckpt', 'adapter_config.json')));
    const offloaded = kept as OffloadedState | null;
    assert.ok(offloaded);
    assert.equal(Array.from(offloaded!.adapter.data), Array.from((await model.exportAdapter()).data));
    assert.is(offloaded!.optimizer!.length, 2 * start.length + 1, 'AdamW moments (and step count) on the host');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
