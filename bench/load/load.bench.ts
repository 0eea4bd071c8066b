/**
 * `npm run bench -- load [--clients N] [--rounds R]`: N clients (default 100) over real gRPC connections on
 * 127.0.0.1 complete R rounds with the server. The clients live in this process and share one stories260K
 * base model (one local step each, so the network and the server are what is measured); each has its own
 * gRPC connection, token and stream. Prints per-round latency and the process's memory, then one JSON line.
 */
import { EventEmitter } from 'node:events';
import { GrpcClientTransport, GrpcServerTransport } from '../../lib/comm/grpc/index.js';
import { readInstructions, tokenizeInstruction, type TokenizedExample } from '../../lib/data/index.js';
import { Client } from '../../lib/fl/Client.js';
import type { FedEmitter } from '../../lib/fl/events.js';
import type { RoundRecord } from '../../lib/report/records.js';
import { Server } from '../../lib/fl/Server.js';
import { Model } from '../../lib/native/Model.js';
import { TrainSession } from '../../lib/native/TrainSession.js';
import { BatchSource, Trainer } from '../../lib/trainer/index.js';
import { AsyncLock } from '../../lib/util/lock.js';
import { embedded } from '../../lib/cli/assets.js';

function argValue(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

export async function run(argv: string[]): Promise<void> {
  const clients = argValue(argv, '--clients', 100);
  const rounds = argValue(argv, '--rounds', 3);
  const model = await Model.load(embedded.model);
  const records = await readInstructions(embedded.dollySample, { input: 'context', output: 'response' });
  const examples = records.slice(0, 16).map((r) => tokenizeInstruction(model.tokenizer!, r, 256)).filter((e): e is TokenizedExample => e !== null);
  await model.attachLora({ r: 8, alpha: 16, targets: ['q_proj', 'v_proj'], seed: 0 });
  const session = await TrainSession.create(model, { optimizer: { type: 'adamw' } });
  const initial = await model.exportAdapter();
  const tokens = Object.fromEntries(Array.from({ length: clients }, (_, i) => [String(i + 1), `token-${i + 1}`]));
  const server = await GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tokens, log: () => {} });
  const events = new EventEmitter() as FedEmitter;
  const roundRecords: RoundRecord[] = [];
  events.on('roundEnd', (r) => {
    roundRecords.push(r);
    console.log(`round ${r.round}: ${r.clients.length} clients in ${r.ms} ms, ${(r.bytesUp / 2 ** 20).toFixed(2)} MiB up, ${(r.bytesDown / 2 ** 20).toFixed(2)} MiB down, rss ${(r.rssBytes / 2 ** 20).toFixed(0)} MiB`);
  });
  const shared = { model, session, turn: new AsyncLock() };
  const connected = Date.now();
  const transports = await Promise.all(Array.from({ length: clients }, (_, i) => GrpcClientTransport.connect({
    address: `127.0.0.1:${server.port}`, clientId: i + 1, token: `token-${i + 1}`, log: () => {},
  })));
  const connectMs = Date.now() - connected;
  const workers = transports.map((t, i) => new Client(t.endpoint(i + 1), shared, {
    id: i + 1, trainer: new Trainer(),
    data: new BatchSource([examples[i % examples.length]!], { batchSize: 1, gradAccum: 1, tokLen: 256, padId: 0, pack: true, seed: i }),
    heldOut: { val: [], test: [examples[i % examples.length]!] }, local: { steps: 1 }, lr: 1e-3, precision: 'fp32', maxGradNorm: 0,
    keepOptimizerState: false, evalBatchSize: 1, seed: 0,
  }, events));
  const fl = new Server(server.endpoint('server'), initial, {
    clientIds: workers.map((w) => w.id), totalRounds: rounds, sampling: {}, weighting: 'samples', personalized: false,
    evalEvery: 0, evalSplits: ['test'], bestKey: 'test_loss', earlyStop: { patience: 0, delta: 0 }, seed: 0, deadlineMs: 120_000,
  }, events);
  const finished = Promise.all(workers.map((w) => w.finished()));
  await Promise.all(workers.map((w) => w.join()));
  await fl.run();
  await finished;
  const ms = roundRecords.map((r) => r.ms).sort((a, b) => a - b);
  console.log(JSON.stringify({
    name: 'load',
    clients,
    rounds: roundRecords.length,
    connectMs,
    roundMsMedian: ms[Math.floor(ms.length / 2)],
    roundMsMax: ms.at(-1),
    serverRssBytes: Math.max(...roundRecords.map((r) => r.rssBytes)),
    adapterBytes: initial.data.byteLength,
  }));
  await Promise.all(transports.map((t) => t.shutdown()));
  await server.shutdown();
  await session.dispose();
  await model.dispose();
}
