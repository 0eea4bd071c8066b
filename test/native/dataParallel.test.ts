// Data parallelism over c10d with real processes: rank 0 is this test, rank 1 a child process
// (lib/parallel/loraReplica.ts) joined through a TCPStore on loopback and ProcessGroupGloo. A data-parallel
// step must leave the adapter the one-process step over the same global batch leaves (to fp32 summation
// order), whether the ranks split micro-batches or rows; the replicas must follow rank 0 through adapter
// imports and optimizer resets; a rank killed mid-step must fail the step with a coded error, not hang.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FsllmError, InvalidArgumentError, ReplicaGroup, TrainSession, type LoraOptions, type Model, type OptimizerOptions, type RawBatch, type StepMetrics } from '../../lib/index.js';
import { loraReplicaScript, type LoraReplicaSetup } from '../../lib/parallel/loraReplica.js';
import { ReplicaTeam } from '../../lib/parallel/ReplicaTeam.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';
import { expectError, maxAbsDiff } from './_support.js';

const LORA: LoraOptions = { r: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'down_proj'], dropout: 0, seed: 5 };
const SGD: OptimizerOptions = { type: 'sgd', momentum: 0.9 };
const LR = 0.05;
/** fp32 gradients summed in another order: ~1e-7 seen after three steps that move the adapter by ~0.3. */
const TOL = 2e-6;

interface Ctx {
  model: Model;
  session: TrainSession;
  team: ReplicaTeam<LoraReplicaSetup>;
  start: Float32Array;
}

const dp = suite<Ctx>('data parallel');

dp.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel(LORA);
  ctx.session = await TrainSession.create(ctx.model, { optimizer: SGD });
  const setup = { model: STORIES_BIN, lora: LORA, session: { optimizer: SGD } };
  ctx.team = new ReplicaTeam({ processes: 2, script: loraReplicaScript(), setup, timeoutMs: 60_000, threadsPerProcess: 1 });
  // A non-zero B, so that every LoRA tensor gets a gradient from the first step.
  const start = (await ctx.model.exportAdapter()).data.map((v, i) => (v === 0 ? 0.01 * Math.sin(i) : v));
  ctx.start = Float32Array.from(start);
});

dp.after(async (ctx) => {
  await ctx.team.close();
  await ctx.session.dispose();
  await ctx.model.dispose();
});

/** `steps` steps over `batches` from the start adapter and a fresh optimizer; the adapter and metrics after. */
async function train(ctx: Ctx, batches: RawBatch[], steps: number, replicated: boolean): Promise<{ adapter: Float32Array; metrics: StepMetrics[] }> {
  ctx.session.useReplicas(replicated ? ctx.team : null);
  await ctx.model.importAdapter({ ...(await ctx.model.exportAdapter()), data: ctx.start });
  await ctx.session.resetOptimizer();
  const metrics: StepMetrics[] = [];
  for (let i = 0; i < steps; i++) metrics.push(await ctx.session.trainStep(batches, { lr: LR }));
  return { adapter: (await ctx.model.exportAdapter()).data, metrics };
}

const fourMicroBatches = [0, 1, 2, 3].map((i) => batchOf(randomRows(10 + i, 2, 24 + 4 * i, 512)));
const oneMicroBatch = [batchOf(randomRows(20, 5, 32, 512))];

const oneRow = [batchOf(randomRows(30, 1, 40, 512))];

for (const [what, batches] of [
  ['micro-batches split between the ranks', fourMicroBatches],
  ['rows of one micro-batch split between the ranks', oneMicroBatch],
  ['a one-row step (rank 1 has no share and sends zeros)', oneRow],
] as const) {
  dp(`${what}: three steps equal the one-process steps`, async (ctx) => {
    const one = await train(ctx, [...batches], 3, false);
    const two = await train(ctx, [...batches], 3, true);
    assert.ok(maxAbsDiff(one.adapter, ctx.start) > 1e-3, 'the steps must move the adapter');
    const diff = maxAbsDiff(one.adapter, two.adapter);
    console.log(`  ${what}: max |diff| ${diff}, moved ${maxAbsDiff(one.adapter, ctx.start)}`);
    assert.ok(diff < TOL, `adapter differs by ${diff}`);
    two.metrics.forEach((m, i) => {
      const ref = one.metrics[i]!;
      assert.ok(Math.abs(m.loss - ref.loss) < 1e-5 * ref.loss, `step ${i} loss ${m.loss} vs ${ref.loss}`);
      assert.is(m.targetTokens, ref.targetTokens);
      assert.ok(Math.abs(m.gradNorm - ref.gradNorm) < 1e-4 * ref.gradNorm, `step ${i} grad norm ${m.gradNorm} vs ${ref.gradNorm}`);
      m.microLosses.forEach((l, j) => assert.ok(Math.abs(l - ref.microLosses[j]!) < 1e-5 * ref.microLosses[j]!, `step ${i} micro-batch ${j}`));
    });
    assert.ok(two.metrics[0]!.loss > two.metrics[2]!.loss, 'the loss falls');
  });
}

dp('rank 0 sends its state only when the replicas have not seen it', async (ctx) => {
  const { metrics } = await train(ctx, fourMicroBatches, 3, true);
  const traffic = metrics.map((m) => m.replicaTraffic!);
  const trainable = ctx.start.length;
  // First step after an import and a reset: at least the adapter (a reset SGD has no momentum buffers yet).
  assert.ok(traffic[0]!.syncedBytes >= 4 * trainable, `synced ${traffic[0]!.syncedBytes} bytes`);
  assert.is(traffic[1]!.syncedBytes, 0);
  assert.is(traffic[2]!.syncedBytes, 0);
  for (const t of traffic) {
    // Gradients in fp32; per micro-batch a float64 loss sum; per tensor a float64 flag (did it get a gradient).
    const tensors = (await ctx.model.exportAdapter()).manifest.length;
    assert.is(t.reducedBytes, 4 * trainable + 8 * (fourMicroBatches.length + tensors));
    assert.ok(t.batchBytes > 0);
  }
  ctx.session.useReplicas(null);
  const single = await ctx.session.trainStep(fourMicroBatches, { lr: LR });
  assert.is(single.replicaTraffic, undefined);
});

dp('a proximal anchor reaches the replicas, and the merged-weight term counts once', async (ctx) => {
  const anchor = ctx.start.map((v, i) => v + 0.02 * Math.cos(i));
  const run = async (replicated: boolean, mode: 'params' | 'merged') => {
    ctx.session.useReplicas(replicated ? ctx.team : null);
    await ctx.model.importAdapter({ ...(await ctx.model.exportAdapter()), data: ctx.start });
    await ctx.session.resetOptimizer();
    await ctx.session.setProximalAnchor(anchor);
    for (let i = 0; i < 2; i++) await ctx.session.trainStep(fourMicroBatches, { lr: LR, proximalMu: 2, proximalMode: mode });
    await ctx.session.setProximalAnchor(null);
    return (await ctx.model.exportAdapter()).data;
  };
  for (const mode of ['params', 'merged'] as const) {
    const diff = maxAbsDiff(await run(false, mode), await run(true, mode));
    assert.ok(diff < TOL, `${mode}: adapter differs by ${diff}`);
  }
});

dp('a rank killed mid-step fails the step with ERR_FSLLM_DISTRIBUTED; the next step starts new ranks', async (ctx) => {
  await train(ctx, fourMicroBatches, 1, true);  // the ranks are up
  const [pid] = ctx.team.pids;
  assert.ok(pid !== undefined);
  const starts = ctx.team.starts;
  const long = [0, 1, 2, 3, 4, 5].map((i) => batchOf(randomRows(40 + i, 4, 128, 512)));
  const step = ctx.session.trainStep(long, { lr: LR });
  setTimeout(() => process.kill(pid!, 'SIGKILL'), 50);
  let error: FsllmError | undefined;
  try {
    await step;
  } catch (e) {
    error = e as FsllmError;
  }
  assert.is(error?.code, 'ERR_FSLLM_DISTRIBUTED', String(error));
  assert.match(error!.message, /rank/);
  assert.equal(ctx.team.pids, []);
  // The replicas are gone; the next step starts new ones and still equals the one-process steps.
  const one = await train(ctx, fourMicroBatches, 2, false);
  const two = await train(ctx, fourMicroBatches, 2, true);
  assert.is(ctx.team.starts, starts + 1);
  assert.ok(maxAbsDiff(one.adapter, two.adapter) < TOL);
});

dp('invalid input is refused before the other ranks hear of the step, so the group stays', async (ctx) => {
  await train(ctx, fourMicroBatches, 1, true);
  const starts = ctx.team.starts;
  const bad = batchOf([[1, 600, 3]]);  // id 600 is outside the 512-token vocabulary
  let error: FsllmError | undefined;
  try {
    await ctx.session.trainStep([bad], { lr: LR });
  } catch (e) {
    error = e as FsllmError;
  }
  assert.is(error?.code, 'ERR_FSLLM_INVALID_ARG');
  await ctx.session.trainStep(fourMicroBatches, { lr: LR });
  assert.is(ctx.team.starts, starts);
});

dp('bad group options and misuse are refused with the field named', async (ctx) => {
  await expectError(() => ReplicaGroup.open({ rank: 2, worldSize: 2 }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /\[0, 2\) for rank/);
  await expectError(() => ReplicaGroup.open({ rank: 1, worldSize: 2 }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /rank 0's port .* for port/);
  await expectError(() => ReplicaGroup.open({ rank: 0, worldSize: 0 }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /worldSize/);
  const lead = ReplicaGroup.open({ rank: 0, worldSize: 2 });
  assert.ok(lead.port > 0, 'rank 0 took a free port');
  await expectError(() => ctx.session.serveReplicas(lead), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /rank other than 0/);
  lead.close();
  await expectError(() => lead.connect(), FsllmError, 'ERR_FSLLM_DISPOSED', /closed/);
  assert.throws(() => new ReplicaTeam({ processes: 1, script: loraReplicaScript(), setup: {}, timeoutMs: 1000 }), /integer ≥ 2 for processes/);
});

dp.run();
