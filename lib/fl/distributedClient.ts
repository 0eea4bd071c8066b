/**
 * One client of a distributed run (`fsllm client --cfg ... --id k`): loads the model and its own share of
 * the data (the same seeded split every participant computes), connects to the server over gRPC, and
 * trains and evaluates as the server asks until it sends `finish`. It rejoins by itself after a reconnect.
 */
import { EventEmitter } from 'node:events';
import { GrpcClientTransport } from '../comm/grpc/index.js';
import type { ResolvedOptions } from '../config/index.js';
import { fsllmError, invalidArg } from '../errors/index.js';
import { buildClient } from './buildClient.js';
import { openClientModel } from './clientModel.js';
import type { FedEmitter } from './events.js';
import { prepareClients } from './prepareClients.js';
import { readTlsFile } from './tlsFiles.js';

export interface DistributedClientOptions {
  /** Events of this client's work (clientStart, step, warning). */
  events?: FedEmitter;
  signal?: AbortSignal;
  /** Reconnect attempts after a drop (or before the server is up), `delayMs` apart. Default 60 × 1000 ms. */
  reconnect?: { retries: number; delayMs: number };
}

/** Connects to the server of `o.distribute` as `clientId`, with the TLS files and token the options name. */
async function connect(o: ResolvedOptions, clientId: number, options: DistributedClientOptions, events: FedEmitter): Promise<GrpcClientTransport> {
  const d = o.distribute;
  const tls = d.tls?.ca ? {
    ca: await readTlsFile('ca', d.tls.ca),
    ...(d.tls.cert ? { cert: await readTlsFile('cert', d.tls.cert) } : {}),
    ...(d.tls.key ? { key: await readTlsFile('key', d.tls.key) } : {}),
  } : false as const;
  return GrpcClientTransport.connect({
    address: `${d.host}:${d.port}`,
    clientId,
    ...(d.token ? { token: d.token } : {}),
    tls,
    insecure: d.insecure,
    reconnect: options.reconnect ?? { retries: 60, delayMs: 1000 },
    log: (level, message) => {
      if (level !== 'info') events.emit('warning', message);
    },
  });
}

/** Runs client `clientId` until the server finishes the run. */
export async function runDistributedClient(o: ResolvedOptions, clientId: number, options: DistributedClientOptions = {}): Promise<void> {
  if (!Number.isInteger(clientId) || clientId < 1) throw invalidArg('--id', 'a client id (integer ≥ 1)', clientId);
  const events = options.events ?? (new EventEmitter() as FedEmitter);
  // Closed-model tuning: model.path is the emulator folder the owner shipped; its manifest holds the plan.
  const clientModel = await openClientModel(o, o.offsite ? o.model.path : null);
  let transport: GrpcClientTransport | null = null;
  try {
    const prepared = (await prepareClients(o, clientModel.model.tokenizer!, (m) => events.emit('warning', m))).find((p) => p.id === clientId);
    if (!prepared) throw invalidArg('--id', `a client of this data split (1..${o.federate.clientNum ?? 'the number of categories'})`, clientId);
    transport = await connect(o, clientId, options, events);
    const failed = new Promise<never>((_, reject) => transport!.onError(reject));
    const client = buildClient(o, prepared, {
      endpoint: transport.endpoint(clientId),
      model: clientModel,
      events,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // After a reconnect (e.g. the server restarted from its checkpoint) the server must hear from us again.
    transport.onConnection((connected) => {
      if (connected) client.join().catch((error: unknown) => events.emit('warning', `rejoin failed: ${(error as Error).message}`));
    });
    const finished = client.finished();
    await client.join();
    const aborted = new Promise<never>((_, reject) => options.signal?.addEventListener('abort', () => reject(fsllmError('ERR_FSLLM_ABORTED', `Client ${clientId} was aborted`)), { once: true }));
    await Promise.race([finished, failed, aborted]);
  } finally {
    await transport?.shutdown();
    await clientModel.dispose();
  }
}
