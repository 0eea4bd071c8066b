// The size of a client's message is checked as its chunks arrive: the size the first chunk declares before
// anything is buffered, and the bytes that follow against that declaration. A peer announcing 768 MiB is
// refused at its first chunk and the server's memory stays flat.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { GrpcClientTransport, GrpcServerTransport } from '../../lib/comm/grpc/index.js';
import type { FsllmError } from '../../lib/errors/index.js';
import { adapter, memoryLog, waitFor } from './_support.js';

const MiB = 1 << 20;
const TOKENS = { 2: 'two', 7: 'rogue' };
const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs rogueAnnouncer.ts against `port`; resolves with the status the server ended its stream with. */
function announce(port: number, mib: number, sent: number): Promise<{ code: number; details: string }> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', path.join(here, 'rogueAnnouncer.ts'), String(port), '7', TOKENS[7], String(mib), String(sent)];
    execFile(process.execPath, args, { cwd: path.resolve(here, '..', '..'), timeout: 20_000 }, (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout.trim().split('\n').at(-1)!)),
    );
  });
}

// ---

const announced = suite('GrpcServerTransport :: a message announced as 768 MiB');

announced('should be refused at its first chunk, the server RSS growing far less than what was sent', async () => {
  const log = memoryLog();
  const server = await GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tokens: TOKENS, log });
  const refused: FsllmError[] = [];
  server.onRefused((_id, e) => void refused.push(e));
  try {
    const sent = 64;
    const before = process.memoryUsage().rss;
    const status = await announce(server.port, 768, sent);
    const grown = process.memoryUsage().rss - before;
    console.log(`  (server rss grew by ${(grown / MiB).toFixed(1)} MiB while a peer sent ${sent} MiB of a 768 MiB message)`);

    assert.is(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /message 1 declares 805306368 bytes, over the limit of 536870912 \(maxMessageBytes\)/);
    assert.is(refused.length, 1);
    assert.ok(grown < 24 * MiB, `rss grew by ${(grown / MiB).toFixed(1)} MiB`);
    assert.ok(log.lines.some(([level, line]) => level === 'warn' && /^Refused client 7: .*over the limit/.test(line)));
  } finally {
    await server.shutdown();
  }
});

announced('control: with the limit above the announcement, the same chunks are buffered and the RSS shows it', async () => {
  const server = await GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tokens: TOKENS, maxMessageBytes: 1024 * MiB, log: () => {} });
  const before = process.memoryUsage().rss;
  const args = ['--import', 'tsx', path.join(here, 'rogueAnnouncer.ts'), String(server.port), '7', TOKENS[7], '768', '64'];
  const rogue = spawn(process.execPath, args, { cwd: path.resolve(here, '..', '..'), stdio: 'ignore' });
  try {
    // A bound for a loaded machine, not a speed check: the rogue is a fresh tsx process.
    await waitFor(() => process.memoryUsage().rss - before > 48 * MiB, 60_000, 'the server to buffer 48 MiB of the 64 MiB sent');
  } finally {
    rogue.kill('SIGKILL');
    await server.shutdown({ force: true });
  }
});

announced.run();

// ---

const limit = suite('GrpcServerTransport :: maxMessageBytes');

limit('should refuse an honest client\'s message over a lowered limit, then hear it again after it reconnects', async () => {
  const server = await GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tokens: TOKENS, maxMessageBytes: 2 * MiB, log: () => {} });
  const refused: Array<[number, FsllmError]> = [];
  const got: string[] = [];
  server.onRefused((id, e) => void refused.push([id, e]));
  server.endpoint('server').onMessage((_from, m) => void got.push(m.type));
  const client = await GrpcClientTransport.connect({ address: `127.0.0.1:${server.port}`, clientId: 2, token: TOKENS[2], log: () => {}, reconnect: { retries: 20, delayMs: 50 } });
  try {
    const train = { loss: 1, steps: 1, targetTokens: 1, msPerStep: 1 };
    await client.endpoint(2).send('server', { type: 'modelPara', round: 1, sampleSize: 1, adapter: adapter(3 * MiB), train }).catch(() => {});
    await waitFor(() => refused.length === 1, 5000, 'the refusal');
    assert.is(refused[0]![0], 2);
    assert.match(refused[0]![1].message, /declares \d+ bytes, over the limit of 2097152 \(maxMessageBytes\)/);
    await waitFor(() => client.state === 'connected' && server.connectedClients().includes(2), 5000, 'the reconnect');
    await client.endpoint(2).send('server', { type: 'modelPara', round: 1, sampleSize: 1, adapter: adapter(MiB), train });
    await waitFor(() => got.length === 1, 5000, 'the message under the limit');
    assert.equal(got, ['modelPara']);
  } finally {
    await client.shutdown();
    await server.shutdown();
  }
});

limit.run();
