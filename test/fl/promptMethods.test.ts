// Federated prompt tuning, P-tuning and prefix tuning on the embedded model: each run lowers the held-out
// loss, the clients' messages carry exactly the encoder's tensors (cost.json's trainable parameters and
// message bytes), and the saved global adapter (PEFT format) loads into a fresh model with the run's final
// held-out loss. Closed-model tuning refuses them by name.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, loadAdapter, Model, resolveOptions, type AdapterOptions, type EvalRecord, type FedResults } from '../../lib/index.js';
import { fails } from '../helpers/errors.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function run(adapter: AdapterOptions, lr: number, mu = 0): Promise<FedResults> {
  const out = tempDir(`fsllm-${adapter.method}-`);
  dirs.push(out);
  return new FedTrainer({
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, subsample: 0.5, splits: [0.8, 0.1, 0.1], tokLen: 192 },
    federate: { clientNum: 2, totalRounds: 2, seed: 4 },
    adapter,
    train: { localSteps: 4, batchSize: 4, optimizer: { type: 'adamw', lr }, fedprox: { mu } },
    eval: { every: 2, splits: ['test'] },
    output: { dir: out, checkpointEvery: 0, report: false },
  }).run();
}

const testLoss = (r: FedResults, round: number) =>
  r.history.find((h): h is EvalRecord => h.kind === 'eval' && h.round === round && h.target === 'global' && h.split === 'test' && h.metric === 'loss')!.value;

// Learning rates for 8 local steps in all: P-tuning's MLP diverges under AdamW at 3e-2, where the others do best.
// The prefix run also pulls clients toward the global encoder (FedProx), which works on any trainable tensors.
const METHODS: [AdapterOptions, number, number][] = [
  [{ method: 'prompt', virtualTokens: 8, init: 'text', initText: 'Question and answer:' }, 3e-2, 0],
  [{ method: 'p-tuning', virtualTokens: 8, encoder: 'mlp', encoderHiddenSize: 32 }, 1e-2, 0],
  [{ method: 'prefix', virtualTokens: 8, encoder: 'projection', encoderHiddenSize: 32 }, 3e-2, 0.01],
];

for (const [adapter, lr, mu] of METHODS) {
  test(`a federated ${adapter.method} run${mu ? ' with FedProx' : ''} trains, sends the encoder's tensors and saves a loadable adapter`, async () => {
    const r = await run(adapter, lr, mu);
    const [start, end] = [testLoss(r, 0), testLoss(r, 2)];
    console.log(`  ${adapter.method}: test loss ${start.toFixed(4)} -> ${end.toFixed(4)}`);
    assert.ok(end < start - 0.05, `${adapter.method}: test loss ${start} -> ${end}`);
    const global = r.adapter!.state;
    assert.ok(global.manifest.every((e) => e.name.startsWith('prompt_encoder.')), 'only the encoder travels');
    const cost = JSON.parse(readFileSync(path.join(r.outDir, 'cost.json'), 'utf8'));
    assert.is(cost.trainableParameters, global.data.length);
    assert.ok(cost.adapterMessageBytes >= 4 * global.data.length && cost.adapterMessageBytes < 4 * global.data.length + 4096, `${cost.adapterMessageBytes} bytes`);
    const model = await Model.load(STORIES_BIN);
    try {
      await loadAdapter(model, path.join(r.outDir, 'adapter'));
      assert.is(model.prompt!.method, adapter.method);
      assert.equal(Array.from((await model.exportAdapter()).data), Array.from(global.data), 'the saved file resumes the global encoder');
    } finally {
      await model.dispose();
    }
  });
}

test("a resumed prompt-tuning run ends with the uninterrupted run's adapter", async () => {
  const options = (out: string, resume: boolean) => ({
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k' as const, root: SAMPLE_DATASETS, subsample: 0.5, splits: [0.8, 0.1, 0.1] as [number, number, number], tokLen: 192 },
    federate: { clientNum: 2, totalRounds: 3, seed: 6 },
    adapter: { method: 'prompt' as const, virtualTokens: 6, init: 'text' as const, initText: 'Answer:' },
    train: { localSteps: 3, batchSize: 4, keepOptimizerState: true, optimizer: { type: 'adamw' as const, lr: 3e-2 } },
    eval: { every: 3, splits: ['test' as const] },
    output: { dir: out, checkpointEvery: 1, resume, report: false },
  });
  const whole = tempDir('fsllm-prompt-whole-');
  const out = tempDir('fsllm-prompt-resume-');
  dirs.push(whole, out);
  const uninterrupted = await new FedTrainer(options(whole, false)).run();
  const first = new FedTrainer(options(out, false));
  const controller = new AbortController();
  first.on('checkpoint', (e) => {
    if (e.round === 1) controller.abort();
  });
  await fails(() => first.run({ signal: controller.signal }), 'ERR_FSLLM_ABORTED');
  const resumed = await new FedTrainer(options(out, true)).run();
  assert.equal(Array.from(resumed.adapter!.state.data), Array.from(uninterrupted.adapter!.state.data), 'bit-identical final adapter');
});

test('closed-model tuning and mismatched prompt fields are refused by name', async () => {
  await fails(() => resolveOptions({ model: { path: STORIES_BIN }, data: { type: 'gsm8k' }, adapter: { method: 'prefix' }, offsite: { algorithm: 'fedbiot' } }), 'ERR_FSLLM_CONFIG', /adapter\.method: closed-model tuning .* trains LoRA/);
  await fails(() => resolveOptions({ model: { path: STORIES_BIN }, data: { type: 'gsm8k' }, adapter: { method: 'prefix', encoder: 'lstm' } }), 'ERR_FSLLM_CONFIG', /adapter\.encoder: "lstm" does not apply to prefix/);
  await fails(() => resolveOptions({ model: { path: STORIES_BIN }, data: { type: 'gsm8k' }, adapter: { method: 'p-tuning', init: 'text', initText: 'x' } }), 'ERR_FSLLM_CONFIG', /adapter\.init: a text or vocabulary start is prompt tuning's/);
});

test.run();
