// Federated runs whose clients train as two processes each (train.dataParallel, c10d over loopback): the run
// must end where the one-process run ends (same adapter to fp32 summation order, same losses), and a rank
// killed mid-round must cost that client its update for the round (the server's deadline takes over and
// the round is retried), not the run, with new ranks for the retry.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { binding, FedTrainer, setNumThreads, type EvalRecord, type FedResults, type FedTrainerOptions } from '../../lib/index.js';
import { maxAbsDiff } from '../native/_support.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const dirs: string[] = [];
// model.threads and a data-parallel client set libtorch's process-wide thread count; later suites in this
// process (processes.test.ts compares bit for bit with child processes) need the default back.
const threads = binding().runtimeInfo().threads;
test.after(() => {
  setNumThreads(threads);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(processes: number, extra: { deadlineSeconds?: number; totalRounds?: number } = {}): FedTrainerOptions {
  const out = tempDir(`fsllm-dp${processes}-`);
  dirs.push(out);
  return {
    model: { path: STORIES_BIN, threads: 1 },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, subsample: 0.75, splits: [0.8, 0.1, 0.1], tokLen: 256 },
    federate: { clientNum: 2, totalRounds: extra.totalRounds ?? 2, seed: 4, ...(extra.deadlineSeconds ? { deadlineSeconds: extra.deadlineSeconds } : {}) },
    adapter: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 3, batchSize: 2, gradAccum: 2, optimizer: { type: 'sgd', lr: 0.05 }, dataParallel: { processes } },
    eval: { every: 1, splits: ['test'] },
    output: { dir: out, checkpointEvery: 0, report: false },
  };
}

const testLoss = (r: FedResults, round: number) =>
  r.history.find((h): h is EvalRecord => h.kind === 'eval' && h.round === round && h.target === 'global' && h.split === 'test' && h.metric === 'loss')!.value;

/** Process ids of this process's children running the rank entry (lib/fl/replicaProcess). */
function replicaPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('replicaProcess')) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

test('two processes per client end where one process ends', async () => {
  const one = await new FedTrainer(options(1)).run();
  const two = await new FedTrainer(options(2)).run();
  assert.equal(replicaPids(), [], 'the ranks exit with the run');
  const diff = maxAbsDiff(one.adapter!.state.data, two.adapter!.state.data);
  assert.ok(maxAbsDiff(one.adapter!.state.data, new Float32Array(one.adapter!.state.data.length)) > 0);
  assert.ok(diff < 1e-5, `final adapters differ by ${diff}`);
  for (const round of [0, 1, 2]) {
    assert.ok(Math.abs(testLoss(one, round) - testLoss(two, round)) < 1e-5 * testLoss(one, round), `round ${round}`);
  }
  assert.ok(testLoss(two, 2) < testLoss(two, 0), 'the run learns');
});

test('a rank killed mid-round costs that round its update; the retry starts new ranks and the run completes', async () => {
  const run = new FedTrainer(options(2, { deadlineSeconds: 12, totalRounds: 2 }));
  const warnings: string[] = [];
  run.on('warning', (w) => void warnings.push(w));
  let killed = 0;
  run.on('step', (e) => {
    if (e.round !== 1 || e.step !== 1 || killed > 0) return;
    for (const pid of replicaPids()) process.kill(pid, 'SIGKILL');
    killed += 1;
  });
  const result = await run.run();
  assert.is(killed, 1);
  assert.is(result.rounds, 2);
  assert.ok(warnings.some((w) => /round 1 lost a data-parallel rank/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /retrying the round/.test(w)), warnings.join('\n'));
  assert.ok(testLoss(result, 2) < testLoss(result, 0));
  assert.equal(replicaPids(), []);
});

test('the nccl backend is refused, naming the option and the fix', async () => {
  const o = options(2);
  o.train!.dataParallel!.backend = 'nccl';
  let error: (Error & { code?: string }) | undefined;
  try {
    await new FedTrainer(o).run();
  } catch (e) {
    error = e as Error & { code?: string };
  }
  assert.is(error?.code, 'ERR_FSLLM_UNSUPPORTED');
  assert.match(error!.message, /train\.dataParallel\.backend 'nccl' .* use 'gloo'/);
});

test.run();
