// Model.load's `device`. On a CPU-only libtorch (this machine, CI) asking for CUDA must fail at once with
// ERR_FSLLM_UNSUPPORTED naming the fix; with a CUDA libtorch and a GPU the same test loads stories260K on
// the GPU and checks logits, a LoRA training step and the exported adapter against the CPU run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { binding, FsllmError, Model, TrainSession } from '../../lib/index.js';
import { STORY_TEXTS, textBatch } from '../helpers/batches.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { expectError, maxAbsDiff } from './_support.js';

const device = suite('Model.load device');

device('should load on the CPU by default and when asked, with the same logits', async () => {
  const plain = await Model.load(STORIES_BIN);
  const cpu = await Model.load(STORIES_BIN, { device: 'cpu' });
  try {
    assert.is(plain.device, 'cpu');
    assert.is(cpu.device, 'cpu');
    const batch = textBatch(plain.tokenizer!, STORY_TEXTS.slice(0, 2));
    assert.is(maxAbsDiff(await plain.logits(batch), await cpu.logits(batch)), 0);
  } finally {
    await plain.dispose();
    await cpu.dispose();
  }
});

device('should refuse a string that names no device :: ERR_FSLLM_INVALID_ARG', async () => {
  for (const bad of ['gpu', 'cuda:', 'cuda:-1', 'CPU', 'mps', '']) {
    await expectError(() => Model.load(STORIES_BIN, { device: bad as never }), FsllmError, 'ERR_FSLLM_INVALID_ARG', /Expected 'cpu', 'cuda' or 'cuda:N' for device/);
  }
});

device('should refuse a device past the machine\'s GPUs :: ERR_FSLLM_UNSUPPORTED', async () => {
  await expectError(() => Model.load(STORIES_BIN, { device: 'cuda:999' }), FsllmError, 'ERR_FSLLM_UNSUPPORTED', /device 'cuda:999' is not available/);
});

if (!binding().runtimeInfo().cudaAvailable) {
  device('should say how to get CUDA when this libtorch has none :: ERR_FSLLM_UNSUPPORTED', async () => {
    await expectError(() => Model.load(STORIES_BIN, { device: 'cuda' }), FsllmError, 'ERR_FSLLM_UNSUPPORTED', /no CUDA support.*Use device 'cpu'.*CUDA libtorch/);
  });
} else {
  device('should train on CUDA as on the CPU: logits, one AdamW step, the exported adapter', async () => {
    const lora = { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'], seed: 3 };
    const models = [await Model.load(STORIES_BIN), await Model.load(STORIES_BIN, { device: 'cuda' })];
    try {
      assert.match(models[1]!.device, /^cuda/);
      const batch = textBatch(models[0]!.tokenizer!, STORY_TEXTS.slice(0, 4));
      const out = [];
      for (const m of models) {
        await m.attachLora(lora);
        const session = await TrainSession.create(m);
        const step = await session.trainStep(batch, { lr: 1e-2 });
        out.push({ step, logits: await m.logits(batch), adapter: (await m.exportAdapter()).data });
        await session.dispose();
      }
      assert.ok(Math.abs(out[0]!.step.loss - out[1]!.step.loss) < 1e-4, `loss cpu ${out[0]!.step.loss} vs cuda ${out[1]!.step.loss}`);
      assert.ok(maxAbsDiff(out[0]!.adapter, out[1]!.adapter) < 1e-4, 'adapters after one step');
      assert.ok(maxAbsDiff(out[0]!.logits, out[1]!.logits) < 1e-3, 'logits after one step');
    } finally {
      for (const m of models) await m.dispose();
    }
  });
}

device.run();
