// Personalised FL on adapters in real federated runs (embedded model, GSM8K sample): Ditto and pFedMe clients
// keep adapters of their own, which evaluation reports next to the global one (variant 'personal', per client
// and their mean), which fit each client's own data better than the global adapter does, and which travel in
// the checkpoint: in-process and in client processes, a stopped and resumed run matches an uninterrupted one.
import { rmSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, readCheckpoint, type EvalRecord, type FedTrainerOptions, type PersonalizationOptions, type RunRecord } from '../../lib/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

function options(out: string, personalization: PersonalizationOptions, totalRounds: number, extra: { resume?: boolean; processes?: boolean } = {}): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    // Dirichlet over GSM8K's answer lengths is not a category split; iid keeps the sample usable for 3 clients.
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, splits: [0.7, 0.15, 0.15], tokLen: 256 },
    federate: { clientNum: 3, totalRounds, seed: 5, clientProcesses: extra.processes ?? false },
    adapter: { r: 4, alpha: 8, dropout: 0 },
    train: { localSteps: 3, batchSize: 4, optimizer: { type: 'adamw', lr: 5e-3 } },
    eval: { every: 1, splits: ['test'] },
    personalization,
    output: { dir: out, checkpointEvery: 1, resume: extra.resume ?? false, report: false },
  };
}

const evals = (h: RunRecord[], round: number, variant?: string) =>
  h.filter((r): r is EvalRecord => r.kind === 'eval' && r.round === round && r.split === 'test' && r.metric === 'loss' && r.variant === variant);
const loss = (h: RunRecord[], round: number, target: EvalRecord['target'], variant?: string) => evals(h, round, variant).find((r) => r.target === target)?.value;
// Sorted: client processes report in the order they finish.
const trainLosses = (h: RunRecord[]) => h.flatMap((r) => (r.kind === 'train' ? [[r.round, r.client, r.loss]] : [])).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);

const runs = suite<{ dirs: string[] }>('personalised FL', { dirs: [] });
runs.after((ctx) => {
  for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
});

const METHODS: PersonalizationOptions[] = [
  { method: 'ditto', lambda: 0.1, localSteps: 4, personalLr: 5e-3 },
  { method: 'pfedme', lambda: 5, innerSteps: 3, localSteps: 3, personalLr: 5e-3 },
];

for (const personalization of METHODS) {
  runs(`${personalization.method}: personal adapters are reported per client, beat the global adapter on their own data, and are checkpointed`, async (ctx) => {
    const out = tempDir();
    ctx.dirs.push(out);
    const r = await new FedTrainer(options(out, personalization, 3)).run();
    const h = r.history;
    assert.is(evals(h, 0, 'personal').length, 0, 'nothing personal before the first round');
    const personal = evals(h, 3, 'personal');
    assert.equal(personal.map((e) => e.target).sort(), [1, 2, 3, 'global', 'mean'].sort());
    const [globalStart, globalEnd] = [loss(h, 0, 'mean')!, loss(h, 3, 'mean')!];
    const personalEnd = loss(h, 3, 'mean', 'personal')!;
    console.log(`  ${personalization.method}: mean client test loss, global adapter ${globalStart.toFixed(4)} -> ${globalEnd.toFixed(4)}, personal ${personalEnd.toFixed(4)}`);
    assert.ok(globalEnd < globalStart - 0.05, `the global adapter trains: ${globalStart} -> ${globalEnd}`);
    assert.ok(personalEnd < globalStart - 0.05, `the personal adapters train: ${globalStart} -> ${personalEnd}`);
    assert.ok(personalEnd !== globalEnd, 'personal and global adapters differ');
    const checkpoint = (await readCheckpoint(out))!;
    for (const id of [1, 2, 3]) {
      const own = checkpoint.clients.get(id)!.personal;
      assert.ok(own && own.length === r.adapter!.state.data.length, `client ${id}'s personal adapter is checkpointed`);
      assert.ok(own!.some((v, i) => v !== r.adapter!.state.data[i]), `client ${id}'s personal adapter is its own`);
    }
  });
}

for (const processes of [false, true]) {
  runs(`ditto resumed after round 2 matches the uninterrupted run (${processes ? 'client processes' : 'in-process clients'})`, async (ctx) => {
    const personalization = METHODS[0]!;
    const [wholeDir, out] = [tempDir(), tempDir()];
    ctx.dirs.push(wholeDir, out);
    const whole = await new FedTrainer(options(wholeDir, personalization, 3, { processes })).run();
    await new FedTrainer(options(out, personalization, 2, { processes })).run();
    const resumed = await new FedTrainer(options(out, personalization, 3, { resume: true, processes })).run();
    assert.equal(trainLosses(resumed.history), trainLosses(whole.history), "every round's train losses");
    assert.equal(evals(resumed.history, 3, 'personal').map((e) => e.value), evals(whole.history, 3, 'personal').map((e) => e.value), 'round 3 personal losses');
    assert.equal(Array.from(resumed.adapter!.state.data), Array.from(whole.adapter!.state.data), 'bit-identical global adapter');
  });
}

runs.run();
