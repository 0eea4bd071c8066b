// A client process with a valid token that answers a running server with malformed chunk streams and frames,
// one case of MALFORMED_CASES per connection: it joins, waits for a training or evaluation request (so the
// case lands while the run is in progress and the server is waiting on this client), writes the case's
// chunks, reads the status the server ends the stream with, and reconnects for the next case. Prints one line
// per case; exits 0 when every case was refused with INVALID_ARGUMENT, else 1 (also when the run finishes, or
// no request comes, before every case was sent).
//
//   node --import tsx test/fl/rogueChunks.ts PORT ID TOKEN [SECONDS]
//
// SECONDS (default 15) bounds each wait for a request after the first, so the script never hangs; the first
// wait is longer because the run starts only once every client, the honest ones loading a model, has joined.
import * as grpc from '@grpc/grpc-js';

import type { ServerMessage } from '../../lib/comm/messages.js';
import { MALFORMED_CASES } from '../comm/_hostileCases.js';
import { connectRogue, messageChunk } from '../comm/_rogue.js';

const FIRST_REQUEST_MS = 120_000;
const STATUS_MS = 5_000;

const [port, id, token, seconds = '15'] = process.argv.slice(2);

/** `promise`, or a rejection saying what did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Sends case `index` on a fresh connection; returns whether the server refused it with INVALID_ARGUMENT. */
async function sendCase(index: number): Promise<boolean> {
  const [name, chunks] = MALFORMED_CASES[index]!;
  const rogue = await connectRogue(Number(port), id!, token!);
  try {
    // The join is message 0, so the case's chunks are message 1, as their expected reasons say.
    rogue.write(messageChunk({ type: 'join', clientId: Number(id), trainSamples: 10 }, 0));
    const request = (await within(rogue.firstMessage, index === 0 ? FIRST_REQUEST_MS : Number(seconds) * 1000, 'request from the server')) as ServerMessage;
    if (request.type === 'finish') throw new Error(`the run finished (round ${request.round}) before this case was sent`);
    for (const chunk of chunks()) rogue.write(chunk);
    const status = await within(rogue.status, STATUS_MS, 'status after the case was sent');
    console.log(`rogue ${id}: ${name} (answering ${request.type} of round ${request.round}): ${grpc.status[status.code]} ${status.details}`);
    return status.code === grpc.status.INVALID_ARGUMENT;
  } finally {
    rogue.close();
  }
}

let refused = 0;
let index = 0;
try {
  for (; index < MALFORMED_CASES.length; index++) if (await sendCase(index)) refused++;
} catch (error) {
  console.log(`rogue ${id}: ${MALFORMED_CASES[index]![0]}: ${(error as Error).message}`);
}
console.log(`rogue ${id}: ${refused} of ${MALFORMED_CASES.length} cases refused with INVALID_ARGUMENT`);
process.exit(refused === MALFORMED_CASES.length ? 0 : 1);
