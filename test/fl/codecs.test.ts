// Codecs in a federated run: both directions encoded, bytes counted on the real frames, and the
// quantised run ends near the fp32 one.
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, type FedTrainerOptions, type FedResults } from '../../lib/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function run(comm: FedTrainerOptions['comm']): Promise<FedResults> {
  const out = tempDir('fsllm-codec-');
  dirs.push(out);
  return new FedTrainer({
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, subsample: 0.75, splits: [0.8, 0.1, 0.1], tokLen: 256 },
    federate: { clientNum: 2, totalRounds: 3, seed: 8 },
    adapter: { r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    train: { localSteps: 4, batchSize: 4, optimizer: { type: 'adamw', lr: 3e-3 } },
    eval: { every: 0, splits: ['test'] },
    output: { dir: out, checkpointEvery: 0, report: false },
    ...(comm ? { comm } : {}),
  }).run();
}

const trainingBytes = (r: FedResults) => r.history.reduce((n, h) => n + (h.kind === 'round' && h.round < 3 ? h.bytesUp + h.bytesDown : 0), 0);
const finalLoss = (r: FedResults) => r.final.find((e) => e.target === 'global' && e.split === 'test')!.value;

test('int4 with error feedback and DEFLATE moves several times fewer bytes and ends near fp32', async () => {
  const fp32 = await run(undefined);
  const int4 = await run({ codec: 'int4', errorFeedback: true, compression: 'deflate' });
  const ratio = trainingBytes(fp32) / trainingBytes(int4);
  const delta = Math.abs(finalLoss(int4) - finalLoss(fp32)) / finalLoss(fp32);
  console.log(`  bytes ratio ${ratio.toFixed(2)}, final loss ${finalLoss(fp32).toFixed(4)} (fp32) vs ${finalLoss(int4).toFixed(4)} (int4), delta ${(delta * 100).toFixed(2)}%`);
  assert.ok(ratio > 4, `bytes ratio ${ratio}`);
  assert.ok(delta < 0.03, `relative loss difference ${delta}`);
  // The average is not the fp32 one bit for bit: quantisation really happened in both directions.
  assert.not.equal(Array.from(int4.adapter!.state.data.subarray(0, 64)), Array.from(fp32.adapter!.state.data.subarray(0, 64)));
});

test('fp16 halves the bytes of the adapter messages', async () => {
  const fp32 = await run(undefined);
  const fp16 = await run({ codec: 'fp16' });
  const ratio = trainingBytes(fp32) / trainingBytes(fp16);
  assert.ok(ratio > 1.6 && ratio < 2.05, `fp16 ratio ${ratio}`);
});

test.run();
