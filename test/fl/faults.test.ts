// Faults on the federation's server side, with real clients and a rogue one over the in-process
// transport: invalid updates (NaN, wrong shapes, oversize, bad sample counts) are refused before they touch
// the average; a client that hangs is dropped at the deadline; too few updates retry the round, then fail.
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { encodeAdapter } from '../../lib/comm/adapterFrame.js';
import { InProcessTransport } from '../../lib/comm/inProcess.js';
import type { ServerMessage } from '../../lib/comm/messages.js';
import type { TokenizedExample } from '../../lib/data/index.js';
import { Client } from '../../lib/fl/Client.js';
import type { FedEmitter } from '../../lib/fl/events.js';
import { Server } from '../../lib/fl/Server.js';
import type { AdapterState } from '../../lib/native/adapterState.js';
import type { Model } from '../../lib/native/Model.js';
import { TrainSession } from '../../lib/native/TrainSession.js';
import { BatchSource, Trainer } from '../../lib/trainer/index.js';
import { AsyncLock } from '../../lib/util/lock.js';
import { dollyExamples, loadStories, TOK_LEN } from './_support.js';

let model: Model;
let session: TrainSession;
let examples: TokenizedExample[];
let initial: AdapterState;

test.before(async () => {
  model = await loadStories();
  examples = await dollyExamples(model);
  await model.attachLora({ r: 2, alpha: 4, targets: ['q_proj', 'v_proj'], seed: 3 });
  session = await TrainSession.create(model, { optimizer: { type: 'sgd' } });
  initial = await model.exportAdapter();
});
test.after(async () => {
  await session.dispose();
  await model.dispose();
});

type Rogue = 'nan' | 'shape' | 'oversize' | 'samples' | 'hang';

/** Two real clients (1, 2) and a rogue client 3 answering every modelPara its own bad way. */
function federation(rogue: Rogue, options: { minClients: number; deadlineMs: number; maxRetries?: number }) {
  const transport = new InProcessTransport();
  const events = new EventEmitter() as FedEmitter;
  const warnings: string[] = [];
  events.on('warning', (w) => void warnings.push(w));
  const shared = { model, session, turn: new AsyncLock() };
  const clients = [1, 2].map((id) => new Client(transport.endpoint(id), shared, {
    id, trainer: new Trainer(),
    data: new BatchSource(examples.slice(id * 20, id * 20 + 20), { batchSize: 2, gradAccum: 1, tokLen: TOK_LEN, padId: 0, pack: true, seed: id }),
    heldOut: { val: [], test: examples.slice(100, 104) }, local: { steps: 2 }, lr: 0.01, precision: 'fp32', maxGradNorm: 0,
    keepOptimizerState: false, evalBatchSize: 4, seed: 1,
  }, events));
  const uploads: number[] = [];
  const bad = transport.endpoint(3);
  bad.onMessage(async (_from, message) => {
    const msg = message as ServerMessage;
    if (msg.type !== 'modelPara' || rogue === 'hang') {
      if (msg.type === 'evaluate' && rogue !== 'hang') await bad.send('server', { type: 'metrics', round: msg.round, results: [] });
      return;
    }
    uploads.push(msg.round);
    const n = initial.data.length;
    const data = new Float32Array(n).fill(100);
    let adapter = encodeAdapter({ data, manifest: initial.manifest });
    if (rogue === 'nan') data[7] = Number.NaN;
    if (rogue === 'nan') adapter = encodeAdapter({ data, manifest: initial.manifest });
    if (rogue === 'shape') adapter = encodeAdapter({ data: new Float32Array(n), manifest: initial.manifest.map((e, i) => (i === 0 ? { ...e, shape: [e.shape[1]!, e.shape[0]!] } : e)) });
    if (rogue === 'oversize') adapter = new Uint8Array(9 * 4 * n + (1 << 20));
    await bad.send('server', { type: 'modelPara', round: msg.round, sampleSize: rogue === 'samples' ? -5 : 1000, adapter, train: { loss: 1, steps: 1, targetTokens: 1, msPerStep: 1 } });
  });
  const server = new Server(transport.endpoint('server'), initial, {
    clientIds: [1, 2, 3], totalRounds: 1, sampling: {}, weighting: 'samples', personalized: false,
    evalEvery: 0, evalSplits: ['test'], bestKey: 'test_loss', earlyStop: { patience: 0, delta: 0 }, seed: 1, ...options,
  }, events);
  const failed = new Promise<never>((_, reject) => transport.onError(reject));
  const run = async () => {
    await Promise.all(clients.map((c) => c.join()));
    await bad.send('server', { type: 'join', clientId: 3, trainSamples: 10 });
    return Promise.race([server.run(), failed]);
  };
  return { server, run, warnings, uploads };
}

for (const [rogue, reason] of [
  ['nan', /value 7 is NaN \(not finite\)/],
  ['shape', /not the global adapter's tensors and shapes/],
  ['oversize', /over the limit/],
  ['samples', /sample size -5 is not a positive integer/],
] as const) {
  test(`an update with ${rogue} is refused and logged; the round completes with the others`, async () => {
    await model.importAdapter(initial);
    const { server, run, warnings } = federation(rogue, { minClients: 2, deadlineMs: 60_000 });
    assert.is(await run(), 'completed');
    assert.ok(warnings.some((w) => /Dropped a modelPara message from client 3/.test(w) && reason.test(w)), warnings.join('\n'));
    // The rogue's 100s never reached the average: every value stays far below.
    assert.ok(server.global.data.every((v) => Math.abs(v) < 10));
  });
}

test('a client that hangs is dropped at the deadline when enough others reported', async () => {
  await model.importAdapter(initial);
  // Deadlines leave the real clients ample time even on a loaded machine; only the hanging one misses them.
  const { run, warnings } = federation('hang', { minClients: 2, deadlineMs: 4000 });
  const started = Date.now();
  assert.is(await run(), 'completed');
  assert.ok(Date.now() - started >= 4000);
  assert.ok(warnings.some((w) => /no update from clients 3 within 4000 ms/.test(w)), warnings.join('\n'));
});

test('too few updates retry the round, then fail with a coded error naming the fix', async () => {
  await model.importAdapter(initial);
  // As above: the real clients must never miss the deadline, also when the machine runs other suites.
  const { run, warnings } = federation('hang', { minClients: 3, deadlineMs: 6000, maxRetries: 1 });
  let caught: Error & { code?: string } | undefined;
  try {
    await run();
  } catch (e) {
    caught = e as Error & { code?: string };
  }
  assert.is(caught?.code, 'ERR_FSLLM_PROTOCOL');
  assert.match(caught!.message, /Round 1 got 2 of the 3 updates it needs after 2 attempts \(missing: clients 3\); lower federate\.minClients/);
  assert.ok(warnings.some((w) => /retrying the round/.test(w)));
});

test.run();
