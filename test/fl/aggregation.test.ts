// Aggregation strategies in real federated runs on the embedded model: a server optimiser (FedAdam) after a
// robust rule trains and its moments travel in the checkpoint (a run stopped after round 2 and resumed matches
// an uninterrupted one bit for bit); Krum reports what it kept; a user's own Aggregator replaces the built-in one.
import { rmSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, fedAvg, type Aggregator, type AggregatorOptions, type EvalRecord, type FedTrainerOptions, type KrumPick, type RunRecord } from '../../lib/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

function options(out: string, aggregator: AggregatorOptions, totalRounds = 3, resume = false): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, splits: [0.8, 0.1, 0.1], tokLen: 256 },
    federate: { clientNum: 5, totalRounds, seed: 3 },
    adapter: { r: 4, alpha: 8, dropout: 0 },
    train: { localSteps: 3, batchSize: 4, optimizer: { type: 'adamw', lr: 5e-3 } },
    eval: { every: 2, splits: ['test'] },
    aggregator,
    output: { dir: out, checkpointEvery: 1, resume, report: false },
  };
}

const testLoss = (h: RunRecord[], round: number) =>
  h.find((r): r is EvalRecord => r.kind === 'eval' && r.round === round && r.target === 'global' && r.split === 'test' && r.metric === 'loss')!.value;
const trainLosses = (h: RunRecord[]) => h.filter((r) => r.kind === 'train').map((r) => r.kind === 'train' && [r.round, r.client, r.loss]);

const runs = suite<{ dirs: string[] }>('aggregation in federated runs', { dirs: [] });
runs.after((ctx) => {
  for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
});

runs('trimmed mean + FedAdam trains, and resumes from its checkpoint bit for bit (server moments saved)', async (ctx) => {
  const aggregator: AggregatorOptions = { rule: 'trimmedMean', trimRatio: 0.2, serverOptimizer: { type: 'fedadam', lr: 3e-3 } };
  const [wholeDir, out] = [tempDir(), tempDir()];
  ctx.dirs.push(wholeDir, out);
  const rules: string[] = [];
  const run = new FedTrainer(options(wholeDir, aggregator, 4));
  run.on('aggregate', (e) => rules.push(e.rule));
  const whole = await run.run();
  assert.equal([...new Set(rules)], ['trimmedMean+fedadam']);
  const [start, end] = [testLoss(whole.history, 0), testLoss(whole.history, 4)];
  console.log(`  trimmedMean+fedadam: test loss ${start.toFixed(4)} -> ${end.toFixed(4)}`);
  assert.ok(end < start - 0.05, `test loss ${start} -> ${end}`);
  await new FedTrainer(options(out, aggregator, 2)).run();
  const resumed = await new FedTrainer(options(out, aggregator, 4, true)).run();
  assert.equal(trainLosses(resumed.history), trainLosses(whole.history), "every round's train losses");
  assert.equal(Array.from(resumed.adapter!.state.data), Array.from(whole.adapter!.state.data), 'bit-identical final adapter');
});

runs('Multi-Krum reports the clients it kept each round', async (ctx) => {
  const out = tempDir();
  ctx.dirs.push(out);
  const picks: KrumPick[] = [];
  const run = new FedTrainer(options(out, { rule: 'multiKrum', byzantine: 1, krumSelect: 3 }, 2));
  run.on('krum', (p) => picks.push(p));
  await run.run();
  assert.equal(picks.map((p) => p.round), [1, 2]);
  for (const p of picks) {
    assert.is(p.kept.length, 3);
    assert.equal([...p.scores.keys()].sort(), [1, 2, 3, 4, 5]);
    const best = Math.min(...p.scores.values());
    assert.is(p.scores.get(p.kept[0]!), best, 'the best score is kept first');
  }
});

runs('a user-supplied Aggregator decides the global adapter', async (ctx) => {
  const out = tempDir();
  ctx.dirs.push(out);
  const seen: number[][] = [];
  // Keeps the global adapter as it was: whatever the clients send, nothing changes.
  const frozen: Aggregator = {
    name: 'frozen',
    begin(round, global) {
      const inner = fedAvg.begin(round, global);
      const clients: number[] = [];
      return {
        add: async (u) => { clients.push(u.client); await inner.add(u); },
        result: async () => { seen.push(clients); await inner.result(); return global.slice(); },
      };
    },
  };
  const run = new FedTrainer(options(out, {}, 2), { aggregator: frozen });
  const rules: string[] = [];
  run.on('aggregate', (e) => rules.push(e.rule));
  const r = await run.run();
  assert.equal(rules, ['frozen', 'frozen']);
  assert.equal(seen.map((c) => c.length), [5, 5]);
  assert.is(testLoss(r.history, 2), testLoss(r.history, 0), 'the global adapter never moved');
});

runs.run();
