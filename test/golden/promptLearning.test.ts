// Prompt tuning, P-tuning (MLP and LSTM encoders) and prefix tuning (with and without projection) against HF
// PEFT on the tiny LLaMA (grouped-query) and GPT-2 models (test/fixtures/gen/make_prompt_learning.py): logits
// of the caller's tokens, the loss and every encoder tensor's gradient, one AdamW step, and greedy decoding
// through the KV cache.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { loadAdapter, Model, saveAdapter } from '../../lib/index.js';
import type { AdapterState, RawBatch } from '../../lib/index.js';
import { readSafetensorsF32 } from '../../lib/native/readTensors.js';
import type { SafetensorsTensor } from '../../lib/formats/index.js';
import { batchOf, byName, f32, GOLDEN_DIR, gradientsAt, loadExpected, realPositions, scalar, stepFrom, tensorOf } from '../helpers/golden.js';
import { adamwStepBound, assertClose, assertCloseEach, assertCloseScalar, gradTolerance, LOGITS_TOL, LOSS_TOL } from '../helpers/tolerance.js';
import type { NamedComparison } from '../helpers/tolerance.js';
import { PROMPT_VARIANTS } from '../helpers/promptVariants.js';

const MODELS = ['llama', 'gpt2'] as const;
/** Each fixture case and the options that build it. */
const CASES = PROMPT_VARIANTS;
const ADAMW = { type: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } as const;
const LR = 1e-2;

interface Case {
  model: Model;
  initial: AdapterState;
  expected: Map<string, SafetensorsTensor>;
  batch: RawBatch;
  keys: string[];
}

async function openCase(modelName: string, caseName: string): Promise<Case> {
  const dir = path.join(GOLDEN_DIR, 'prompt-learning', modelName, caseName);
  const model = await Model.load(path.join(GOLDEN_DIR, modelName, 'model'));
  await model.attachPrompt(CASES[caseName]!);
  const trainable = await readSafetensorsF32(path.join(dir, 'trainable.safetensors'));
  await model.importAdapterTensors(trainable);
  const batch = batchOf(await loadExpected(path.join(GOLDEN_DIR, modelName)));
  return { model, initial: await model.exportAdapter(), expected: await loadExpected(dir), batch, keys: trainable.map((t) => t.name) };
}

const parity = suite<{ cases: Map<string, Case> }>('prompt learning vs PEFT');
parity.before(async (ctx) => {
  ctx.cases = new Map();
  for (const m of MODELS) for (const c of Object.keys(CASES)) ctx.cases.set(`${m}/${c}`, await openCase(m, c));
});
parity.after(async (ctx) => {
  for (const c of ctx.cases?.values() ?? []) await c.model.dispose();
});

for (const m of MODELS) {
  for (const c of Object.keys(CASES)) {
    const label = `${m}/${c}`;
    parity(`should give PEFT's logits for the caller's tokens :: ${label}`, async ({ cases }) => {
      const { model, initial, expected, batch } = cases.get(label)!;
      await model.importAdapter(initial);
      const logits = await model.logits(batch);
      const reference = f32(expected, 'logits');
      assert.is(logits.length, reference.length, `${label}: logits cover the ${batch.seq} real positions only`);
      assertClose(logits, reference, LOGITS_TOL, `${label} logits`, realPositions(batch, model.config.vocabSize));
    });

    parity(`should match PEFT's loss and the gradient of every encoder tensor :: ${label}`, async ({ cases }) => {
      const { model, initial, expected, batch, keys } = cases.get(label)!;
      assert.equal(initial.manifest.map((e) => e.name).sort(), [...keys].sort(), `${label}: the trainable state is the encoder's tensors`);
      const { grads, metrics } = await gradientsAt(model, initial, batch);
      assertCloseScalar(metrics.loss, scalar(expected, 'loss'), LOSS_TOL, `${label} loss`);
      const references = keys.map((k) => f32(expected, `grad.${k}`));
      const maxGrad = Math.max(...references.map((r) => r.reduce((a, v) => Math.max(a, Math.abs(v)), 0)));
      const tol = gradTolerance(maxGrad);
      const got = byName(grads);
      assertCloseEach(keys.map((k, i) => ({ name: `grad.${k}`, actual: got.get(k)!, expected: references[i]!, tol })), `${label} grads`);
    });

    parity(`should count a row's first token as PEFT does when every token is a label :: ${label}`, async ({ cases }) => {
      // Prompt tuning and P-tuning: the last virtual token predicts the first token; a prefix predicts nothing.
      const { model, initial, expected, batch } = cases.get(label)!;
      await model.importAdapter(initial);
      const labels = Int32Array.from(batch.ids, (id, i) => (batch.attentionMask[i] ? id : -100));
      const { lossSum, tokens } = await model.evalLoss([{ ...batch, labels }]);
      assertCloseScalar(lossSum / tokens, scalar(expected, 'loss_all_labels'), LOSS_TOL, `${label} loss_all_labels`);
    });

    parity(`should take PEFT's AdamW step :: ${label}`, async ({ cases }) => {
      const { model, initial, expected, batch, keys } = cases.get(label)!;
      const { after } = await stepFrom(model, initial, batch, ADAMW, { lr: LR });
      const got = byName(after);
      const items: NamedComparison[] = keys.map((k) => {
        const g = f32(expected, `grad.${k}`);
        const gradTol = gradTolerance(g.reduce((a, v) => Math.max(a, Math.abs(v)), 0));
        return { name: `adamw.${k}`, actual: got.get(k)!, expected: f32(expected, `adamw.${k}`), tol: (i: number) => adamwStepBound(g[i]!, gradTol.abs + gradTol.rel * Math.abs(g[i]!), LR, ADAMW.eps) };
      });
      assertCloseEach(items, `${label} adamw`);
    });

    parity(`should decode PEFT's greedy tokens through the KV cache :: ${label}`, async ({ cases }) => {
      const { model, initial, expected, batch } = cases.get(label)!;
      if (!expected.has('greedy_ids')) return;
      await model.importAdapter(initial);
      const prompt = Array.from(batch.ids.subarray(0, 5));
      const want = tensorOf(expected, 'greedy_ids');
      const ids = Array.from(want.data as BigInt64Array, Number).slice(-8);
      const { ids: got } = await model.generate(prompt, { maxNewTokens: 8, stopAtEos: false });
      assert.equal(got, ids, `${label}: greedy ids`);
    });
  }
}

parity.run();

const files = suite('prompt-learning adapters on disk (PEFT format)');

for (const m of MODELS) {
  for (const c of Object.keys(CASES)) {
    const label = `${m}/${c}`;
    const dir = path.join(GOLDEN_DIR, 'prompt-learning', m, c);

    files(`should load PEFT's adapter folder and give its logits :: ${label}`, async () => {
      const model = await Model.load(path.join(GOLDEN_DIR, m, 'model'));
      try {
        await loadAdapter(model, path.join(dir, 'adapter'));
        const expected = await loadExpected(dir);
        const batch = batchOf(await loadExpected(path.join(GOLDEN_DIR, m)));
        assertClose(await model.logits(batch), f32(expected, 'reloaded_logits'), LOGITS_TOL, `${label} reloaded logits`, realPositions(batch, model.config.vocabSize));
      } finally {
        await model.dispose();
      }
    });

    files(`should save PEFT's prompt_embeddings and resume its own encoder from the file :: ${label}`, async () => {
      const { model, initial, expected, batch } = await openCase(m, c);
      const out = await mkdtemp(path.join(os.tmpdir(), 'fsllm-prompt-'));
      const again = await Model.load(path.join(GOLDEN_DIR, m, 'model'));
      try {
        await saveAdapter(model, out);
        const saved = new Map((await readSafetensorsF32(path.join(out, 'adapter_model.safetensors'))).map((t) => [t.name, t]));
        const embeddings = saved.get('prompt_embeddings');
        assert.ok(embeddings, 'the file holds prompt_embeddings');
        assert.equal(embeddings.shape, tensorOf(expected, 'prompt_embeddings').shape);
        assertClose(embeddings.data, f32(expected, 'prompt_embeddings'), LOGITS_TOL, `${label} prompt_embeddings`);
        await loadAdapter(again, out);
        const kind = (p: Model['prompt']) => p && { method: p.method, encoder: p.encoder, virtualTokens: p.virtualTokens };
        assert.equal(kind(again.prompt), kind(model.prompt), `${label}: the same method and encoder`);
        const resumed = await again.exportAdapter();
        assert.equal(resumed.manifest, initial.manifest);
        assert.equal(Array.from(resumed.data), Array.from(initial.data), `${label}: the encoder's own values`);
        assertClose(await again.logits(batch), f32(expected, 'logits'), LOGITS_TOL, `${label} logits after the round trip`, realPositions(batch, again.config.vocabSize));
      } finally {
        await again.dispose();
        await model.dispose();
        await rm(out, { recursive: true, force: true });
      }
    });
  }
}

files.run();
