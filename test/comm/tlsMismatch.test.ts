// TLS mistakes fail fast and say so on both sides: a plaintext client against a TLS server, a client with
// the wrong CA, a TLS client against a plaintext server, a client without (or with an untrusted) certificate
// against a mutual-TLS server. Each client runs with the CLI's reconnect policy (60 × 1 s), which used to
// turn every one of these into a mute minute; a TLS mismatch is now final at the first attempt. Also: a
// normal TLS connection by IP address prints no deprecation warning (DEP0123).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { GrpcClientTransport, GrpcServerTransport, type GrpcClientTlsOptions } from '../../lib/comm/grpc/index.js';
import { FsllmError, InvalidArgumentError } from '../../lib/errors/index.js';
import { expectError } from '../native/_support.js';
import { makeCert, memoryLog, waitFor } from './_support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TOKENS = { 1: 'one' };
const CLI_RECONNECT = { retries: 60, delayMs: 1000 };
/** Generous for 2 shared cores; a mismatch takes a few hundred ms. */
const FAST_MS = 5000;

type Server = { transport: GrpcServerTransport; log: ReturnType<typeof memoryLog> };
type Ctx = {
  dir: string;
  server: { cert: Buffer; key: Buffer; certPath: string };
  other: { cert: Buffer; key: Buffer };
  tls: Server;
  plain: Server;
  mutual: Server;
};

async function start(opts: Omit<Parameters<typeof GrpcServerTransport.listen>[0], 'host' | 'port' | 'log' | 'tokens'>): Promise<Server> {
  const log = memoryLog();
  return { transport: await GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tokens: TOKENS, log, ...opts }), log };
}

const mismatch = suite<Ctx>('GrpcTransport :: TLS mismatches');
mismatch.before(async (ctx) => {
  ctx.dir = mkdtempSync(path.join(tmpdir(), 'fsllm-tls-mismatch-'));
  ctx.server = makeCert(ctx.dir, 'server');
  ctx.other = makeCert(ctx.dir, 'other');
  ctx.tls = await start({ tls: { cert: ctx.server.cert, key: ctx.server.key } });
  ctx.plain = await start({});
  ctx.mutual = await start({ tls: { cert: ctx.server.cert, key: ctx.server.key, ca: ctx.server.cert, requireClientCert: true } });
});
mismatch.after(async (ctx) => {
  for (const s of [ctx.tls, ctx.plain, ctx.mutual]) await s.transport.shutdown({ force: true });
  rmSync(ctx.dir, { recursive: true, force: true });
});

const CASES: Array<[name: string, server: (c: Ctx) => Server, tls: (c: Ctx) => GrpcClientTlsOptions | false, client: RegExp, logged: RegExp]> = [
  ['a plaintext client against a TLS server', (c) => c.tls, () => false,
    /TLS mismatch: the server at 127\.0\.0\.1:\d+ requires TLS but this client connects in plaintext; give the client the CA/,
    /^Refused a plaintext connection from 127\.0\.0\.1:\d+: this server requires TLS/],
  ['a TLS client with the wrong CA', (c) => c.tls, (c) => ({ ca: c.other.cert }),
    /TLS mismatch: this client does not trust the certificate of the server at 127\.0\.0\.1:\d+ \(DEPTH_ZERO_SELF_SIGNED_CERT/,
    /^Refused a TLS handshake from 127\.0\.0\.1:\d+: the client closed the connection during the handshake, most often because it does not trust this server's certificate/],
  ['a TLS client against a plaintext server', (c) => c.plain, (c) => ({ ca: c.server.cert }),
    /TLS mismatch: the server at 127\.0\.0\.1:\d+ does not speak TLS \(it is plaintext; ERR_SSL_WRONG_VERSION_NUMBER\)/,
    /^Refused a TLS connection from 127\.0\.0\.1:\d+: this server is plaintext/],
  ['a client without a certificate against a mutual-TLS server', (c) => c.mutual, (c) => ({ ca: c.server.cert }),
    /TLS mismatch: the server at 127\.0\.0\.1:\d+ closed the connection right after the TLS handshake: it requires a client certificate/,
    /^Refused a TLS connection from 127\.0\.0\.1:\d+: its client certificate is missing or not signed by this server's tls\.ca/],
  ['a client with an untrusted certificate against a mutual-TLS server', (c) => c.mutual, (c) => ({ ca: c.server.cert, cert: c.other.cert, key: c.other.key }),
    /TLS mismatch: the server at 127\.0\.0\.1:\d+ closed the connection right after the TLS handshake: it requires a client certificate/,
    /^Refused a TLS connection from 127\.0\.0\.1:\d+: its client certificate is missing or not signed by this server's tls\.ca/],
];

for (const [name, serverOf, tlsOf, client, logged] of CASES) {
  mismatch(`should fail within seconds, saying TLS and which side :: ${name}`, async (ctx) => {
    const server = serverOf(ctx);
    server.log.lines.length = 0;
    const started = Date.now();
    await expectError(
      () => GrpcClientTransport.connect({ address: `127.0.0.1:${server.transport.port}`, clientId: 1, token: TOKENS[1], tls: tlsOf(ctx), reconnect: CLI_RECONNECT, log: () => {} }),
      FsllmError,
      'ERR_FSLLM_PROTOCOL',
      client,
    );
    const elapsed = Date.now() - started;
    console.log(`  (${name}: the client failed after ${elapsed} ms)`);
    assert.ok(elapsed < FAST_MS, `took ${elapsed} ms`);
    await waitFor(() => server.log.lines.some(([level, line]) => level === 'warn' && logged.test(line)), 3000, 'the server to log the refusal');
    assert.equal(server.transport.connectedClients(), []);
  });
}

mismatch('should refuse to start with a key that does not belong to the certificate :: ERR_FSLLM_INVALID_ARG', async ({ server, other }) => {
  await expectError(
    () => GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tls: { cert: server.cert, key: other.key }, log: () => {} }),
    InvalidArgumentError,
    'ERR_FSLLM_INVALID_ARG',
    /^tls: the certificate, key or CA cannot be used \(.*\); give PEM data/,
  );
});

mismatch('a client with the right settings still gets in over mutual TLS', async ({ mutual, server }) => {
  const client = await GrpcClientTransport.connect({
    address: `127.0.0.1:${mutual.transport.port}`, clientId: 1, token: TOKENS[1], tls: { ca: server.cert, cert: server.cert, key: server.key }, log: () => {},
  });
  try {
    assert.equal(mutual.transport.connectedClients(), [1]);
  } finally {
    await client.shutdown();
  }
});

mismatch('should print no deprecation warning for TLS to an IP address (DEP0123), in a child process', async ({ tls, server }) => {
  const joined: number[] = [];
  tls.transport.endpoint('server').onMessage((from) => void joined.push(from as number));
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const args = ['--import', 'tsx', path.join(here, 'tlsChildClient.ts'), String(tls.transport.port), '1', TOKENS[1], server.certPath];
    execFile(process.execPath, args, { cwd: path.resolve(here, '..', '..'), timeout: 20_000 }, (error, out, err) => (error ? reject(error) : resolve({ stdout: out, stderr: err })));
  });
  assert.match(stdout, /joined over TLS/);
  assert.equal(joined, [1]);
  assert.not.match(stderr, /DEP0123|DeprecationWarning/, stderr);
});

mismatch.run();
