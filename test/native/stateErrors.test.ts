import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { binding, BusyError, CheckpointError, DisposedError, FsllmError, InUseError, Model, openCheckpoint, TrainSession, toFsllmError } from '../../lib/index.js';
import { batchOf } from '../helpers/batches.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { TINY_LORA, tinyAdaptedModel } from '../helpers/tinyModel.js';
import { expectError, maxAbsDiff } from './_support.js';

const tiny = batchOf([[1, 5, 6, 7]]);

// ---

const files = suite<{ dir: string }>('Model.load errors');

files.before(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'fsllm-native-'));
});

files.after(async (ctx) => {
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

files('a truncated checkpoint should reject with ERR_FSLLM_CHECKPOINT', async ({ dir }) => {
  const source = STORIES_BIN;
  const bytes = await readFile(source);
  const file = path.join(dir, 'stories260K.bin');
  await writeFile(file, bytes.subarray(0, bytes.length - 100_000));
  await copyFile(path.join(path.dirname(source), 'tok512.bin'), path.join(dir, 'tok512.bin'));
  const e = await expectError(() => Model.load(file), CheckpointError, 'ERR_FSLLM_CHECKPOINT', /stories260K\.bin: header says \d+ floats .* truncated/);
  assert.is(e.path, file);
});

files('a missing file should reject with ERR_FSLLM_CHECKPOINT listing the supported forms', async ({ dir }) => {
  await expectError(() => Model.load(path.join(dir, 'nothing.bin')), CheckpointError, 'ERR_FSLLM_CHECKPOINT', /does not exist \(ENOENT\); expected a Hugging Face model folder/);
});

files('a tensor beyond the end of its file should reject in readTensors', async ({ dir }) => {
  const checkpoint = await openCheckpoint(STORIES_BIN);
  const short = path.join(dir, 'short.bin');
  await writeFile(short, new Uint8Array(10));
  const raw = binding().readTensors([{ ...checkpoint.tensors[0]!, file: short }]);
  const e = await expectError(() => raw.catch((r: unknown) => { throw toFsllmError(r, new Error()); }), CheckpointError, 'ERR_FSLLM_CHECKPOINT', /needs bytes \[\d+, \d+\) but the file has 10 bytes/);
  assert.instance(e.cause, FsllmError);
});

files.run();

// ---

const lifecycle = suite('disposed and busy objects');

lifecycle('calls on a disposed model or session should throw ERR_FSLLM_DISPOSED', async () => {
  const model = await tinyAdaptedModel();
  const session = await TrainSession.create(model);
  await session.dispose();
  await session.dispose(); // twice is fine
  await expectError(() => session.trainStep(tiny, { lr: 1e-3 }), DisposedError, 'ERR_FSLLM_DISPOSED', /^TrainSession is disposed; create a new TrainSession$/);
  await expectError(() => session.exportOptimizerState(), DisposedError, 'ERR_FSLLM_DISPOSED', /TrainSession is disposed/);
  await model.dispose();
  await model.dispose();
  for (const call of [() => model.logits(tiny), () => model.generate('Once'), () => model.exportAdapter(), () => model.attachLora({ r: 2, targets: ['q_proj'] }), () => TrainSession.create(model)]) {
    await expectError(call, DisposedError, 'ERR_FSLLM_DISPOSED', /^Model is disposed; create a new Model$/);
  }
});

lifecycle('disposing a model with an open session should throw ERR_FSLLM_IN_USE and keep both usable', async () => {
  const model = await tinyAdaptedModel();
  const session = await TrainSession.create(model);
  await expectError(() => model.dispose(), InUseError, 'ERR_FSLLM_IN_USE', /^Model has 1 open TrainSession\(s\); dispose them before the model$/);
  const m = await session.trainStep(tiny, { lr: 1e-3 });
  assert.ok(Number.isFinite(m.loss));
  await session.dispose();
  await model.dispose();
});

lifecycle('dispose should wait for the call in flight', async () => {
  const model = await tinyAdaptedModel();
  const generating = model.generate([1], { maxNewTokens: 40, stopAtEos: false });
  await model.dispose();
  assert.is((await generating).ids.length, 40);
});

// A session binds the adapter's tensors when it is created. After detachLora (or loadAdapter, which
// re-attaches) it must either fail with a clear error or train the new adapter, never step nothing silently.
lifecycle('a session should not silently train an adapter that was replaced', async () => {
  const model = await tinyAdaptedModel();
  const session = await TrainSession.create(model);
  try {
    await model.detachLora();
    await model.attachLora(TINY_LORA);
    const before = (await model.exportAdapter()).data;
    const outcome = await session.trainStep(tiny, { lr: 1e-2 }).then((metrics) => ({ metrics }), (error: unknown) => ({ error }));
    if ('error' in outcome) {
      assert.instance(outcome.error, FsllmError);
      const e = outcome.error as FsllmError;
      assert.is.not(e.code, 'ERR_FSLLM_TORCH', `a libtorch error leaked: ${e.message}`);
    } else {
      assert.ok(maxAbsDiff((await model.exportAdapter()).data, before) > 0, `step reported gradNorm ${outcome.metrics.gradNorm} and changed nothing`);
    }
  } finally {
    await session.dispose();
    await model.dispose();
  }
});

// The TS lock serialises calls; the native busy flag is the second line of defence, seen by raw calls.
lifecycle('a second concurrent native call on one model should throw ERR_FSLLM_BUSY', async () => {
  const model = await tinyAdaptedModel();
  try {
    const raw = model.native;
    const first = raw.generate([Int32Array.of(1)], { maxNewTokens: 30 });
    let caught: unknown;
    try {
      await raw.logits(tiny);
    } catch (error) {
      caught = error;
    }
    assert.instance(caught, FsllmError);
    assert.is((caught as FsllmError).code, 'ERR_FSLLM_BUSY');
    assert.match((caught as FsllmError).message, /^Model is busy: await the previous call before logits\(\)$/);
    assert.instance(toFsllmError(caught, new Error()), BusyError);
    assert.throws(() => raw.dispose(), /busy/);
    assert.is((await first)[0]!.ids.length, 30);
    assert.is((await raw.logits(tiny)).length, 4 * 512);
  } finally {
    await model.dispose();
  }
});

lifecycle.run();
