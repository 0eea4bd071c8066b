// Server and clients over the in-process transport, on the shared stories260K base: FedAvg maths on real
// uploads, isolation of client turns, personalised (local) rounds, evaluation records.
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { decodeAdapter } from '../../lib/comm/adapterFrame.js';
import { InProcessTransport } from '../../lib/comm/inProcess.js';
import type { Address, AnyMessage } from '../../lib/comm/messages.js';
import type { Endpoint, Transport } from '../../lib/comm/transport.js';
import type { TokenizedExample } from '../../lib/data/index.js';
import { Client } from '../../lib/fl/Client.js';
import type { FedEmitter } from '../../lib/fl/events.js';
import type { EvalRecord, TrainRecord } from '../../lib/report/records.js';
import { Server } from '../../lib/fl/Server.js';
import { manualSeed } from '../../lib/native/manualSeed.js';
import type { Model } from '../../lib/native/Model.js';
import { TrainSession } from '../../lib/native/TrainSession.js';
import { BatchSource, Trainer } from '../../lib/trainer/index.js';
import { AsyncLock } from '../../lib/util/lock.js';
import { mixSeed } from '../../lib/util/random.js';
import { dollyExamples, loadStories, TOK_LEN } from './_support.js';

/** The in-process transport, with every message the server receives also kept for the test. */
class TappedTransport implements Transport {
  readonly inner = new InProcessTransport();
  readonly toServer: { from: Address; message: AnyMessage }[] = [];
  endpoint(address: Address): Endpoint {
    const ep = this.inner.endpoint(address);
    if (address !== 'server') return ep;
    const tap = this.toServer;
    return {
      address,
      send: (to, m) => ep.send(to, m),
      onMessage: (handler) => ep.onMessage((from, m) => {
        tap.push({ from, message: m });
        return handler(from, m);
      }),
      get stats() {
        return ep.stats;
      },
      close: () => ep.close(),
    };
  }
  onError(handler: (error: unknown) => void): void {
    this.inner.onError(handler);
  }
  close(): void {
    this.inner.close();
  }
}

let model: Model;
let session: TrainSession;
let examples: TokenizedExample[];
let initial: Awaited<ReturnType<Model['exportAdapter']>>;
const SEED = 11;

test.before(async () => {
  model = await loadStories();
  examples = await dollyExamples(model);
  await model.attachLora({ r: 4, alpha: 8, dropout: 0.1, targets: ['q_proj', 'v_proj'], seed: 2 });
  session = await TrainSession.create(model, { optimizer: { type: 'sgd', momentum: 0 } });
  initial = await model.exportAdapter();
});

test.after(async () => {
  await session.dispose();
  await model.dispose();
});

const dataOf = (id: number, part: TokenizedExample[]) =>
  new BatchSource(part, { batchSize: 3, gradAccum: 1, tokLen: TOK_LEN, padId: 0, pack: true, seed: id * 7 });

function federation(personalized: boolean, rounds: number) {
  const transport = new TappedTransport();
  const events = new EventEmitter() as FedEmitter;
  const shared = { model, session, turn: new AsyncLock() };
  const parts = [examples.slice(0, 40), examples.slice(40, 100)];
  const clients = parts.map((part, i) => new Client(transport.endpoint(i + 1), shared, {
    id: i + 1,
    trainer: new Trainer(),
    data: dataOf(i + 1, part),
    heldOut: { val: examples.slice(100, 110), test: examples.slice(110 + 10 * i, 120 + 10 * i) },
    local: { steps: 3 },
    lr: 0.05,
    precision: 'fp32',
    maxGradNorm: 0,
    keepOptimizerState: false,
    evalBatchSize: 4,
    seed: SEED,
  }, events));
  const server = new Server(transport.endpoint('server'), initial, {
    clientIds: [1, 2],
    totalRounds: rounds,
    sampling: {},
    weighting: 'samples',
    personalized,
    evalEvery: 1,
    evalSplits: ['val', 'test'],
    bestKey: 'val_loss',
    earlyStop: { patience: 0, delta: 0 },
    seed: SEED,
  }, events);
  const failed = new Promise<never>((_, reject) => transport.onError(reject));
  const run = async () => {
    const finished = Promise.all(clients.map((c) => c.finished()));
    await Promise.all(clients.map((c) => c.join()));
    const reason = await Promise.race([server.run(), failed]);
    await finished;
    return reason;
  };
  return { transport, events, server, clients, run };
}

test('the global adapter is the sample-weighted mean of the real uploads', async () => {
  await model.importAdapter(initial);
  const { transport, events, server, run } = federation(false, 1);
  const train: TrainRecord[] = [];
  events.on('clientEnd', (r) => train.push(r));
  assert.is(await run(), 'completed');
  const uploads = transport.toServer.filter((m) => m.message.type === 'modelPara').map((m) => m.message as Extract<AnyMessage, { sampleSize: number }>);
  assert.is(uploads.length, 2);
  const [a, b] = uploads.map((u) => ({ data: decodeAdapter(u.adapter).data, n: u.sampleSize }));
  assert.equal([a!.n, b!.n], [9, 9], '3 steps of 3 examples each');
  const global = server.global.data;
  for (let i = 0; i < global.length; i++) {
    const expected = (a!.n * a!.data[i]! + b!.n * b!.data[i]!) / (a!.n + b!.n);
    assert.ok(Math.abs(global[i]! - expected) < 1e-7, `value ${i}`);
  }
  assert.not.equal(Array.from(global.subarray(0, 50)), Array.from(initial.data.subarray(0, 50)), 'the adapter moved');
  assert.is(train.length, 2);
  assert.ok(train.every((t) => t.steps === 3 && t.loss > 0 && t.samples === 9));
});

test('a client turn on the shared model is exactly a lone local fit (no state leaks between clients)', async () => {
  await model.importAdapter(initial);
  const { transport, run } = federation(false, 1);
  await run();
  const upload2 = transport.toServer.find((m) => m.from === 2 && m.message.type === 'modelPara')!.message as Extract<AnyMessage, { sampleSize: number }>;
  // Replay client 2 alone: same start, same seed, same batches.
  await model.importAdapter(initial);
  await session.resetOptimizer();
  await manualSeed(mixSeed(SEED, 1, 2));
  await new Trainer().fit({ model, session, data: dataOf(2, examples.slice(40, 100)), steps: 3, lr: 0.05, round: 1, clientId: 2 });
  const alone = (await model.exportAdapter()).data;
  assert.equal(Array.from(decodeAdapter(upload2.adapter).data), Array.from(alone));
});

test('evaluation: per-client and merged losses, token-weighted, and the best round', async () => {
  await model.importAdapter(initial);
  const { events, server, run } = federation(false, 2);
  const records: EvalRecord[] = [];
  events.on('eval', (e) => records.push(...e.records));
  await run();
  const evals = records.filter((e) => e.metric === 'loss');
  assert.is(evals.length, 3 * (2 * 2 + 2 + 2), 'round 0 (the start) and two rounds x (2 clients x 2 splits + 2 merged + 2 means)');
  assert.is(records.filter((e) => e.metric === 'perplexity').length, evals.length, 'a perplexity next to every loss');
  for (const round of [0, 1, 2]) {
    const test1 = evals.find((e) => e.round === round && e.target === 1 && e.split === 'test')!;
    const test2 = evals.find((e) => e.round === round && e.target === 2 && e.split === 'test')!;
    const merged = evals.find((e) => e.round === round && e.target === 'global' && e.split === 'test')!;
    const expected = (test1.value * test1.count + test2.value * test2.count) / (test1.count + test2.count);
    assert.ok(Math.abs(merged.value - expected) < 1e-9);
    assert.is(merged.count, test1.count + test2.count);
    const mean = evals.find((e) => e.round === round && e.target === 'mean' && e.split === 'test')!;
    assert.ok(Math.abs(mean.value - (test1.value + test2.value) / 2) < 1e-12);
  }
  const val = evals.filter((e) => e.target === 'global' && e.split === 'val');
  const best = val.reduce((x, y) => (y.value < x.value ? y : x));
  assert.equal(server.snapshot.best, { round: best.round, value: best.value });
});

test('personalised rounds (local scenario): each client continues from its own adapter, nothing is averaged', async () => {
  await model.importAdapter(initial);
  const { transport, server, run } = federation(true, 2);
  await run();
  const uploads = transport.toServer.filter((m) => m.message.type === 'modelPara');
  const last = (id: number) => decodeAdapter((uploads.filter((m) => m.from === id).at(-1)!.message as { adapter: Uint8Array }).adapter).data;
  assert.equal(Array.from(server.personal.get(1)!), Array.from(last(1)));
  assert.equal(Array.from(server.personal.get(2)!), Array.from(last(2)));
  assert.equal(Array.from(server.global.data), Array.from(initial.data), 'no global average in the local scenario');
});

test.run();
