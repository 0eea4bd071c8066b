// The prompt-learning adapters that fsllm-native trained and saved into test/fixtures/golden/ours-prompt/
// (make_our_prompt_adapters.ts), which check_our_prompt_adapter.py loads into PEFT with matching logits.
// Reloading the committed files must still give the committed logits and resume the encoder itself (not
// only its output), so saveAdapter's prompt format stays readable by both sides.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, loadAdapter, Model, sliceOf } from '../../lib/index.js';
import type { PromptOptions, RawBatch } from '../../lib/index.js';
import { readSafetensorsF32 } from '../../lib/native/readTensors.js';
import type { SafetensorsTensor } from '../../lib/formats/index.js';
import { batchOf, disposeAll, f32, GOLDEN_DIR, loadExpected, realPositions } from '../helpers/golden.js';
import { assertClose, LOGITS_TOL, maxAbs } from '../helpers/tolerance.js';

const OURS = path.join(GOLDEN_DIR, 'ours-prompt');
const MODELS = ['llama', 'gpt2'] as const;
/** The variants make_our_prompt_adapters.ts trained (its seeds aside), and PEFT's type for each. */
const VARIANTS: Record<string, { options: Omit<PromptOptions, 'seed'>; peftType: string }> = {
  prompt: { options: { method: 'prompt', virtualTokens: 4 }, peftType: 'PROMPT_TUNING' },
  'ptuning-mlp': { options: { method: 'p-tuning', virtualTokens: 4, encoder: 'mlp', encoderHiddenSize: 32 }, peftType: 'P_TUNING' },
  'ptuning-lstm': {
    options: { method: 'p-tuning', virtualTokens: 4, encoder: 'lstm', encoderHiddenSize: 16, encoderLayers: 2 },
    peftType: 'P_TUNING',
  },
  prefix: { options: { method: 'prefix', virtualTokens: 4 }, peftType: 'PREFIX_TUNING' },
  'prefix-proj': { options: { method: 'prefix', virtualTokens: 4, encoder: 'projection', encoderHiddenSize: 32 }, peftType: 'PREFIX_TUNING' },
};

type NamedTensor = Awaited<ReturnType<typeof readSafetensorsF32>>[number];

interface Case {
  model: Model;
  expected: Map<string, SafetensorsTensor>;
  batch: RawBatch;
  /** adapter_model.safetensors by tensor name. */
  file: Map<string, NamedTensor>;
  config: Record<string, unknown>;
}

async function openCase(modelName: string, variant: string): Promise<Case> {
  const dir = path.join(OURS, modelName, variant);
  const adapter = path.join(dir, 'adapter');
  const model = await Model.load(path.join(GOLDEN_DIR, modelName, 'model'));
  try {
    await loadAdapter(model, adapter);
    const expected = await loadExpected(dir);
    const file = new Map((await readSafetensorsF32(path.join(adapter, ADAPTER_WEIGHTS))).map((t) => [t.name, t]));
    const config = JSON.parse(await readFile(path.join(adapter, ADAPTER_CONFIG), 'utf8')) as Record<string, unknown>;
    return { model, expected, batch: batchOf(expected), file, config };
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

// ---

const ours = suite<{ cases: Map<string, Case> }>('loadAdapter (prompt adapters saved by saveAdapter)');

ours.before(async (ctx) => {
  ctx.cases = new Map();
  for (const m of MODELS) for (const v of Object.keys(VARIANTS)) ctx.cases.set(`${m}/${v}`, await openCase(m, v));
});

ours.after(async (ctx) => {
  await disposeAll([...(ctx.cases?.values() ?? [])].map((c) => c.model));
});

for (const m of MODELS) {
  for (const [v, { options, peftType }] of Object.entries(VARIANTS)) {
    const label = `${m}/${v}`;
    const hasEncoder = (options.encoder ?? 'none') !== 'none';

    ours(`should reproduce the committed logits (which PEFT reproduces too) :: ${label}`, async ({ cases }) => {
      const { model, expected, batch } = cases.get(label)!;
      const got = await model.logits(batch);
      const reference = f32(expected, 'logits');
      assert.is(got.length, reference.length, `${label}: logits of the ${batch.seq} real positions only`);
      assertClose(got, reference, LOGITS_TOL, `${label} logits`, realPositions(batch, model.config.vocabSize));
    });

    ours(`should resume the variant's encoder, not only its output :: ${label}`, async ({ cases }) => {
      const { model, file } = cases.get(label)!;
      const prompt = model.prompt;
      assert.ok(prompt, `${label}: a prompt is attached`);
      for (const [key, value] of Object.entries(options)) assert.equal(prompt[key as keyof typeof prompt], value, `${label}: ${key}`);
      assert.is(prompt.encoder, options.encoder ?? 'none', `${label}: encoder`);
      const state = await model.exportAdapter();
      // With an encoder the file's prompt_encoder.* tensors are the trainable state; without one the saved
      // prompt_embeddings are the virtual tokens themselves.
      const want = hasEncoder
        ? [...file.values()].filter((t) => t.name.startsWith('prompt_encoder.'))
        : [{ ...file.get('prompt_embeddings')!, name: 'prompt_encoder.embedding.weight' }];
      assert.equal(state.manifest.map((e) => e.name).sort(), want.map((t) => t.name).sort(), `${label}: trainable keys`);
      const byName = new Map(want.map((t) => [t.name, t]));
      for (const e of state.manifest) {
        const t = byName.get(e.name)!;
        assert.equal(e.shape, t.shape, `${label}: shape of ${e.name}`);
        assert.equal(Array.from(sliceOf(state, e)), Array.from(t.data), `${label}: ${e.name} resumed bit for bit`);
      }
    });

    ours(`should hold PEFT's prompt_embeddings${hasEncoder ? ' and the encoder tensors' : ' only'} :: ${label}`, async ({ cases }) => {
      const { model, file, config } = cases.get(label)!;
      assert.is(config.peft_type, peftType);
      assert.is(config.task_type, 'CAUSAL_LM');
      assert.is(config.inference_mode, true);
      assert.is(config.num_virtual_tokens, options.virtualTokens);
      assert.ok(!path.isAbsolute(String(config.base_model_name_or_path)), 'base_model_name_or_path names no checkout');
      const names = [...file.keys()];
      const encoderNames = names.filter((n) => n.startsWith('prompt_encoder.'));
      assert.ok(names.includes('prompt_embeddings'), `${label}: prompt_embeddings`);
      assert.is(encoderNames.length > 0, hasEncoder, `${label}: prompt_encoder.* tensors iff there is an encoder`);
      assert.is(names.length, 1 + encoderNames.length, `${label}: nothing else`);
      if (hasEncoder) assert.ok(encoderNames.includes('prompt_encoder.embedding.weight'), `${label}: the encoder's input embedding`);
      for (const t of file.values()) assert.ok(maxAbs(t.data) > 0, `${label}: ${t.name} is nonzero`);
      // prompt_embeddings is the loaded encoder's output.
      const saved = file.get('prompt_embeddings')!;
      const { data, shape } = await model.promptEmbeddings();
      assert.equal(shape, saved.shape, `${label}: prompt_embeddings shape`);
      assertClose(data, saved.data, LOGITS_TOL, `${label} prompt_embeddings from the resumed encoder`);
    });
  }
}

ours.run();
