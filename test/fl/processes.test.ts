// Clients in their own processes (real child processes over IPC): same results as in one process, and in
// closed-model tuning a client process never maps the full model.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, type FedTrainerOptions } from '../../lib/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const dirs: string[] = [];
function outDir(): string {
  const d = tempDir('fsllm-procs-');
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(out: string, clientProcesses: boolean, offsite?: FedTrainerOptions['offsite']): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, subsample: 0.55, splits: [0.8, 0.1, 0.1], tokLen: 256 },
    federate: { clientNum: 2, totalRounds: 2, seed: 6, clientProcesses },
    adapter: { r: 4, alpha: 8, dropout: 0.1, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 3, batchSize: 2, optimizer: { type: 'adamw', lr: 3e-3 } },
    eval: { every: 1, splits: ['test'] },
    output: { dir: out, checkpointEvery: 0, report: false },
    ...(offsite ? { offsite } : {}),
  };
}

test('clients in child processes give bit-identical results to clients in one process', async () => {
  const inProcess = await new FedTrainer(options(outDir(), false)).run();
  const children = await new FedTrainer(options(outDir(), true)).run();
  assert.equal(Array.from(children.adapter!.state.data), Array.from(inProcess.adapter!.state.data));
  assert.is(children.clientProcesses.length, 2);
  const losses = (h: typeof inProcess.history) => h.filter((r) => r.kind === 'eval').map((r) => (r.kind === 'eval' ? r.value : 0));
  assert.equal(losses(children.history), losses(inProcess.history));
});

test('FedBiOT with client processes: each process is given and loads only the emulator, never the full model', async () => {
  const result = await new FedTrainer(options(outDir(), true, {
    algorithm: 'fedbiot', adapterLayers: 1, dropRate: 0.5,
    align: { data: { type: 'dolly-15k', subsample: 0.35 }, preSteps: 5, stepsPerRound: 2 },
  })).run();
  const full = path.resolve(STORIES_BIN);
  assert.is(result.clientProcesses.length, 2);
  for (const c of result.clientProcesses) {
    assert.is(c.numLayers, 3, 'emulator: 2 kept layers + 1 adapter layer of 5');
    assert.is(c.modelPath, path.join(result.outDir, 'emulator'));
    assert.ok(c.givenPaths.length > 0);
    for (const p of c.givenPaths) {
      assert.not.ok(path.resolve(p) === full || path.resolve(p) === path.dirname(full), `client ${c.id} was given ${p}`);
    }
  }
  // The emulator folder holds no tensor of a dropped layer (checked byte for byte in test/emulator).
  const { readSafetensorsHeader } = await import('../../lib/formats/index.js');
  const header = await readSafetensorsHeader(path.join(result.outDir, 'emulator', 'model.safetensors'));
  assert.ok(header.tensors.every((t) => !/layers\.[3-9]\./.test(t.name)), 'three blocks only');
});

test.run();
