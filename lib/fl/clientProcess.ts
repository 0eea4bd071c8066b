/**
 * Entry point of a client that runs in its own process (federate.clientProcesses). The parent sends one
 * init message: the run options with model.path set to what this client may load (the emulator folder in
 * closed-model tuning; never the full model) and the client id. The client then sets itself up as a
 * distributed client does, talks to the server only through the IPC endpoint, and reports what it was given
 * and loaded when the run finishes.
 */
import { EventEmitter } from 'node:events';
import { ChildEndpoint, type IpcMessage } from '../comm/processTransport.js';
import type { ResolvedOptions } from '../config/index.js';
import { buildClient } from './buildClient.js';
import { openClientModel } from './clientModel.js';
import type { FedEmitter } from './events.js';
import { prepareClients } from './prepareClients.js';

/** The parent's init message. */
export interface ClientProcessInit {
  clientId: number;
  options: ResolvedOptions;
}

/** What the child reports at the end (the test of the process boundary reads it). */
export interface ClientProcessReport {
  done: true;
  /** The model this process loaded, and its number of blocks. */
  modelPath: string;
  numLayers: number;
  /** Every path-like string the process was given (its whole view of the file system's models and data). */
  givenPaths: string[];
}

/** String values of `value` that look like file paths. */
function pathsIn(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('/') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(pathsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(pathsIn);
  return [];
}

function fail(error: unknown): never {
  process.stderr.write(`fsllm client process: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}

async function main(init: ClientProcessInit): Promise<void> {
  const o = init.options;
  const clientModel = await openClientModel(o, o.offsite ? o.model.path : null);
  const { model } = clientModel;
  const prepared = (await prepareClients(o, model.tokenizer!, () => undefined)).find((p) => p.id === init.clientId);
  if (!prepared) throw new Error(`the data has no client ${init.clientId}`);
  const client = buildClient(o, prepared, {
    endpoint: new ChildEndpoint(init.clientId, fail),
    model: clientModel,
    events: new EventEmitter() as FedEmitter,
  });
  const finished = client.finished();
  await client.join();
  await finished;
  const report: ClientProcessReport = { done: true, modelPath: model.source, numLayers: model.config.numLayers, givenPaths: pathsIn(init) };
  await new Promise<void>((resolve) => process.send!({ kind: 'control', from: init.clientId, body: report } satisfies IpcMessage, () => resolve()));
  await clientModel.dispose();
  process.disconnect();
}

process.once('message', (raw) => {
  const message = raw as IpcMessage;
  if (message.kind !== 'control') fail(new Error('the first message must be the init message'));
  main(message.body as ClientProcessInit).catch(fail);
});
