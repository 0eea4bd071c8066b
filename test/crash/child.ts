// Child process of exit.test.ts: runs one scenario named by FSLLM_CRASH_SCENARIO, reporting progress to the
// parent over IPC. Imported without that variable (e.g. by uvu scanning the folder) it does nothing.
import { Worker } from 'node:worker_threads';

import { binding, openCheckpoint, TrainSession } from '../../lib/index.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { tinyAdaptedModel } from '../helpers/tinyModel.js';

const scenario = process.env.FSLLM_CRASH_SCENARIO;

function say(message: string): void {
  process.send?.(message);
}

/** A step long enough (many micro-batches) to still run when the scenario ends the process. */
function longStep() {
  return Array.from({ length: 60 }, (_, seed) => batchOf(randomRows(seed, 2, 64, 512)));
}

const scenarios: Record<string, () => Promise<void>> = {
  // process.exit() while the executor thread is inside a trainStep.
  async 'exit-during-train'() {
    const model = await tinyAdaptedModel();
    const session = await TrainSession.create(model);
    void session.trainStep(longStep(), { lr: 1e-3 });
    setTimeout(() => {
      say('exiting');
      process.exit(0);
    }, 50);
  },
  // process.exit() from inside a token callback of a streaming generate.
  async 'exit-in-token-callback'() {
    const model = await tinyAdaptedModel();
    let pieces = 0;
    void model.generate([1], {
      maxNewTokens: 400,
      stopAtEos: false,
      onText: () => {
        if (++pieces === 5) {
          say('exiting');
          process.exit(0);
        }
      },
    });
  },
  // process.exit() with one job running and more queued behind it on the executor.
  async 'exit-with-queued-jobs'() {
    const a = await tinyAdaptedModel();
    const b = await tinyAdaptedModel();
    const sa = await TrainSession.create(a);
    const sb = await TrainSession.create(b);
    const checkpoint = await openCheckpoint(STORIES_BIN);
    void sa.trainStep(longStep(), { lr: 1e-3 });
    void sb.trainStep(longStep(), { lr: 1e-3 });
    void binding().readTensors(checkpoint.tensors);
    setTimeout(() => {
      say('exiting');
      process.exit(0);
    }, 50);
  },
  // An uncaught exception while a job runs: node exits with 1, not a signal.
  async 'throw-during-train'() {
    const model = await tinyAdaptedModel();
    const session = await TrainSession.create(model);
    void session.trainStep(longStep(), { lr: 1e-3 });
    setTimeout(() => {
      say('exiting');
      throw new Error('deliberate uncaught error');
    }, 50);
  },
  // Nothing awaited: the job in flight keeps the process alive until it settles, then node exits by itself.
  async 'natural-end'() {
    const model = await tinyAdaptedModel();
    const session = await TrainSession.create(model);
    say('exiting');
    void session.trainStep(longStep().slice(0, 4), { lr: 1e-3 }).then(() => say('settled'));
  },
  // Objects never disposed: the event loop empties and node tears the environment down with them alive.
  async 'end-without-dispose'() {
    const model = await tinyAdaptedModel();
    const session = await TrainSession.create(model);
    await session.trainStep(longStep().slice(0, 1), { lr: 1e-3 });
    await model.generate([1], { maxNewTokens: 3, onText: () => undefined });
    say('exiting');
  },
  // A worker that loaded the addon is terminated while its executor runs a step; the main thread goes on.
  async 'terminate-worker'() {
    // Workers do not run the parent's --import hooks: register tsx inside the worker before loading this file.
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`;
    const worker = new Worker(bootstrap, { eval: true, env: { ...process.env, FSLLM_CRASH_SCENARIO: 'worker-body' } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    setTimeout(() => void worker.terminate(), 50);
    await new Promise((resolve) => worker.once('exit', resolve));
    const model = await tinyAdaptedModel();
    const { ids } = await model.generate([1], { maxNewTokens: 3 });
    await model.dispose();
    say(`main alive ${ids.length}`);
    say('exiting');
  },
  async 'worker-body'() {
    const { parentPort } = await import('node:worker_threads');
    const model = await tinyAdaptedModel();
    const session = await TrainSession.create(model);
    void session.trainStep(longStep(), { lr: 1e-3 });
    parentPort?.postMessage('running');
  },
};

if (scenario !== undefined) {
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}`);
  await run();
}
