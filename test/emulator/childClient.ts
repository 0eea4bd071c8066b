// A federated client in its own process, for boundary.test.ts: it is given only an emulator folder,
// loads it, attaches LoRA, runs one training step, and prints one JSON line: the model's block count,
// the step's loss, and every file mapped into its address space (/proc/self/maps).
// Usage: node --import tsx test/emulator/childClient.ts <emulatorDir>
import { readFile } from 'node:fs/promises';

import { Model } from '../../lib/native/Model.js';
import { TrainSession } from '../../lib/native/TrainSession.js';
import { batchOf, randomRows } from '../helpers/batches.js';

async function mappedFiles(): Promise<string[]> {
  const maps = await readFile('/proc/self/maps', 'utf8');
  // Each line: address perms offset dev inode [pathname]; the path may contain spaces.
  const paths = maps.split('\n').map((line) => line.split(/\s+/).slice(5).join(' ')).filter((p) => p.startsWith('/'));
  return [...new Set(paths)].sort();
}

async function main(dir: string): Promise<void> {
  const model = await Model.load(dir);
  await model.attachLora({ r: 4, alpha: 8, targets: ['q_proj', 'v_proj'], seed: 3 });
  const session = await TrainSession.create(model);
  const metrics = await session.trainStep(batchOf(randomRows(5, 2, 16, model.config.vocabSize)), { lr: 1e-3 });
  const files = await mappedFiles();
  process.stdout.write(`${JSON.stringify({ numLayers: model.config.numLayers, loss: metrics.loss, files })}\n`);
  await session.dispose();
  await model.dispose();
}

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: childClient.ts <emulatorDir>\n');
  process.exitCode = 2;
} else {
  await main(dir);
}
