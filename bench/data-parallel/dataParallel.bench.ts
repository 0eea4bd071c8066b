/**
 * `npm run bench -- data-parallel [--model PATH] [--steps N] [--micro M] [--batch B] [--seq T]`: one client as
 * two processes (c10d ProcessGroupGloo over loopback, lib/parallel) against one process, on the same global
 * batch of M micro-batches of B × T tokens. Both runs start from the same adapter and optimizer and take the
 * same steps (LoRA r 8 on q/v, dropout 0, SGD with momentum, so the adapters may be compared); the first step
 * of each is a warm-up, left out of the timing. The one-process run uses every core; each of the two
 * processes gets half. The last line is JSON: ms per step of each, `speedup`, `maxAdapterDiff`, and the
 * bytes each step moved between the ranks.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { binding, Model, TrainSession, type ReplicaTraffic } from '../../lib/index.js';
import { loraReplicaScript, ReplicaTeam, type LoraReplicaSetup } from '../../lib/parallel/index.js';
import { fixedBatches } from '../lora-step/fixedBatches.ts';

const SMOLLM2 = path.join(os.homedir(), '.cache', 'fsllm-native', 'models', 'smollm2-135m');
const STORIES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../assets/stories260K/stories260K.bin');

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: existsSync(SMOLLM2) ? SMOLLM2 : STORIES },
      steps: { type: 'string', default: '4' },
      micro: { type: 'string', default: '4' },
      batch: { type: 'string', default: '2' },
      seq: { type: 'string', default: '256' },
    },
  });
  const [steps, micro, batch, seq] = [values.steps, values.micro, values.batch, values.seq].map(Number) as [number, number, number, number];
  const cores = os.availableParallelism();
  const lora = { r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'v_proj'], seed: 0 };
  const sessionOptions = { optimizer: { type: 'sgd' as const, momentum: 0.9 } };
  const model = await Model.load(values.model);
  await model.attachLora(lora);
  const session = await TrainSession.create(model, sessionOptions);
  const start = await model.exportAdapter();
  const batches = fixedBatches(model.config.vocabSize, micro, batch, seq, 6);

  const measure = async (threads: number) => {
    binding().setNumThreads(threads);
    await model.importAdapter(start);
    await session.resetOptimizer();
    let ms = 0;
    const traffic: ReplicaTraffic[] = [];
    for (let i = 0; i <= steps; i++) {
      const t0 = performance.now();
      const m = await session.trainStep(batches, { lr: 0.05 });
      if (i > 0) ms += performance.now() - t0;
      if (m.replicaTraffic) traffic.push(m.replicaTraffic);
    }
    return { msPerStep: ms / steps, adapter: (await model.exportAdapter()).data, traffic };
  };

  console.error(`data-parallel: ${values.model}, ${micro} micro-batches of ${batch} x ${seq} a step, ${steps} timed steps`);
  const one = await measure(cores);
  const setup: LoraReplicaSetup = { model: values.model, lora, session: sessionOptions };
  const perProcess = Math.max(1, Math.floor(cores / 2));
  const team = new ReplicaTeam({ processes: 2, script: loraReplicaScript(), setup, timeoutMs: 600_000, threadsPerProcess: perProcess });
  session.useReplicas(team);
  const two = await measure(perProcess);
  await team.close();
  let maxAdapterDiff = 0;
  for (let i = 0; i < one.adapter.length; i++) maxAdapterDiff = Math.max(maxAdapterDiff, Math.abs(one.adapter[i]! - two.adapter[i]!));
  const later = two.traffic.slice(1);
  console.log(JSON.stringify({
    name: 'data-parallel',
    model: values.model,
    globalBatch: { microBatches: micro, rows: micro * batch, tokens: micro * batch * seq },
    steps,
    cores,
    oneProcess: { threads: cores, msPerStep: one.msPerStep, tokensPerSec: (micro * batch * seq) / (one.msPerStep / 1000) },
    twoProcesses: { threadsEach: perProcess, msPerStep: two.msPerStep, tokensPerSec: (micro * batch * seq) / (two.msPerStep / 1000) },
    speedup: one.msPerStep / two.msPerStep,
    maxAdapterDiff,
    adapterValues: one.adapter.length,
    bytesAllReducedPerStep: later[0]?.reducedBytes ?? 0,
    bytesBroadcastPerStep: later[0]?.batchBytes ?? 0,
    bytesSyncedFirstStep: two.traffic[0]?.syncedBytes ?? 0,
    bytesSyncedLaterSteps: later.reduce((n, t) => n + t.syncedBytes, 0),
  }));
  await session.dispose();
  await model.dispose();
}
