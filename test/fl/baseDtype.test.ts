// A federated run on a base stored below fp32 (model.baseDtype): the embedded model's blocks held as q4
// (its 172-wide MLP rows padded to whole blocks) and as bf16 still train, and end within a few percent of
// the fp32 base's held-out loss after the same rounds (4 bits cost a 260K-parameter model more than the
// large ones QLoRA measured: 5% allowed for q4, 1% for bf16); cost.json says how the base was stored.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, type BaseDtype, type EvalRecord, type FedResults } from '../../lib/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function run(baseDtype: BaseDtype): Promise<FedResults> {
  const out = tempDir(`fsllm-base-${baseDtype}-`);
  dirs.push(out);
  return new FedTrainer({
    model: { path: STORIES_BIN, baseDtype },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, subsample: 0.75, splits: [0.8, 0.1, 0.1], tokLen: 256 },
    federate: { clientNum: 2, totalRounds: 3, seed: 8 },
    adapter: { r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'v_proj', 'down_proj'] },
    train: { localSteps: 4, batchSize: 4, optimizer: { type: 'adamw', lr: 3e-3 } },
    eval: { every: 3, splits: ['test'] },
    output: { dir: out, checkpointEvery: 0, report: false },
  }).run();
}

const testLoss = (r: FedResults, round: number) =>
  r.history.find((h): h is EvalRecord => h.kind === 'eval' && h.round === round && h.target === 'global' && h.split === 'test' && h.metric === 'loss')!;

test('q4 and bf16 bases train and end within 5% and 1% of the fp32 base', async () => {
  const fp32 = await run('fp32');
  for (const [dtype, within] of [['q4', 0.05], ['bf16', 0.01]] as const) {
    const low = await run(dtype);
    const [start, end] = [testLoss(low, 0).value, testLoss(low, 3).value];
    assert.ok(end < start - 0.05, `${dtype}: test loss ${start} -> ${end}`);
    const delta = Math.abs(end - testLoss(fp32, 3).value) / testLoss(fp32, 3).value;
    console.log(`  ${dtype}: test loss ${start.toFixed(4)} -> ${end.toFixed(4)} (fp32 base ${testLoss(fp32, 0).value.toFixed(4)} -> ${testLoss(fp32, 3).value.toFixed(4)}, ${(delta * 100).toFixed(2)}%)`);
    assert.ok(delta < within, `${dtype}: ${delta}`);
    const cost = JSON.parse(readFileSync(path.join(low.outDir, 'cost.json'), 'utf8'));
    assert.is(cost.baseDtype, dtype);
    assert.ok(cost.baseBytesPerParam < (dtype === 'q4' ? 2.5 : 3), `${dtype}: ${cost.baseBytesPerParam} bytes per parameter`);
  }
  assert.is(JSON.parse(readFileSync(path.join(fp32.outDir, 'cost.json'), 'utf8')).baseBytesPerParam, 4);
});

test.run();
