/**
 * `npm run bench -- simulate-clients [--clients N] [--scenario local|ditto]`: memory of a simulated federation
 * per extra client. Two child processes run the same round with optimizer state kept, one with 10 clients and
 * one with N; the difference of their JS heap + external memory after a full GC, divided by N − 10, is the
 * measured cost of one client. `local` (default): each client's own adapter, held by the server, and its AdamW
 * moments. `ditto`: a federated round of Ditto clients, each holding its personal adapter (personalised FL's
 * state, which lives with the client) and its moments. Ends with one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { encodeAdapter } from '../../lib/comm/adapterFrame.js';
import { InProcessTransport } from '../../lib/comm/inProcess.js';
import { readInstructions, tokenizeInstruction, type TokenizedExample } from '../../lib/data/index.js';
import { Client } from '../../lib/fl/Client.js';
import type { FedEmitter } from '../../lib/fl/events.js';
import { Server } from '../../lib/fl/Server.js';
import { Model } from '../../lib/native/Model.js';
import { TrainSession } from '../../lib/native/TrainSession.js';
import { addFedProx, BatchSource, Trainer } from '../../lib/trainer/index.js';
import type { PersonalTraining } from '../../lib/fl/personalTraining.js';
import { AsyncLock } from '../../lib/util/lock.js';
import { embedded } from '../../lib/cli/assets.js';

const BASELINE = 10;

type Scenario = 'local' | 'ditto';

interface Measurement {
  clients: number;
  /** V8 heap in use + external memory (ArrayBuffers, native-backed arrays), after a full GC. */
  bytes: number;
  rss: number;
  adapterBytes: number;
  optimizerBytes: number;
  /** Ditto: the personal adapter one client holds. */
  personalBytes: number;
  frameBytes: number;
  seconds: number;
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Ditto's personal fit of one step, pulled toward the round's global adapter. */
function dittoTraining(): PersonalTraining {
  const anchor = { data: null as Float32Array | null };
  const trainer = new Trainer();
  addFedProx(trainer.hooks, 0.1, 'params', () => anchor.data!);
  return { slot: { data: null }, ditto: { trainer, steps: 1, lr: 1e-3, anchor } };
}

/** One simulated round of `clients` clients; runs in a child process. */
async function measure(clients: number, scenario: Scenario): Promise<Measurement> {
  const started = Date.now();
  const model = await Model.load(embedded.model);
  const records = await readInstructions(embedded.dollySample, { input: 'context', output: 'response' });
  const examples = records.slice(0, 8).map((r) => tokenizeInstruction(model.tokenizer!, r, 256)).filter((e): e is TokenizedExample => e !== null);
  await model.attachLora({ r: 8, alpha: 16, targets: ['q_proj', 'v_proj'], seed: 0 });
  const session = await TrainSession.create(model, { optimizer: { type: 'adamw' } });
  const initial = await model.exportAdapter();
  const transport = new InProcessTransport();
  const events = new EventEmitter() as FedEmitter;
  const shared = { model, session, turn: new AsyncLock() };
  const workers = Array.from({ length: clients }, (_, i) => new Client(transport.endpoint(i + 1), shared, {
    id: i + 1,
    trainer: new Trainer(),
    // The examples are shared: data is each client's own cost, not the simulation's.
    data: new BatchSource([examples[i % examples.length]!], { batchSize: 1, gradAccum: 1, tokLen: 256, padId: 0, pack: true, seed: i }),
    heldOut: { val: [], test: [] },
    local: { steps: 1 },
    lr: 1e-3,
    precision: 'fp32',
    maxGradNorm: 0,
    keepOptimizerState: true,
    evalBatchSize: 1,
    seed: 0,
    ...(scenario === 'ditto' ? { personal: dittoTraining() } : {}),
  }, events));
  const server = new Server(transport.endpoint('server'), initial, {
    clientIds: workers.map((w) => w.id),
    totalRounds: 1,
    sampling: {},
    weighting: 'samples',
    personalized: scenario === 'local',
    evalEvery: 0,
    evalSplits: [],
    bestKey: 'val_loss',
    earlyStop: { patience: 0, delta: 0 },
    seed: 0,
  }, events);
  const failed = new Promise<never>((_, reject) => transport.onError(reject));
  const finished = Promise.all(workers.map((w) => w.finished()));
  await Promise.all(workers.map((w) => w.join()));
  await Promise.race([server.run(), failed]);
  await finished;
  // Native-backed arrays are freed by finalizers that run after the collection: collect, let them run, collect.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const usage = process.memoryUsage();
  const snapshot = workers[0]!.snapshot;
  const result: Measurement = {
    clients,
    bytes: usage.heapUsed + usage.external,
    rss: usage.rss,
    adapterBytes: initial.data.byteLength,
    optimizerBytes: snapshot.optimizer?.byteLength ?? 0,
    personalBytes: snapshot.personal?.byteLength ?? 0,
    frameBytes: encodeAdapter(initial).byteLength,
    seconds: (Date.now() - started) / 1000,
  };
  const holding = scenario === 'local' ? server.personal.size : workers.filter((w) => w.snapshot.personal).length;
  if (holding !== clients) throw new Error(`expected ${clients} ${scenario === 'local' ? 'client' : 'personal'} adapters, found ${holding}`);
  await session.dispose();
  await model.dispose();
  return result;
}

function child(clients: number, scenario: Scenario): Measurement {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--measure', String(clients), scenario], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement;
}

export async function run(argv: string[]): Promise<void> {
  const at = argv.indexOf('--clients');
  const clients = at >= 0 ? Number(argv[at + 1]) : 1000;
  if (!Number.isInteger(clients) || clients <= BASELINE) throw new Error(`--clients must be an integer above ${BASELINE}`);
  const named = argv.indexOf('--scenario');
  const scenario = (named >= 0 ? argv[named + 1] : 'local') as Scenario;
  if (scenario !== 'local' && scenario !== 'ditto') throw new Error('--scenario must be local or ditto');
  const small = child(BASELINE, scenario);
  const large = child(clients, scenario);
  console.log(`baseline ${BASELINE} clients: ${(small.bytes / 2 ** 20).toFixed(1)} MiB JS+buffers, rss ${(small.rss / 2 ** 20).toFixed(1)} MiB, ${small.seconds.toFixed(1)} s`);
  console.log(`${clients} clients: ${(large.bytes / 2 ** 20).toFixed(1)} MiB JS+buffers, rss ${(large.rss / 2 ** 20).toFixed(1)} MiB, ${large.seconds.toFixed(1)} s`);
  const extraBytesPerClient = Math.round((large.bytes - small.bytes) / (clients - BASELINE));
  // What a client must hold: its adapter (local: kept by the server; ditto: its personal one) and its moments.
  const expected = large.adapterBytes + large.optimizerBytes;
  console.log(JSON.stringify({
    name: 'simulate-clients',
    scenario,
    clients,
    adapterBytes: large.adapterBytes,
    optimizerBytes: large.optimizerBytes,
    personalBytes: large.personalBytes,
    extraBytesPerClient,
    extraOverAdapterPlusOptimizer: Number((extraBytesPerClient / expected).toFixed(3)),
    rssPerClient: Math.round((large.rss - small.rss) / (clients - BASELINE)),
    seconds: Number((small.seconds + large.seconds).toFixed(1)),
  }));
}

if (process.argv[2] === '--measure') {
  const result = await measure(Number(process.argv[3]), process.argv[4] as Scenario);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
