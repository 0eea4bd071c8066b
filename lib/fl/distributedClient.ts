/**
 * One client of a distributed run (`fsllm client --cfg ... --id k`): loads the model and its own share of
 * the data (the same seeded split every participant computes), connects to the server over gRPC, and
 * trains and evaluates as the server asks until it sends `finish`. It rejoins by itself after a reconnect.
 * It keeps its own state in a file beside its output (clientStateFile.ts) and reads it back with --resume.
 * Its end is always explicit: `finish` resolves; the server ending the session without `finish`, or staying
 * unreachable past `distribute.reconnectSeconds`, rejects (a process whose loop runs dry would exit 0 unheard).
 */
import { EventEmitter } from 'node:events';
import { GrpcClientTransport } from '../comm/grpc/index.js';
import type { ResolvedOptions } from '../config/index.js';
import { fsllmError, invalidArg } from '../errors/index.js';
import { buildClient } from './buildClient.js';
import { clientStateFile, readClientState, writeClientState } from './clientStateFile.js';
import { openClientModel } from './clientModel.js';
import type { FedEmitter } from './events.js';
import { checkAdapterFitsMessages, maxMessageBytes } from './messageLimit.js';
import { prepareClients } from './prepareClients.js';
import { readTlsFile } from './tlsFiles.js';

export interface DistributedClientOptions {
  /** Events of this client's work (clientStart, step, warning). */
  events?: FedEmitter;
  signal?: AbortSignal;
  /** Reconnect attempts after a drop (or before the server is up), `delayMs` apart. Default `distribute.reconnectSeconds` × 1000 ms. */
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
    reconnect: options.reconnect ?? { retries: d.reconnectSeconds, delayMs: 1000 },
    maxMessageBytes: maxMessageBytes(o),
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
    checkAdapterFitsMessages(o, clientModel.initial);
    const prepared = (await prepareClients(o, clientModel.model.tokenizer!, (m) => events.emit('warning', m))).find((p) => p.id === clientId);
    if (!prepared) throw invalidArg('--id', `a client of this data split (1..${o.federate.clientNum ?? 'the number of categories'})`, clientId);
    transport = await connect(o, clientId, options, events);
    const failed = endOfSession(transport, o, clientId, events);
    failed.catch(() => {}); // raced below; it may reject while join() is still awaited
    const stateFile = clientStateFile(o.output.dir, clientId);
    const client = buildClient(o, prepared, {
      endpoint: transport.endpoint(clientId),
      model: clientModel,
      events,
      ...(options.signal ? { signal: options.signal } : {}),
      // Written before the update is sent: a server checkpoint that counts the update never outruns it.
      beforeUpload: (snapshot) => writeClientState(stateFile, snapshot),
    });
    const saved = o.output.resume ? await readClientState(stateFile) : null;
    if (saved) {
      client.restore(saved);
      events.emit('warning', `client ${clientId}: resumed from ${stateFile} (data cursor${saved.optimizer ? ', optimizer moments' : ''}${saved.personal ? ', personal adapter' : ''})`);
    }
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

/**
 * Rejects when the session ends other than by `finish`. A message that could not be sent while the client is
 * reconnecting is not an end: the server (retrying the round, or resumed from its checkpoint) sends the work
 * again after the client rejoins, so only a warning is given.
 */
function endOfSession(transport: GrpcClientTransport, o: ResolvedOptions, clientId: number, events: FedEmitter): Promise<never> {
  return new Promise<never>((_, reject) => {
    transport.onError((error) => {
      if (transport.state === 'reconnecting') {
        events.emit('warning', `${(error as Error).message}; the server will send the work again after this client rejoins`);
      } else if (transport.state === 'failed' && (error as { code?: string }).code === 'ERR_FSLLM_PROTOCOL' && /could not connect/.test((error as Error).message)) {
        reject(fsllmError('ERR_FSLLM_PROTOCOL', `Client ${clientId} gave up: the server was unreachable for ${o.distribute.reconnectSeconds} s (distribute.reconnectSeconds); start or restart the server (fsllm server --resume), or raise distribute.reconnectSeconds. ${(error as Error).message}`, { cause: error }));
      } else {
        reject(error);
      }
    });
    transport.onConnection((connected) => {
      if (!connected && transport.state === 'ended') {
        reject(fsllmError('ERR_FSLLM_PROTOCOL', `The server ended client ${clientId}'s session before finishing the run (no 'finish' arrived); the server's log says why (e.g. the run failed, or it stopped waiting for this client)`));
      }
    });
  });
}
