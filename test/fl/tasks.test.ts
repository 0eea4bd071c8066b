// Task scores inside the federated loop (eval.tasks), end to end on stories260K and the committed benchmark
// samples: every task is scored on the global adapter in each evaluation round (rouge on each client's
// held-out split, then merged; rougeHeldOut.test.ts checks what it scores), the records carry the task's
// metrics, the best round can follow a task metric, cost.json counts the scoring, and in the local scenario
// each client's own adapter is scored.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FedTrainer, type EvalRecord, type FedTrainerOptions } from '../../lib/index.js';
import { probeIsolation } from '../../lib/eval/sandbox/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

// stories260K reads 512 tokens: one exemplar keeps the GSM8K prompt inside it.
const TASKS: NonNullable<FedTrainerOptions['eval']>['tasks'] = [
  { type: 'gsm8k', shots: 1, limit: 3, maxNewTokens: 12 },
  { type: 'mmlu', shots: 1, limit: 4 },
  { type: 'humaneval', samples: 2, k: [1, 2], limit: 2, maxNewTokens: 12 },
  { type: 'rouge', limit: 3, maxNewTokens: 12 },
];

function options(out: string, evaluation: FedTrainerOptions['eval'], scenario: 'fed' | 'local' = 'fed'): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, subsample: 0.55, splits: [0.8, 0.1, 0.1], tokLen: 256 },
    federate: { clientNum: 2, totalRounds: 2, seed: 4, scenario },
    adapter: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 2, batchSize: 2, optimizer: { type: 'adamw', lr: 3e-3 } },
    eval: { every: 1, splits: ['test'], ...evaluation },
    output: { dir: out, checkpointEvery: 0, report: false },
  };
}

const scores = (history: readonly { kind: string }[]) =>
  history.filter((r): r is EvalRecord => r.kind === 'eval' && (r as EvalRecord).metric.includes('.'));

const loop = suite<{ dirs: string[] }>('FedTrainer :: eval.tasks', { dirs: [] });
loop.after(({ dirs }) => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

loop('should score every task on the global adapter each evaluation round, pick the best round by a task metric, and count the cost', async ({ dirs }) => {
  const out = tempDir('fsllm-tasks-');
  dirs.push(out);
  const isolated = (await probeIsolation()).namespaces !== 'none';
  const tasks = isolated ? TASKS : TASKS!.filter((t) => t.type !== 'humaneval');
  const run = new FedTrainer(options(out, { tasks, bestKey: 'rouge.rougeL' }));
  const progress: string[] = [];
  run.on('taskProgress', (e) => void progress.push(`${e.round} ${e.task} ${e.done}/${e.total}`));
  const result = await run.run();

  const records = scores(result.history);
  const metrics = [...new Set(records.map((r) => r.metric))].sort();
  const expected = ['gsm8k.accuracy', 'mmlu.accuracy', 'mmlu.macroAccuracy', 'rouge.rougeL', ...(isolated ? ['humaneval.pass@1', 'humaneval.pass@2'] : [])].sort();
  assert.equal(metrics, expected);
  for (const metric of expected) {
    const rounds = records.filter((r) => r.metric === metric && r.target === 'global').map((r) => r.round);
    assert.equal(rounds, [0, 1, 2], `${metric} in every evaluation round`);
  }
  for (const r of records) {
    if (r.metric !== 'rouge.rougeL') assert.is(r.target, 'global', r.metric);
    assert.is(r.split, 'test');
    assert.ok(r.value >= 0 && r.value <= 1, `${r.metric} = ${r.value}`);
  }
  // ROUGE-L per client (3 of its 6 test records) and merged.
  assert.equal(records.filter((r) => r.metric === 'rouge.rougeL').map((r) => `${r.round}:${r.target}:${r.count}`),
    ['0:1:3', '0:2:3', '0:global:6', '1:1:3', '1:2:3', '1:global:6', '2:1:3', '2:2:3', '2:global:6']);
  assert.equal(records.filter((r) => r.metric === 'gsm8k.accuracy').map((r) => r.count), [3, 3, 3]);
  assert.equal(records.filter((r) => r.metric === 'mmlu.accuracy').map((r) => r.count), [4, 4, 4]);
  assert.ok(progress.some((p) => /^0 gsm8k 3\/3$/.test(p)), progress.join('\n'));

  // The best round follows the merged ROUGE-L upwards: the first round with the highest score.
  const rouge = records.filter((r) => r.metric === 'rouge.rougeL' && r.target === 'global');
  const top = Math.max(...rouge.map((r) => r.value));
  assert.equal(result.best, { round: rouge.find((r) => r.value === top)!.round, value: top, key: 'rouge.rougeL' });

  // Perplexity next to every loss.
  const losses = result.history.filter((r): r is EvalRecord => r.kind === 'eval' && r.metric === 'loss');
  const ppl = result.history.filter((r): r is EvalRecord => r.kind === 'eval' && r.metric === 'perplexity');
  assert.is(ppl.length, losses.length);
  ppl.forEach((p, i) => assert.ok(Math.abs(p.value - Math.exp(losses[i]!.value)) < 1e-9 * p.value));

  const cost = JSON.parse(readFileSync(path.join(out, 'cost.json'), 'utf8')) as { taskSeconds: number; generatedTokens: number };
  assert.ok(cost.taskSeconds > 0, 'scoring time is counted');
  assert.ok(cost.generatedTokens > 0, 'generated tokens are counted');
  if (!isolated) console.log('  (humaneval left out: this machine cannot isolate model-written code)');
});

loop('should score each client\'s own adapter in the local scenario', async ({ dirs }) => {
  const out = tempDir('fsllm-tasks-');
  dirs.push(out);
  const result = await new FedTrainer(options(out, { every: 2, tasks: [{ type: 'gsm8k', shots: 0, limit: 2, maxNewTokens: 8 }] }, 'local')).run();
  const records = scores(result.history);
  assert.equal(records.map((r) => `${r.round}:${r.target}`), ['0:1', '0:2', '2:1', '2:2']);
});

loop.run();
