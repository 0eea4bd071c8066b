// A held-out split with no examples (FS-LLM's own Dolly configs have data.splits [0.99, 0.0, 0.01]), on
// stories260K and the embedded Dolly sample: the run says once that the split is empty, no NaN reaches the
// console, the records or the report, and the best round and early stopping follow the split that has data.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { showFedProgress } from '../../lib/cli/fedProgress.js';
import { FedTrainer, type EvalRecord, type FedTrainerOptions } from '../../lib/index.js';
import { FsllmError } from '../../lib/errors/index.js';
import { expectError } from '../native/_support.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { DOLLY_SAMPLE, tempDir } from './_support.js';

type Splits = [number, number, number];

/** Two IID clients of the Dolly sample (160 records each), two short rounds, evaluated every round. */
function dolly(out: string, splits: Splits, evaluation: FedTrainerOptions['eval'] = {}): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'file', file: DOLLY_SAMPLE, keys: { input: 'context', output: 'response' }, splitter: 'iid', splits, tokLen: 512 },
    federate: { clientNum: 2, totalRounds: 2, seed: 3 },
    adapter: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 2, batchSize: 2, optimizer: { type: 'adamw', lr: 3e-3 } },
    eval: { every: 1, ...evaluation },
    output: { dir: out, checkpointEvery: 0, report: true },
  };
}

/** What showFedProgress writes to a log (not a TTY). */
function consoleOf(run: FedTrainer): () => string {
  let text = '';
  showFedProgress(run, { isTTY: false, write: (s: string) => void (text += s) } as unknown as NodeJS.WriteStream);
  return () => text;
}

const empty = suite<{ dirs: string[] }>('FedTrainer :: empty held-out split', { dirs: [] });
empty.after(({ dirs }) => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

empty('should say once that val is empty and show no NaN anywhere :: data.splits [0.99, 0.0, 0.01]', async ({ dirs }) => {
  const out = tempDir('fsllm-empty-');
  dirs.push(out);
  const run = new FedTrainer(dolly(out, [0.99, 0.0, 0.01]));
  assert.equal(run.options.eval.splits, ['val', 'test'], 'both splits are asked for');
  const warnings: string[] = [];
  const evals: EvalRecord[] = [];
  run.on('warning', (m) => void warnings.push(m));
  run.on('eval', (e) => void evals.push(...e.records));
  const logged = consoleOf(run);
  const result = await run.run();

  assert.equal(warnings.filter((w) => /split/.test(w)), ['The val split has no examples on any client (its share in data.splits is 0, or too small for this data); it is not evaluated']);
  assert.ok(evals.length > 0 && evals.every((r) => r.split === 'test'), 'no val record is reported');
  assert.ok(result.history.every((r) => r.kind !== 'eval' || r.split === 'test'), 'nor written to metrics.jsonl');
  assert.ok(evals.filter((r) => r.target === 'global').every((r) => Number.isFinite(r.value) && r.count > 0));
  assert.equal(result.best?.key, 'test_loss');
  const lines = logged().trim().split('\n');
  assert.is(lines.filter((l) => /^round \d\/2 {2}train loss \d+\.\d+ {2}test loss \d+\.\d+ /.test(l)).length, 2, logged());
  assert.not.match(logged(), /NaN|val loss/);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.not.match(html, /NaN|on the val split/);
  assert.match(html, /Eval loss on the test split, per round/);
});

empty('should pick the best round and stop early on the split that has data, and say so :: eval.bestKey val_loss', async ({ dirs }) => {
  const out = tempDir('fsllm-empty-');
  dirs.push(out);
  // val has a share, but too small for 160 records a client: no example lands in it.
  const run = new FedTrainer(dolly(out, [0.98, 0.001, 0.019], { bestKey: 'val_loss', earlyStop: { patience: 1, delta: 10 } }));
  const warnings: string[] = [];
  run.on('warning', (m) => void warnings.push(m));
  const result = await run.run();
  const fallback = warnings.filter((w) => /eval\.bestKey/.test(w));
  assert.equal(fallback, ['eval.bestKey is val_loss, but the val split has no examples; the best round and early stopping follow the test loss instead']);
  // No round beats round 0 by 10 nats: the test loss stops the run after one evaluation without improvement.
  assert.is(result.reason, 'earlyStop');
  assert.is(result.rounds, 1);
  assert.equal(result.best?.round, 0);
  assert.equal(result.best?.key, 'test_loss');
  const start = result.history.find((r): r is EvalRecord => r.kind === 'eval' && r.round === 0 && r.target === 'global' && r.split === 'test')!;
  assert.is(result.best?.value, start.value);
});

empty('should refuse data with nothing to evaluate before training, naming data.splits :: [1, 0, 0]', async ({ dirs }) => {
  const out = tempDir('fsllm-empty-');
  dirs.push(out);
  const run = new FedTrainer(dolly(out, [1, 0, 0]));
  let rounds = 0;
  run.on('roundStart', () => void (rounds += 1));
  await expectError(() => run.run(), FsllmError, 'ERR_FSLLM_CONFIG', /data\.splits: \[1, 0, 0\] leaves no example in the val and test splits of any client, so nothing can be evaluated/);
  assert.is(rounds, 0);
});

empty('should refuse the rouge task before training when no client has a test record :: data.splits [0.9, 0.1, 0]', async ({ dirs }) => {
  const out = tempDir('fsllm-empty-');
  dirs.push(out);
  const run = new FedTrainer(dolly(out, [0.9, 0.1, 0], { tasks: [{ type: 'rouge', limit: 1 }] }));
  let rounds = 0;
  run.on('roundStart', () => void (rounds += 1));
  await expectError(() => run.run(), FsllmError, 'ERR_FSLLM_CONFIG', /eval\.tasks: rouge scores each client's test split, but data\.splits: \[0\.9, 0\.1, 0\] leaves no example in the test split of any client/);
  assert.is(rounds, 0);
});

empty.run();
