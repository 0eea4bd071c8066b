// The gRPC transport over real sockets on 127.0.0.1: every message type both ways, large messages in
// chunks, refused chunks, authentication, TLS, replacement and reconnects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CHUNK_HEADER_BYTES } from '../../lib/comm/grpc/chunking.js';
import { GrpcClientTransport, GrpcServerTransport } from '../../lib/comm/grpc/index.js';
import { encodeMessage } from '../../lib/comm/messageFrame.js';
import type { Address, AnyMessage } from '../../lib/comm/messages.js';
import { FsllmError, InvalidArgumentError } from '../../lib/errors/index.js';
import { expectError } from '../native/_support.js';
import { adapter, clientMessages, makeCert, memoryLog, sameMessage, serverMessages, waitFor } from './_support.js';

const HOST = '127.0.0.1';
const TOKENS = { 1: 'alpha-token', 2: 'beta-token' };
const quiet = () => {};
const sizeOf = (ms: AnyMessage[]) => ms.reduce((n, m) => n + encodeMessage(m).byteLength, 0);

function collect(endpointOwner: { endpoint(a: Address): { onMessage(h: (from: Address, m: AnyMessage) => void): void } }, address: Address) {
  const got: Array<[Address, AnyMessage]> = [];
  endpointOwner.endpoint(address).onMessage((from, m) => void got.push([from, m]));
  return got;
}

// ---

type Ctx = { server: GrpcServerTransport; clients: GrpcClientTransport[] };
const roundTrip = suite<Ctx>('GrpcTransport round trip');
roundTrip.before(async (ctx) => {
  ctx.server = await GrpcServerTransport.listen({ host: HOST, port: 0, tokens: TOKENS, log: quiet });
  ctx.clients = await Promise.all(
    [1, 2].map((id) => GrpcClientTransport.connect({ address: `${HOST}:${ctx.server.port}`, clientId: id, token: TOKENS[id as 1 | 2], log: quiet })),
  );
});
roundTrip.after(async (ctx) => {
  await Promise.all(ctx.clients.map((c) => c.shutdown()));
  await ctx.server.shutdown();
});

roundTrip('should carry every message type both ways and count the encoded bytes', async ({ server, clients }) => {
  const atServer = collect(server, 'server');
  const atClient = clients.map((c, i) => collect(c, i + 1));
  const fromClients = [clientMessages(1), clientMessages(2)];
  const fromServer = serverMessages();
  await Promise.all(clients.map((c, i) => Promise.all(fromClients[i]!.map((m) => c.endpoint(i + 1).send('server', m)))));
  for (const id of [1, 2]) for (const m of fromServer) await server.endpoint('server').send(id, m);
  await waitFor(() => atServer.length === 6 && atClient.every((g) => g.length === 3), 5000, 'all messages');

  for (const id of [1, 2]) {
    const mine = atServer.filter(([from]) => from === id).map(([, m]) => m);
    assert.ok(mine.every((m, k) => sameMessage(m, fromClients[id - 1]![k]!)), `messages of client ${id} in order`);
    assert.ok(atClient[id - 1]!.every(([from, m], k) => from === 'server' && sameMessage(m, fromServer[k]!)));
    assert.is(clients[id - 1]!.endpoint(id).stats.bytesSent, sizeOf(fromClients[id - 1]!));
    assert.is(clients[id - 1]!.endpoint(id).stats.bytesReceived, sizeOf(fromServer));
  }
  assert.is(server.endpoint('server').stats.bytesReceived, sizeOf(fromClients.flat()));
  assert.is(server.endpoint('server').stats.bytesSent, 2 * sizeOf(fromServer));
  assert.equal(server.connectedClients(), [1, 2]);
});

roundTrip('should refuse a send to a client that is not connected :: ERR_FSLLM_PROTOCOL', async ({ server }) => {
  await expectError(() => server.endpoint('server').send(7, serverMessages()[0]!), FsllmError, 'ERR_FSLLM_PROTOCOL', /^Client 7 is not connected/);
});

roundTrip.run();

// ---

const big = suite('GrpcTransport large messages');

big('should move a 50 MB message in 1 MiB chunks, and refuse a corrupted one by closing that stream', async () => {
  const errors: unknown[] = [];
  const refused: Array<[number, FsllmError]> = [];
  const server = await GrpcServerTransport.listen({ host: HOST, port: 0, chunkBytes: 1 << 20, log: quiet });
  server.onError((e) => void errors.push(e));
  server.onRefused((id, e) => void refused.push([id, e]));
  let corrupt = false;
  let chunksSent = 0;
  const client = await GrpcClientTransport.connect({
    address: `${HOST}:${server.port}`,
    clientId: 3,
    chunkBytes: 1 << 20,
    log: quiet,
    reconnect: { retries: 20, delayMs: 50 },
    chunkHook: (chunk, index) => {
      chunksSent++;
      if (corrupt && index === 7) chunk[CHUNK_HEADER_BYTES + 100]! ^= 0x01;
    },
  });
  try {
    const got = collect(server, 'server');
    const huge: AnyMessage = { type: 'modelPara', round: 9, sampleSize: 1, adapter: adapter(50 << 20), train: { loss: 0, steps: 1, targetTokens: 1, msPerStep: 1 } };
    await client.endpoint(3).send('server', huge);
    assert.is(chunksSent, 51);
    await waitFor(() => got.length === 1, 15000, 'the 50 MB message');
    assert.ok(sameMessage(got[0]![1], huge));

    // The server closes the stream of a corrupted message; the client reconnects and is heard again.
    corrupt = true;
    await client.endpoint(3).send('server', { ...huge, round: 10 }).catch(() => {});
    corrupt = false;
    await waitFor(() => refused.length === 1, 15000, 'the refusal');
    await waitFor(() => client.state === 'connected' && server.connectedClients().includes(3), 5000, 'the reconnect');
    await client.endpoint(3).send('server', clientMessages(3)[0]!);
    await waitFor(() => got.length === 2, 15000, 'the message after the corrupted one');
    assert.is(got[1]![1].type, 'join');
    assert.is(refused[0]![0], 3);
    assert.match(refused[0]![1].message, /fails its sha256 check/);
    assert.is(refused[0]![1].code, 'ERR_FSLLM_PROTOCOL');
    assert.equal(errors, []);
  } finally {
    await client.shutdown();
    await server.shutdown();
  }
});

big.run();

// ---

type AuthCtx = { server: GrpcServerTransport; log: ReturnType<typeof memoryLog> };
const auth = suite<AuthCtx>('GrpcTransport auth');
auth.before(async (ctx) => {
  ctx.log = memoryLog();
  ctx.server = await GrpcServerTransport.listen({ host: HOST, port: 0, tokens: new Map([[1, 'alpha-token']]), log: ctx.log });
});
auth.after(async (ctx) => {
  await ctx.server.shutdown();
});

for (const [name, clientId, token, logged] of [
  ['wrong token', 1, 'nope', /client 1 sent a wrong token/],
  ['unknown client id', 9, 'alpha-token', /client 9 is unknown/],
  ['no token', 1, undefined, /client 1 sent a wrong token/],
] as const) {
  auth(`should refuse :: ${name} (UNAUTHENTICATED)`, async ({ server, log }) => {
    const e = await expectError(
      () => GrpcClientTransport.connect({ address: `${HOST}:${server.port}`, clientId, token, log: quiet, reconnect: { retries: 3, delayMs: 10 } }),
      FsllmError,
      'ERR_FSLLM_PROTOCOL',
      /could not connect .*UNAUTHENTICATED/,
    );
    assert.is((e.cause as { code: number }).code, grpc.status.UNAUTHENTICATED);
    assert.ok(log.lines.some(([level, line]) => level === 'warn' && logged.test(line)), 'logged');
    assert.is(log.lines.filter(([, line]) => logged.test(line)).length, 1, 'not retried');
    log.lines.length = 0;
    assert.equal(server.connectedClients(), []);
  });
}

auth('should accept the right token', async ({ server }) => {
  const client = await GrpcClientTransport.connect({ address: `${HOST}:${server.port}`, clientId: 1, token: 'alpha-token', log: quiet });
  assert.equal(server.connectedClients(), [1]);
  await client.shutdown();
  await waitFor(() => server.connectedClients().length === 0, 3000, 'the disconnect');
});

auth('should demand tls for a non-loopback host :: ERR_FSLLM_INVALID_ARG', async () => {
  await expectError(() => GrpcClientTransport.connect({ address: '10.1.2.3:50051', clientId: 1 }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^Expected TLS options .* for tls but received undefined/);
  await expectError(() => GrpcClientTransport.connect({ address: 'nohostport', clientId: 1 }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /for address/);
});

auth.run();

// ---

type TlsCtx = { dir: string; cert: Buffer; key: Buffer; otherCa: Buffer; server: GrpcServerTransport };
const tls = suite<TlsCtx>('GrpcTransport TLS');
tls.before(async (ctx) => {
  ctx.dir = mkdtempSync(path.join(tmpdir(), 'fsllm-grpc-tls-'));
  const { cert, key } = makeCert(ctx.dir, 'server');
  ctx.cert = cert;
  ctx.key = key;
  ctx.otherCa = makeCert(ctx.dir, 'other').cert;
  ctx.server = await GrpcServerTransport.listen({ host: HOST, port: 0, tls: { cert, key }, tokens: TOKENS, log: quiet });
});
tls.after(async (ctx) => {
  await ctx.server.shutdown();
  rmSync(ctx.dir, { recursive: true, force: true });
});

tls('should round-trip over TLS', async ({ server, cert }) => {
  const client = await GrpcClientTransport.connect({ address: `${HOST}:${server.port}`, clientId: 2, token: 'beta-token', tls: { ca: cert }, log: quiet });
  try {
    const atServer = collect(server, 'server');
    const atClient = collect(client, 2);
    await client.endpoint(2).send('server', clientMessages(2)[1]!);
    await waitFor(() => atServer.length === 1, 5000, 'the upload');
    const down = serverMessages()[0]!;
    await server.endpoint('server').send(2, down);
    await waitFor(() => atClient.length === 1, 5000, 'the download');
    assert.ok(sameMessage(atClient[0]![1], down));
    assert.is(atServer[0]![0], 2);
  } finally {
    await client.shutdown();
  }
});

tls('should fail with a CA that did not sign the server certificate', async ({ server, otherCa }) => {
  const e = await expectError(
    () => GrpcClientTransport.connect({ address: `${HOST}:${server.port}`, clientId: 2, token: 'beta-token', tls: { ca: otherCa }, log: quiet, reconnect: { retries: 0, delayMs: 0 } }),
    FsllmError,
    'ERR_FSLLM_PROTOCOL',
    /could not connect/,
  );
  assert.is((e.cause as { code: number }).code, grpc.status.UNAVAILABLE);
});

tls('should fail in plaintext against a TLS server', async ({ server }) => {
  await expectError(
    () => GrpcClientTransport.connect({ address: `${HOST}:${server.port}`, clientId: 2, token: 'beta-token', log: quiet, reconnect: { retries: 0, delayMs: 0 }, connectTimeoutMs: 3000 }),
    FsllmError,
    'ERR_FSLLM_PROTOCOL',
    /could not connect/,
  );
});

tls('mutual TLS: a client certificate the server trusts gets in, a client without one does not', async ({ cert, key }) => {
  // The client presents the same self-signed certificate the server trusts as its CA.
  const mtls = await GrpcServerTransport.listen({ host: HOST, port: 0, tls: { cert, key, ca: cert, requireClientCert: true }, tokens: TOKENS, log: quiet });
  try {
    const client = await GrpcClientTransport.connect({ address: `${HOST}:${mtls.port}`, clientId: 2, token: 'beta-token', tls: { ca: cert, cert, key }, log: quiet });
    const atServer = collect(mtls, 'server');
    await client.endpoint(2).send('server', clientMessages(2)[1]!);
    await waitFor(() => atServer.length === 1, 5000, 'the upload');
    await client.shutdown();
    await expectError(
      () => GrpcClientTransport.connect({ address: `${HOST}:${mtls.port}`, clientId: 2, token: 'beta-token', tls: { ca: cert }, log: quiet, reconnect: { retries: 0, delayMs: 0 }, connectTimeoutMs: 3000 }),
      FsllmError, 'ERR_FSLLM_PROTOCOL', /could not connect|UNAVAILABLE|handshake/i,
    );
  } finally {
    await mtls.shutdown({ force: true });
  }
});

tls.run();

// ---

const reconnect = suite('GrpcTransport reconnect');

reconnect('should replace the older connection of the same id, which stops', async () => {
  const server = await GrpcServerTransport.listen({ host: HOST, port: 0, log: quiet });
  const events: Array<[number, boolean]> = [];
  server.onConnection((id, up) => void events.push([id, up]));
  const first = await GrpcClientTransport.connect({ address: `${HOST}:${server.port}`, clientId: 4, log: quiet });
  const firstErrors: unknown[] = [];
  first.onError((e) => void firstErrors.push(e));
  const second = await GrpcClientTransport.connect({ address: `${HOST}:${server.port}`, clientId: 4, log: quiet });
  try {
    await waitFor(() => first.state === 'failed', 3000, 'the first connection to stop');
    assert.match((firstErrors[0] as Error).message, /replaced by a newer connection/);
    await expectError(() => first.endpoint(4).send('server', clientMessages(4)[0]!), FsllmError, 'ERR_FSLLM_PROTOCOL', /not connected to the server \(failed\)/);
    const got = collect(second, 4);
    await server.endpoint('server').send(4, serverMessages()[2]!);
    await waitFor(() => got.length === 1, 3000, 'the message to the newer connection');
    assert.equal(events, [[4, true], [4, true]]);
  } finally {
    await first.shutdown();
    await second.shutdown();
    await server.shutdown();
  }
});

reconnect('should reconnect after the server drops, refusing sends meanwhile', async () => {
  let server = await GrpcServerTransport.listen({ host: HOST, port: 0, log: quiet });
  const port = server.port;
  const client = await GrpcClientTransport.connect({ address: `${HOST}:${port}`, clientId: 5, log: quiet, reconnect: { retries: 50, delayMs: 50 } });
  const ups: boolean[] = [];
  client.onConnection((up) => void ups.push(up));
  try {
    await server.shutdown({ force: true });
    await waitFor(() => client.state === 'reconnecting', 3000, 'the drop');
    await expectError(() => client.endpoint(5).send('server', clientMessages(5)[0]!), FsllmError, 'ERR_FSLLM_PROTOCOL', /^Client 5 is not connected to the server \(reconnecting\); the message was not sent/);
    server = await GrpcServerTransport.listen({ host: HOST, port, log: quiet });
    const got = collect(server, 'server');
    await waitFor(() => client.state === 'connected', 5000, 'the reconnect');
    await client.endpoint(5).send('server', clientMessages(5)[0]!);
    await waitFor(() => got.length === 1, 3000, 'the message after reconnecting');
    assert.equal(ups, [false, true]);
  } finally {
    await client.shutdown();
    await server.shutdown();
  }
});

reconnect.run();
