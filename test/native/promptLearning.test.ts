// Prompt learning beyond the PEFT parity of test/golden/promptLearning.test.ts, on stories260K (grouped-query
// LLaMA): packed rows and padding see the virtual tokens as each example alone would, batched left-padded
// generation equals one prompt at a time, training moves only the encoder and lowers the loss, a text start
// copies the word embeddings, and misuse fails with a coded error.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Model, TrainSession, type PromptOptions } from '../../lib/index.js';
import type { RawBatch } from '../../lib/index.js';
import { pack } from '../../lib/data/pack.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { fails } from '../helpers/errors.js';
import { tinyModel, TINY_LORA } from '../helpers/tinyModel.js';

const METHODS: Record<string, PromptOptions> = {
  prompt: { method: 'prompt', virtualTokens: 5, seed: 3 },
  'p-tuning lstm': { method: 'p-tuning', virtualTokens: 5, encoder: 'lstm', encoderHiddenSize: 16, seed: 3 },
  'prefix projection': { method: 'prefix', virtualTokens: 5, encoder: 'projection', encoderHiddenSize: 24, seed: 3 },
};

async function withPrompt<T>(options: PromptOptions, body: (model: Model) => Promise<T>): Promise<T> {
  const model = await tinyModel();
  try {
    await model.attachPrompt(options);
    return await body(model);
  } finally {
    await model.dispose();
  }
}

const rows = randomRows(11, 3, 9, 512).map((r, i) => r.slice(0, 5 + 2 * i)); // 5, 7 and 9 tokens

const consistency = suite('prompt learning: padding, packing, generation');

for (const [name, options] of Object.entries(METHODS)) {
  consistency(`should give packed rows the loss of each example alone :: ${name}`, async () => {
    await withPrompt(options, async (model) => {
      const examples = rows.map((ids) => ({ ids, labels: ids }));
      const packed = pack(examples, 32, 0);
      assert.ok(packed.batch === 1 && packed.segmentIds, 'the three examples share one row');
      const together = await model.evalLoss([packed]);
      let lossSum = 0;
      let tokens = 0;
      for (const ids of rows) {
        // pack() ignores each example's first label (the token before it is another example's).
        const row = batchOf([ids]);
        row.labels![0] = -100;
        const alone = await model.evalLoss([row]);
        lossSum += alone.lossSum;
        tokens += alone.tokens;
      }
      assert.is(together.tokens, tokens);
      assert.ok(Math.abs(together.lossSum - lossSum) <= 1e-4 * Math.abs(lossSum), `${together.lossSum} vs ${lossSum}`);
    });
  });

  consistency(`should give a right-padded row the logits it has alone :: ${name}`, async () => {
    await withPrompt(options, async (model) => {
      const vocab = model.config.vocabSize;
      const padded = await model.logits(batchOf(rows));
      const seq = Math.max(...rows.map((r) => r.length));
      for (const [i, ids] of rows.entries()) {
        const alone = await model.logits(batchOf([ids]));
        const mine = padded.subarray(i * seq * vocab, (i * seq + ids.length) * vocab);
        let worst = 0;
        for (let j = 0; j < alone.length; j++) worst = Math.max(worst, Math.abs(mine[j]! - alone[j]!));
        assert.ok(worst < 1e-4, `row ${i}: max |diff| ${worst}`);
      }
    });
  });

  consistency(`should generate in a left-padded batch what each prompt generates alone :: ${name}`, async () => {
    await withPrompt(options, async (model) => {
      const together = await model.generate(rows, { maxNewTokens: 6, stopAtEos: false, batchSize: 3 });
      for (const [i, ids] of rows.entries()) {
        const alone = await model.generate(ids, { maxNewTokens: 6, stopAtEos: false });
        assert.equal(together[i]!.ids, alone.ids, `prompt ${i}`);
      }
      // The first generated token is the argmax of the full forward pass at the prompt's last position.
      const logits = await model.logits(batchOf([rows[2]!]));
      const vocab = model.config.vocabSize;
      const last = logits.subarray((rows[2]!.length - 1) * vocab, rows[2]!.length * vocab);
      assert.is(together[2]!.ids[0], last.indexOf(Math.max(...last)));
    });
  });
}

consistency.run();

const training = suite('prompt learning: training');

for (const [name, options] of Object.entries(METHODS)) {
  training(`should lower the loss by training only the encoder's tensors :: ${name}`, async () => {
    await withPrompt(options, async (model) => {
      const before = await model.exportAdapter();
      assert.ok(before.manifest.length > 0 && before.manifest.every((e) => e.name.startsWith('prompt_encoder.')), 'the state is the encoder');
      const batch: RawBatch = batchOf(randomRows(5, 2, 24, 512));
      const session = await TrainSession.create(model, { optimizer: { type: 'adamw', weightDecay: 0 } });
      try {
        const losses: number[] = [];
        for (let i = 0; i < 15; i++) losses.push((await session.trainStep([batch, batch], { lr: 0.05, maxGradNorm: 1, precision: i % 2 ? 'bf16' : 'fp32' })).loss);
        assert.ok(losses.at(-1)! < losses[0]! - 0.2, `loss ${losses[0]} -> ${losses.at(-1)}`);
      } finally {
        await session.dispose();
      }
      const after = await model.exportAdapter();
      assert.equal(after.manifest, before.manifest);
      assert.not.equal(Array.from(after.data), Array.from(before.data));
      await model.detachPrompt();
      assert.is((await model.exportAdapter()).data.length, 0, 'detached: nothing trainable left');
    });
  });
}

training('should start prompt tuning from the words of initText', async () => {
  const model = await tinyModel();
  try {
    const text = 'Once upon a time';
    const ids = model.tokenizer!.encode(text);
    await model.attachPrompt({ method: 'prompt', virtualTokens: ids.length + 2, init: 'text', initText: text });
    const rows = (await model.exportAdapter()).data;
    await model.detachPrompt();
    const words = await model.hiddenAt(batchOf([ids]), 0); // the embedding output: the words' rows
    const D = model.config.hiddenSize;
    for (let v = 0; v < ids.length + 2; v++) {
      const t = v % ids.length; // the text repeats to fill the virtual tokens, as PEFT's
      assert.equal(Array.from(rows.subarray(v * D, (v + 1) * D)), Array.from(words.subarray(t * D, (t + 1) * D)), `virtual token ${v}`);
    }
  } finally {
    await model.dispose();
  }
});

training.run();

const misuse = suite('prompt learning: misuse');

misuse('should refuse a prompt next to LoRA, and LoRA next to a prompt', async () => {
  const model = await tinyModel();
  try {
    await model.attachLora(TINY_LORA);
    await fails(() => model.attachPrompt({ method: 'prompt' }), 'ERR_FSLLM_INVALID_ARG', /detachLora\(\)/);
    await model.detachLora();
    await model.attachPrompt({ method: 'prompt', virtualTokens: 2 });
    await fails(() => model.attachLora(TINY_LORA), 'ERR_FSLLM_INVALID_ARG', /detachPrompt\(\)/);
    await fails(() => model.attachPrompt({ method: 'prompt' }), 'ERR_FSLLM_INVALID_ARG', /detachPrompt\(\)/);
  } finally {
    await model.dispose();
  }
});

misuse('should name the option that is wrong', async () => {
  const model = await tinyModel();
  try {
    await fails(() => model.attachPrompt({ method: 'lora' as never }), 'ERR_FSLLM_INVALID_ARG', /prompt\.method/);
    await fails(() => model.attachPrompt({ method: 'prefix', encoder: 'lstm' }), 'ERR_FSLLM_INVALID_ARG', /prompt\.encoder/);
    await fails(() => model.attachPrompt({ method: 'prompt', virtualTokens: 0 }), 'ERR_FSLLM_INVALID_ARG', /prompt\.virtualTokens/);
    await fails(() => model.attachPrompt({ method: 'prompt', init: 'text' }), 'ERR_FSLLM_INVALID_ARG', /prompt\.initText/);
    await fails(() => model.attachPrompt({ method: 'p-tuning', init: 'text', initText: 'x' }), 'ERR_FSLLM_INVALID_ARG', /prompt\.init/);
    assert.is(model.prompt, null, 'nothing was attached');
  } finally {
    await model.dispose();
  }
});

misuse('should refuse inputs that leave no room for the virtual tokens', async () => {
  await withPrompt({ method: 'prefix', virtualTokens: 8 }, async (model) => {
    const long = randomRows(1, 1, model.config.maxPositions - 4, 512);
    await fails(() => model.logits(batchOf(long)), 'ERR_FSLLM_INVALID_ARG', /8 virtual tokens/, /at most \d+ tokens/);
    await fails(() => model.generate(long[0]!, { maxNewTokens: 2 }), 'ERR_FSLLM_INVALID_ARG', /virtual tokens/);
  });
});

misuse('should refuse activation checkpointing for a prefix, and allow it for virtual inputs', async () => {
  const batch = batchOf(randomRows(2, 2, 12, 512));
  await withPrompt({ method: 'prefix', virtualTokens: 3 }, async (model) => {
    const session = await TrainSession.create(model);
    try {
      await fails(() => session.trainStep(batch, { lr: 0.01, checkpointActivations: true }), 'ERR_FSLLM_UNSUPPORTED', /prefix tuning/);
    } finally {
      await session.dispose();
    }
  });
  await withPrompt({ method: 'prompt', virtualTokens: 3 }, async (model) => {
    const initial = await model.exportAdapter();
    const session = await TrainSession.create(model, { optimizer: { type: 'sgd', momentum: 0, weightDecay: 0 } });
    try {
      const plain = await session.trainStep(batch, { lr: 0.1 });
      const plainState = await model.exportAdapter();
      await model.importAdapter(initial);
      const checkpointed = await session.trainStep(batch, { lr: 0.1, checkpointActivations: true });
      assert.ok(Math.abs(plain.loss - checkpointed.loss) < 1e-6 * plain.loss, `loss ${plain.loss} vs ${checkpointed.loss}`);
      const again = await model.exportAdapter();
      let worst = 0;
      for (let i = 0; i < again.data.length; i++) worst = Math.max(worst, Math.abs(again.data[i]! - plainState.data[i]!));
      assert.ok(worst < 1e-6, `checkpointed step differs by ${worst}`);
    } finally {
      await session.dispose();
    }
  });
});

misuse.run();
