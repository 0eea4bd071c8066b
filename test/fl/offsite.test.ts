// Closed-model tuning end to end on stories260K with real data: FedBiOT (emulator re-aligned every round)
// and FedOT (aligned once), AdapEmu and AdapFu evaluation, what crosses the wire, and the alignment itself.
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, resolveOptions, type EvalRecord, type FedTrainerOptions } from '../../lib/index.js';
import { OffsiteSetup } from '../../lib/fl/offsite/offsiteSetup.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const dirs: string[] = [];
function outDir(): string {
  const d = tempDir('fsllm-offsite-');
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const align = { data: { type: 'dolly-15k' as const, subsample: 0.7 }, preSteps: 20, stepsPerRound: 4, batchSize: 4 };

function options(out: string, offsite: FedTrainerOptions['offsite'], rounds = 3): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, subsample: 0.75, splits: [0.8, 0.1, 0.1], tokLen: 320 },
    federate: { clientNum: 2, totalRounds: rounds, seed: 4 },
    adapter: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj', 'up_proj'] },
    train: { localSteps: 4, batchSize: 4, optimizer: { type: 'adamw', lr: 3e-3 } },
    eval: { every: 1, splits: ['test'] },
    output: { dir: out, checkpointEvery: 0, report: false },
    offsite,
  };
}

const at = (records: EvalRecord[], round: number, variant: string) =>
  records.find((r) => r.round === round && r.target === 'global' && r.split === 'test' && r.variant === variant)!;

test('pre-alignment moves the emulator towards the full model on held-out public data', async () => {
  const o = resolveOptions(options(outDir(), { algorithm: 'fedbiot', adapterLayers: 1, dropRate: 0.5, align }));
  const setup = await OffsiteSetup.create(o, o.output.dir, () => undefined);
  try {
    assert.equal(setup.plan.layout, [0, 3, 4], 'n=5, s=1, beta=0.5: emulator keeps layers 0 and 3, adapter is layer 4');
    const start = await setup.student.exportAdapter();
    const before = await setup.heldOutGap(start);
    const { state, report } = await setup.align(start, 30);
    const after = await setup.heldOutGap(state);
    console.log(`  held-out representation gap ${before.toFixed(4)} -> ${after.toFixed(4)} (train loss mean ${report.loss.toFixed(4)})`);
    assert.ok(after < before * 0.9, `gap should shrink: ${before} -> ${after}`);
    // Only the emulator layers' LoRA moved: the adapter part is what the clients own.
    const names = setup.adapterNames(start);
    for (const e of start.manifest) {
      const size = e.shape.reduce((a, b) => a * b, 1);
      const a = start.data.subarray(e.offset, e.offset + size);
      const b = state.data.subarray(e.offset, e.offset + size);
      const same = a.every((x, i) => x === b[i]);
      assert.is(same, names.has(e.name), `${e.name} ${names.has(e.name) ? 'must not' : 'should'} change`);
    }
  } finally {
    await setup.dispose();
  }
});

test('FedBiOT runs end to end: both evaluations, re-alignment every round, adapter-only uploads', async () => {
  const run = new FedTrainer(options(outDir(), { algorithm: 'fedbiot', adapterLayers: 1, dropRate: 0.2, proxWeight: 0.01, align }));
  const aligned: number[] = [];
  run.on('align', (e) => void aligned.push(e.round));
  const result = await run.run();
  assert.equal(aligned, [0, 1, 2, 3], 'pre-alignment, then after each aggregation');
  const evals = result.history.filter((r): r is EvalRecord => r.kind === 'eval');
  for (const variant of ['AdapEmu', 'AdapFu']) {
    assert.ok(at(evals, 3, variant).value < at(evals, 0, variant).value, `${variant} held-out loss falls`);
  }
  const round = result.history.find((r) => r.kind === 'round' && r.round === 1)!;
  if (round.kind !== 'round') throw new Error('unreachable');
  // Down: the whole emulator LoRA state to 2 clients (train) + 2 (eval); up: the adapter part only.
  assert.ok(round.bytesUp < round.bytesDown / 4, `uploads carry the adapter layers only (${round.bytesUp} vs ${round.bytesDown})`);
  assert.ok(result.cost.trainableParameters * 4 < result.cost.adapterMessageBytes, 'trainable = the adapter part');
  assert.equal(result.best?.key, 'test_loss');
});

test('FedOT: the emulator LoRA is aligned once and then never changes; the adapter does', async () => {
  const run = new FedTrainer(options(outDir(), { algorithm: 'fedot', emuL: 1, emuR: 4, dropRate: 0.5, align: { ...align, use: true } }, 2));
  const aligned: number[] = [];
  run.on('align', (e) => void aligned.push(e.round));
  const result = await run.run();
  assert.equal(aligned, [0], 'one-shot alignment before round 1 only');
  const evals = result.history.filter((r): r is EvalRecord => r.kind === 'eval');
  assert.ok(at(evals, 2, 'AdapFu').value < at(evals, 0, 'AdapFu').value);
  assert.ok(at(evals, 2, 'AdapEmu').value < at(evals, 0, 'AdapEmu').value);
});

test('a FedBiOT run resumes from its checkpoint with the aligned emulator and the adapter layout', async () => {
  const out = outDir();
  const opts = (resume: boolean): FedTrainerOptions => ({
    ...options(out, { algorithm: 'fedbiot', adapterLayers: 1, dropRate: 0.5, align }, 2),
    output: { dir: out, checkpointEvery: 1, resume, report: false },
  });
  const first = new FedTrainer(opts(false));
  const controller = new AbortController();
  first.on('checkpoint', (e) => {
    if (e.round === 1) controller.abort();
  });
  await first.run({ signal: controller.signal }).then(() => assert.unreachable('should abort'), (e: Error) => assert.match(e.message, /aborted/));
  const resumed = new FedTrainer(opts(true));
  const aligned: number[] = [];
  resumed.on('align', (e) => void aligned.push(e.round));
  const result = await resumed.run();
  assert.equal(aligned, [2], 'no second pre-alignment: the emulator LoRA comes from the checkpoint');
  assert.is(result.rounds, 2);
  const evals = result.history.filter((r): r is EvalRecord => r.kind === 'eval');
  assert.ok(at(evals, 2, 'AdapFu').value < at(evals, 0, 'AdapFu').value);
});

test('FedOT with full-weight adapter layers: clients train and send layers 0 and 4 whole', async () => {
  const lora = await new FedTrainer(options(outDir(), { algorithm: 'fedot', emuL: 1, emuR: 4, dropRate: 0.5 }, 1)).run();
  const run = new FedTrainer(options(outDir(), { algorithm: 'fedot', emuL: 1, emuR: 4, dropRate: 0.5, adapterTraining: 'full' }, 2));
  const result = await run.run();
  // stories260K block: q, k, v, o, gate, up, down projections and two norms.
  assert.ok(result.cost.trainableParameters > 10 * lora.cost.trainableParameters, `${result.cost.trainableParameters} full-weight parameters vs ${lora.cost.trainableParameters} LoRA`);
  const saved = result.adapter!.state.manifest.map((e) => e.name);
  assert.ok(saved.some((n) => /layers\.0\.self_attn\.q_proj\.weight$/.test(n)), 'layer 0 weights are part of the state');
  assert.ok(saved.some((n) => /layers\.2\.mlp\.down_proj\.weight$/.test(n)), 'layer 2 (emulator model index of full layer 4) too');
  const evals = result.history.filter((r): r is EvalRecord => r.kind === 'eval');
  assert.ok(at(evals, 2, 'AdapFu').value < at(evals, 0, 'AdapFu').value, 'the full model improves with the trained layers');
  assert.ok(at(evals, 2, 'AdapEmu').value < at(evals, 0, 'AdapEmu').value);
});

test('offsite options are validated with the option names', async () => {
  const out = outDir();
  assert.throws(() => new FedTrainer(options(out, { algorithm: 'fedbiot', dropRate: 1 })), /offsite\.dropRate/);
  assert.throws(() => new FedTrainer(options(out, { algorithm: 'fedx' as 'fedot' })), /offsite\.algorithm/);
  let caught: unknown;
  try {
    await new FedTrainer(options(out, { algorithm: 'fedbiot', adapterLayers: 5 })).run();
  } catch (e) {
    caught = e;
  }
  assert.match(String((caught as Error)?.message), /adapterLayers|adapter_layers|emu_r/);
});

test.run();
