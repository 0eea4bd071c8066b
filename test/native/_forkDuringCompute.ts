// Child of forkGate.test.ts: starts child processes (each one a fork) in a loop while a model large enough
// for OpenBLAS to run its GEMMs on worker threads generates, then trains, on the executor. Without the
// fork gate (csrc/core/fork_gate.h) a fork that lands inside a threaded GEMM hangs this process for ever,
// which the parent sees as a timeout. Prints one JSON line: {rows, steps, spawnsDuringGenerate, spawnsDuringTrain}.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { Model, TrainSession } from '../../lib/index.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { writeRandomLlama } from '../helpers/randomModel.js';

const run = promisify(execFile);

// Wide enough that every GEMM is above OpenBLAS's threading threshold (m·n·k > 262144).
const SHAPE = { hidden: 512, intermediate: 1536, layers: 2, heads: 8, vocab: 512, positions: 256 };

/** Starts `true` over and over until `work` settles; returns how many finished meanwhile. */
async function spawnWhile(work: Promise<unknown>): Promise<number> {
  let settled = false;
  const done = work.finally(() => (settled = true));
  let spawns = 0;
  while (!settled) {
    await run('true');
    if (!settled) spawns++;
  }
  await done;
  return spawns;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'fsllm-fork-'));
try {
  const model = await Model.load(await writeRandomLlama(dir, SHAPE));
  const prompts = randomRows(3, 16, 96, SHAPE.vocab);
  let rows = 0;
  const spawnsDuringGenerate = await spawnWhile(
    model.generate(prompts, { maxNewTokens: 24, stopAtEos: false, batchSize: 16 }).then((r) => (rows = r.length)),
  );
  await model.attachLora({ r: 8, alpha: 16, targets: ['q_proj', 'v_proj', 'gate_proj'], seed: 1 });
  const session = await TrainSession.create(model);
  let steps = 0;
  const batch = batchOf(randomRows(5, 8, 128, SHAPE.vocab));
  const training = (async () => {
    for (let i = 0; i < 3; i++, steps++) await session.trainStep([batch, batch], { lr: 1e-3 });
  })();
  const spawnsDuringTrain = await spawnWhile(training);
  process.stdout.write(`${JSON.stringify({ rows, steps, spawnsDuringGenerate, spawnsDuringTrain })}\n`);
  await session.dispose();
  await model.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}
