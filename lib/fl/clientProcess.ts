/**
 * Entry point of a client that runs in its own process (federate.clientProcesses). The parent sends one
 * init message: the run options with model.path set to what this client may load (the emulator folder in
 * closed-model tuning; never the full model), the client id and, in a resumed run, the client's checkpointed
 * state. The client then sets itself up as a distributed client does, talks to the server only through the
 * IPC endpoint, sends its state to the parent with every update (the parent checkpoints it), and reports
 * what it was given and loaded when the run finishes. Control messages are in clientProcessControl.ts.
 */
import { EventEmitter } from 'node:events';
import { ChildEndpoint, type IpcMessage } from '../comm/processTransport.js';
import { buildClient } from './buildClient.js';
import { openClientModel } from './clientModel.js';
import type { ClientProcessControl, ClientProcessInit } from './clientProcessControl.js';
import type { FedEmitter } from './events.js';
import { prepareClients } from './prepareClients.js';

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

/** Sends `body` to the parent; resolves once it is written to the channel (messages keep their order). */
function sendControl(clientId: number, body: ClientProcessControl): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!({ kind: 'control', from: clientId, body } satisfies IpcMessage, undefined, {}, (e) => (e ? reject(e) : resolve()));
  });
}

async function main(init: ClientProcessInit): Promise<void> {
  const o = init.options;
  const clientModel = await openClientModel(o, o.offsite ? o.model.path : null);
  const { model } = clientModel;
  const prepared = (await prepareClients(o, model.tokenizer!, () => undefined)).find((p) => p.id === init.clientId);
  if (!prepared) throw new Error(`the data has no client ${init.clientId}`);
  // The parent closing the channel first means the run ended without this client (it failed or was
  // cancelled): nobody will read its work, so the local fit is aborted and the process ends once the model
  // is released. Not process.exit() at once: that tears the addon down under a running train step.
  const orphaned = new AbortController();
  let reporting = false;
  process.once('disconnect', () => {
    if (reporting) return;
    orphaned.abort();
    clientModel.dispose().finally(() => process.exit(0));
  });
  const client = buildClient(o, prepared, {
    // Once orphaned, the aborted fit and the sends to a closed channel are expected; they are no failure.
    endpoint: new ChildEndpoint(init.clientId, (error) => orphaned.signal.aborted || fail(error)),
    model: clientModel,
    events: new EventEmitter() as FedEmitter,
    signal: orphaned.signal,
    // Sent on the channel the update follows on, so the parent has it before the update counts in a round.
    beforeUpload: (snapshot) => sendControl(init.clientId, { kind: 'snapshot', snapshot }),
  });
  if (init.snapshot) client.restore(init.snapshot);
  const finished = client.finished();
  await client.join();
  await finished;
  reporting = true;
  // Paths of what the parent sent, not of the restored state (a snapshot holds only numbers).
  const { snapshot: _state, ...given } = init;
  await sendControl(init.clientId, { kind: 'report', report: { modelPath: model.source, numLayers: model.config.numLayers, givenPaths: pathsIn(given) } });
  await clientModel.dispose();
  process.disconnect();
}

process.once('message', (raw) => {
  const message = raw as IpcMessage;
  const init = message.kind === 'control' ? (message.body as ClientProcessInit) : null;
  if (init?.kind !== 'init') fail(new Error('the first message must be the init message'));
  main(init).catch(fail);
});
