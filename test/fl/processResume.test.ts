// Resume with clients in child processes (federate.clientProcesses): each child hands its state (data
// cursor, optimizer moments, upload error-feedback residual) to the parent with every update, the run
// checkpoints it, and a resumed run gives it back to the new children, so a run stopped after round 2 and
// resumed matches an uninterrupted one bit for bit.
import { rmSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, type FedTrainerOptions, type RunRecord } from '../../lib/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

/** Three GSM8K clients in child processes, int4 uploads with error feedback, moments kept across rounds. */
function options(out: string, totalRounds: number, resume: boolean): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, splits: [0.7, 0.15, 0.15], tokLen: 320 },
    federate: { clientNum: 3, totalRounds, sampleClients: 2, seed: 11, clientProcesses: true },
    adapter: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 4, batchSize: 4, keepOptimizerState: true, optimizer: { type: 'adamw', lr: 6e-3 } },
    eval: { every: 0 },
    comm: { codec: 'int4', errorFeedback: true },
    output: { dir: out, checkpointEvery: 1, resume, report: false },
  };
}

/** [round, client, loss] of every local update, by round then client (child processes report in the order they finish). */
const trainLosses = (h: RunRecord[]) => h.flatMap((r) => (r.kind === 'train' ? [[r.round, r.client, r.loss] as const] : []))
  .sort((a, b) => a[0] - b[0] || a[1] - b[1]);

const resume = suite<{ dirs: string[] }>('FedTrainer resume with federate.clientProcesses', { dirs: [] });
resume.after((ctx) => {
  for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
});

resume('should match an uninterrupted run bit for bit :: int4, errorFeedback, kept optimizer moments', async (ctx) => {
  const [wholeDir, out] = [tempDir('fsllm-procs-'), tempDir('fsllm-procs-')];
  ctx.dirs.push(wholeDir, out);
  const whole = await new FedTrainer(options(wholeDir, 4, false)).run();
  await new FedTrainer(options(out, 2, false)).run();
  const resumed = await new FedTrainer(options(out, 4, true)).run();
  assert.is(resumed.rounds, 4);
  assert.is(resumed.clientProcesses.length, 3, 'the resumed run ran its clients in child processes');
  const [a, b] = [trainLosses(resumed.history), trainLosses(whole.history)];
  assert.is(a.length, 8);
  assert.equal(a, b, 'every round\'s train losses');
  assert.equal(Array.from(resumed.adapter!.state.data), Array.from(whole.adapter!.state.data), 'bit-identical final adapter');
});

resume.run();
