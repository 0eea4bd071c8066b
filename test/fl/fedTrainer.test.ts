// FedTrainer end to end on stories260K and real GSM8K data: scenarios, outputs, events, resume, errors.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { binding, FedTrainer, type FedTrainerOptions, type EvalRecord, type RunRecord } from '../../lib/index.js';
import { expectError } from '../native/_support.js';
import { FsllmError } from '../../lib/errors/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const dirs: string[] = [];
function outDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Three IID GSM8K clients with little data each, trained long enough for a lone client to overfit. */
function gsm8k(out: string, overrides: Partial<FedTrainerOptions> & { scenario?: 'fed' | 'local' | 'global' } = {}): FedTrainerOptions {
  const { scenario, ...rest } = overrides;
  return {
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, splits: [0.7, 0.15, 0.15], tokLen: 320 },
    federate: { clientNum: 3, totalRounds: 6, seed: 5, scenario: scenario ?? 'fed' },
    adapter: { r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    train: { localSteps: 8, batchSize: 4, optimizer: { type: 'adamw', lr: 6e-3, weightDecay: 0 } },
    eval: { every: 2 },
    output: { dir: out, checkpointEvery: 0, report: false },
    ...rest,
  };
}

const finalGlobal = (final: EvalRecord[], split: 'val' | 'test') => final.find((e) => e.target === 'global' && e.split === split)!.value;
const meanClient = (final: EvalRecord[], split: 'val' | 'test') => {
  const own = final.filter((e) => e.target !== 'global' && e.split === split && e.metric === 'loss');
  return own.reduce((s, e) => s + e.value, 0) / own.length;
};

test('fed beats the mean local client on held-out loss, and so does pooling all data (global)', async () => {
  const fed = await new FedTrainer(gsm8k(outDir())).run();
  const local = await new FedTrainer(gsm8k(outDir(), { scenario: 'local' })).run();
  const global = await new FedTrainer(gsm8k(outDir(), { scenario: 'global' })).run();
  const fedLoss = meanClient(fed.final, 'test');
  const localLoss = meanClient(local.final, 'test');
  const globalLoss = finalGlobal(global.final, 'test');
  console.log(`  held-out test loss: fed ${fedLoss.toFixed(4)}, mean local ${localLoss.toFixed(4)}, global ${globalLoss.toFixed(4)}`);
  assert.ok(fedLoss < localLoss, `fed ${fedLoss} should beat local ${localLoss}`);
  // Pooling the clients' data, by averaging or by moving it, beats training each client alone.
  assert.ok(globalLoss < localLoss, `global ${globalLoss} should beat local ${localLoss}`);
  // Every scenario trained: the loss fell from round 0 (the base model).
  for (const r of [fed, local, global]) {
    const start = r.history.find((h): h is EvalRecord => h.kind === 'eval' && h.round === 0 && h.target === 'global' && h.split === 'test')!;
    assert.ok(finalGlobal(r.final, 'test') < start.value, 'held-out loss fell');
  }
  assert.is(local.adapter, null);
  assert.is(local.clientAdapters.size, 3);
  assert.ok(fed.adapter && fed.clientAdapters.size === 0);
});

test('a run writes config, metrics, cost, adapter and report; events fire in round order', async () => {
  const out = outDir();
  const trainer = new FedTrainer(gsm8k(out, {
    federate: { clientNum: 3, totalRounds: 2, sampleClients: 2, seed: 1 },
    eval: { every: 1 },
    output: { dir: out, checkpointEvery: 1, report: true },
  }));
  const events: string[] = [];
  for (const name of ['roundStart', 'clientStart', 'clientEnd', 'aggregate', 'eval', 'roundEnd', 'checkpoint', 'done'] as const) {
    trainer.on(name, () => void events.push(name));
  }
  let steps = 0;
  trainer.on('step', () => void (steps += 1));
  const result = await trainer.run();
  const round1 = events.slice(events.indexOf('roundStart'), events.indexOf('checkpoint') + 1);
  // clientEnd fires when the server has the update, which may be after the next client's turn began.
  assert.equal(round1.slice(1, 5).sort(), ['clientEnd', 'clientEnd', 'clientStart', 'clientStart']);
  assert.is(round1[1], 'clientStart');
  assert.equal([round1[0], ...round1.slice(5)], ['roundStart', 'aggregate', 'eval', 'roundEnd', 'checkpoint']);
  assert.is(events.at(-1), 'done');
  assert.is(steps, 2 * 2 * 8);
  for (const f of ['config.json', 'metrics.jsonl', 'cost.json', 'report.html', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'checkpoint.json']) {
    assert.ok(existsSync(path.join(out, f)), `${f} written`);
  }
  const lines = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunRecord);
  assert.equal(lines, result.history);
  assert.is(lines.filter((r) => r.kind === 'train').length, 4);
  assert.is(lines.filter((r) => r.kind === 'round').length, 2);
  const rounds = lines.filter((r) => r.kind === 'round');
  // Each round sends the adapter to 2 clients and all 3 for evaluation, and receives 2 updates.
  for (const r of rounds) {
    if (r.kind !== 'round') continue;
    assert.ok(r.bytesDown > 5 * result.cost.adapterMessageBytes && r.bytesDown < 6 * result.cost.adapterMessageBytes, `down ${r.bytesDown}`);
    assert.ok(r.bytesUp > 2 * result.cost.adapterMessageBytes && r.bytesUp < 3 * result.cost.adapterMessageBytes, `up ${r.bytesUp}`);
  }
  const cost = JSON.parse(readFileSync(path.join(out, 'cost.json'), 'utf8'));
  assert.equal(cost, result.cost);
  assert.ok(cost.trainableParameters > 0 && cost.adapterMessageBytes > 4 * cost.trainableParameters);
  assert.ok(cost.meanMsPerStep > 0 && cost.peakRssBytes > 0);
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.is(config.federate.sampleClients, 2);
  assert.is(config.train.optimizer.lr, 6e-3);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.ok((html.match(/<svg/g) ?? []).length >= 3);
  // The saved adapter is the final global adapter.
  const again = await new FedTrainer(gsm8k(outDir(), { federate: { clientNum: 3, totalRounds: 2, sampleClients: 2, seed: 1 }, eval: { every: 1 } })).run();
  assert.equal(Array.from(again.adapter!.state.data), Array.from(result.adapter!.state.data), 'runs are reproducible');
});

test('resume after an abort gives the same adapter and metrics as an uninterrupted run', async () => {
  const options = (out: string, resume: boolean): FedTrainerOptions => gsm8k(out, {
    federate: { clientNum: 3, totalRounds: 4, sampleClients: 2, seed: 9 },
    adapter: { r: 4, alpha: 8, dropout: 0.1, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 5, batchSize: 4, keepOptimizerState: true, optimizer: { type: 'adamw', lr: 3e-3 }, scheduler: { type: 'cosine', warmupSteps: 2 }, fedprox: { mu: 0.1 } },
    eval: { every: 1 },
    output: { dir: out, checkpointEvery: 1, resume, report: false },
  });
  const whole = await new FedTrainer(options(outDir(), false)).run();

  const out = outDir();
  const first = new FedTrainer(options(out, false));
  const controller = new AbortController();
  first.on('checkpoint', (e) => {
    if (e.round === 2) controller.abort();
  });
  await expectError(() => first.run({ signal: controller.signal }), FsllmError, 'ERR_FSLLM_ABORTED', /aborted in round 3/);
  const resumed = await new FedTrainer(options(out, true)).run();
  assert.is(resumed.rounds, 4);
  assert.equal(Array.from(resumed.adapter!.state.data), Array.from(whole.adapter!.state.data), 'bit-identical final adapter');
  // Timings differ between runs, and so do the few bytes of the timing figures inside each upload's header.
  const stable = (h: RunRecord[]) => h.map((r) => (r.kind === 'round' ? { ...r, ms: 0, rssBytes: 0, bytesUp: Math.round(r.bytesUp / 1000) } : r.kind === 'train' ? { ...r, msPerStep: 0 } : r));
  assert.equal(stable(resumed.history), stable(whole.history));
});

test('early stop ends the run when the held-out loss stops improving', async () => {
  const result = await new FedTrainer(gsm8k(outDir(), {
    train: { localSteps: 2, batchSize: 2, optimizer: { type: 'sgd', lr: 1e-4 } },
    // No round can beat round 0 by 10 nats: the run stops after `patience` evaluations.
    eval: { every: 1, earlyStop: { patience: 2, delta: 10 } },
  })).run();
  assert.is(result.reason, 'earlyStop');
  assert.is(result.rounds, 2, 'no improvement at rounds 1 and 2 over round 0');
  assert.equal(result.best?.round, 0);
});

test('bad options and unsupported modes are coded errors that name the option', async () => {
  const out = outDir();
  await expectError(() => new FedTrainer({ ...gsm8k(out), federate: { clientNum: 0 } }), FsllmError, 'ERR_FSLLM_CONFIG', /federate\.clientNum/);
  await expectError(() => new FedTrainer({ ...gsm8k(out), train: { optimizer: { type: 'adamw', lr: -1 } } }), FsllmError, 'ERR_FSLLM_CONFIG', /train\.optimizer\.lr/);
  await expectError(() => new FedTrainer({ ...gsm8k(out), federate: { totalRounds: 2, clientnum: 3 } as never }), FsllmError, 'ERR_FSLLM_CONFIG', /did you mean federate\.clientNum/);
  await expectError(() => new FedTrainer({ ...gsm8k(out), federate: { mode: 'distributed' }, distribute: { host: '0.0.0.0' } }).run(), FsllmError, 'ERR_FSLLM_CONFIG', /distribute\.tls: .*TLS is required/);
  await expectError(
    () => new FedTrainer({ ...gsm8k(out), data: { type: 'gsm8k', root: SAMPLE_DATASETS, splitter: 'meta' } }).run(),
    FsllmError, 'ERR_FSLLM_CONFIG', /data\.splitter: "meta" splits by category/,
  );
});

// With a CUDA build this run would train on the GPU; test/native/device.test.ts covers that case.
if (!binding().runtimeInfo().cudaAvailable) test('a run on a device this libtorch lacks fails before training, naming the device', async () => {
  const run = new FedTrainer({ ...gsm8k(outDir()), model: { path: STORIES_BIN, device: 'cuda' } });
  await expectError(() => run.run(), FsllmError, 'ERR_FSLLM_UNSUPPORTED', /device 'cuda' is not available/);
});

test.run();
