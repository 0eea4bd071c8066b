// A client with a valid token that speaks the chunk protocol badly, or sends messages without the shape of
// their type: each malformed message is refused, the refusal is logged with the client's id, the client's
// stream is closed (the layer above hears it as lost), nothing reaches onError, and an honest client on the
// same server carries on.
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { GrpcClientTransport, GrpcServerTransport } from '../../lib/comm/grpc/index.js';
import type { Address, AnyMessage } from '../../lib/comm/messages.js';
import type { FsllmError } from '../../lib/errors/index.js';
import { MALFORMED_CASES } from './_hostileCases.js';
import { connectRogue } from './_rogue.js';
import { clientMessages, memoryLog, serverMessages, waitFor } from './_support.js';

const TOKENS = { 1: 'honest-token', 7: 'rogue-token' };

// ---

type Ctx = {
  server: GrpcServerTransport;
  honest: GrpcClientTransport;
  log: ReturnType<typeof memoryLog>;
  errors: unknown[];
  refused: Array<[number, FsllmError]>;
  connections: Array<[number, boolean]>;
  atServer: Array<[Address, AnyMessage]>;
  atHonest: AnyMessage[];
};
const hostile = suite<Ctx>('GrpcServerTransport :: malformed messages from a client');
hostile.before(async (ctx) => {
  ctx.log = memoryLog();
  ctx.errors = [];
  ctx.refused = [];
  ctx.connections = [];
  ctx.atServer = [];
  ctx.atHonest = [];
  ctx.server = await GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tokens: TOKENS, log: ctx.log });
  ctx.server.onError((e) => void ctx.errors.push(e));
  ctx.server.onRefused((id, e) => void ctx.refused.push([id, e]));
  ctx.server.onConnection((id, up) => void ctx.connections.push([id, up]));
  ctx.server.endpoint('server').onMessage((from, m) => void ctx.atServer.push([from, m]));
  ctx.honest = await GrpcClientTransport.connect({ address: `127.0.0.1:${ctx.server.port}`, clientId: 1, token: TOKENS[1], log: () => {} });
  ctx.honest.endpoint(1).onMessage((_from, m) => void ctx.atHonest.push(m));
});
hostile.after(async (ctx) => {
  await ctx.honest.shutdown();
  await ctx.server.shutdown();
});

for (const [name, chunks, why] of MALFORMED_CASES) {
  hostile(`should refuse client 7 alone :: ${name}`, async (ctx) => {
    const { server, honest, log, errors, refused, connections, atServer, atHonest } = ctx;
    [log.lines, refused, connections, atServer, atHonest].forEach((list) => (list.length = 0));
    const rogue = await connectRogue(server.port, '7', TOKENS[7]);
    try {
      for (const chunk of chunks()) rogue.write(chunk);
      const status = await Promise.race([rogue.status, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no status within 5 s')), 5000))]);
      assert.is(status.code, grpc.status.INVALID_ARGUMENT, 'the rogue stream is ended with INVALID_ARGUMENT');
      assert.match(status.details, why);

      await waitFor(() => connections.some(([id, up]) => id === 7 && !up), 3000, 'client 7 to be reported lost');
      assert.is(refused.length, 1);
      assert.is(refused[0]![0], 7);
      assert.is(refused[0]![1].code, 'ERR_FSLLM_PROTOCOL');
      assert.match(refused[0]![1].message, why);
      const warned = log.lines.filter(([level, line]) => level === 'warn' && /^Refused client 7: /.test(line));
      assert.is(warned.length, 1, 'one logged refusal naming the client');
      assert.match(warned[0]![1], why);
      assert.equal(errors, [], 'nothing reaches onError');
      assert.equal(server.connectedClients(), [1]);

      // The honest client is untouched, both ways.
      await honest.endpoint(1).send('server', clientMessages(1)[0]!);
      await server.endpoint('server').send(1, serverMessages()[2]!);
      await waitFor(() => atServer.length === 1 && atHonest.length === 1, 5000, 'the honest round trip');
      assert.is(atServer[0]![0], 1);
    } finally {
      rogue.close();
    }
  });
}

hostile('should keep serving a client that reconnects after a refusal', async ({ server, atServer }) => {
  atServer.length = 0;
  const first = await connectRogue(server.port, '7', TOKENS[7]);
  first.write(Buffer.alloc(3));
  assert.is((await first.status).code, grpc.status.INVALID_ARGUMENT);
  first.close();
  const again = await GrpcClientTransport.connect({ address: `127.0.0.1:${server.port}`, clientId: 7, token: TOKENS[7], log: () => {} });
  try {
    await again.endpoint(7).send('server', clientMessages(7)[0]!);
    await waitFor(() => atServer.length === 1, 5000, 'the join after the refusal');
    assert.is(atServer[0]![0], 7);
  } finally {
    await again.shutdown();
  }
});

hostile.run();

// ---

const ids = suite('GrpcServerTransport :: client ids in the log');

ids('should clip a 5,000-character client id to 64 characters plus its length', async () => {
  const log = memoryLog();
  const server = await GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tokens: TOKENS, log });
  try {
    for (const id of ['9'.repeat(5000), 'x'.repeat(5000)]) {
      await connectRogue(server.port, id, 'whatever').then(
        (r) => (r.close(), assert.unreachable('a bad id is refused')),
        (e: Error) => assert.match(e.message, /rogue refused at connect/),
      );
    }
    const refusals = log.lines.filter(([, line]) => /Refused a connection/.test(line));
    assert.is(refusals.length, 2);
    for (const [, line] of refusals) {
      assert.ok(line.length < 300, `log line of ${line.length} chars`);
      assert.match(line, /…\(5000 chars\)/);
    }
    assert.match(refusals[0]![1], new RegExp(`"${'9'.repeat(64)}…\\(5000 chars\\)" is not a positive integer`));
  } finally {
    await server.shutdown();
  }
});

ids.run();
