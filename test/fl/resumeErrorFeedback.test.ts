// Resume with error feedback (issue 12, item 6): the broadcast and upload residuals travel in the checkpoint,
// so a run stopped after round 2 and resumed gives the losses and adapter of an uninterrupted run, bit for bit.
import { rmSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, type FedTrainerOptions, type RunRecord } from '../../lib/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

/** Three GSM8K clients, int4 uploads and broadcasts with error feedback; the round budget varies. */
function options(out: string, totalRounds: number, resume: boolean, compression: 'none' | 'deflate'): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, splits: [0.7, 0.15, 0.15], tokLen: 320 },
    federate: { clientNum: 3, totalRounds, sampleClients: 2, seed: 11 },
    adapter: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 4, batchSize: 4, keepOptimizerState: true, optimizer: { type: 'adamw', lr: 6e-3 } },
    eval: { every: 0 },
    comm: { codec: 'int4', errorFeedback: true, compression },
    output: { dir: out, checkpointEvery: 1, resume, report: false },
  };
}

const trainLosses = (h: RunRecord[]) => h.filter((r) => r.kind === 'train').map((r) => r.kind === 'train' && [r.round, r.client, r.loss]);

const resume = suite<{ dirs: string[] }>('FedTrainer resume with comm.errorFeedback', { dirs: [] });
resume.after((ctx) => {
  for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
});

for (const compression of ['none', 'deflate'] as const) {
  resume(`should match an uninterrupted run bit for bit :: int4, compression ${compression}`, async (ctx) => {
    const [wholeDir, out] = [tempDir(), tempDir()];
    ctx.dirs.push(wholeDir, out);
    const whole = await new FedTrainer(options(wholeDir, 4, false, compression)).run();
    await new FedTrainer(options(out, 2, false, compression)).run();
    const resumed = await new FedTrainer(options(out, 4, true, compression)).run();
    assert.is(resumed.rounds, 4);
    const [a, b] = [trainLosses(resumed.history), trainLosses(whole.history)];
    console.log(`  round-3/4 train losses: uninterrupted ${JSON.stringify(b.slice(4))}, resumed ${JSON.stringify(a.slice(4))}`);
    assert.is(a.length, 8);
    assert.equal(a, b, 'every round\'s train losses');
    assert.equal(Array.from(resumed.adapter!.state.data), Array.from(whole.adapter!.state.data), 'bit-identical final adapter');
  });
}

resume.run();
