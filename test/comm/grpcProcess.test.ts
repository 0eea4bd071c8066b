// A client in a real child process: it joins over gRPC, is killed with SIGKILL, the server sees it leave,
// and a new process with the same id joins again and answers.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { GrpcServerTransport } from '../../lib/comm/grpc/index.js';
import type { Address, AnyMessage } from '../../lib/comm/messages.js';
import { adapter, waitFor } from './_support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

function startChild(port: number, id: number, token: string): ChildProcess & { out: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'childClient.ts'), `127.0.0.1:${port}`, String(id), token], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out: string[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(...d.toString().split('\n').filter(Boolean)));
  return Object.assign(child, { out });
}

type Ctx = { server: GrpcServerTransport; got: Array<[Address, AnyMessage]>; events: Array<[number, boolean]>; children: ChildProcess[] };
const proc = suite<Ctx>('GrpcTransport child process');
proc.before(async (ctx) => {
  ctx.server = await GrpcServerTransport.listen({ host: '127.0.0.1', port: 0, tokens: { 6: 'six' }, log: () => {} });
  ctx.got = [];
  ctx.events = [];
  ctx.children = [];
  ctx.server.endpoint('server').onMessage((from, m) => void ctx.got.push([from, m]));
  ctx.server.onConnection((id, up) => void ctx.events.push([id, up]));
});
proc.after(async (ctx) => {
  for (const c of ctx.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await ctx.server.shutdown();
});

proc('should see a killed client leave and a new process with its id come back', async (ctx) => {
  const { server, got, events } = ctx;
  const first = startChild(server.port, 6, 'six');
  ctx.children.push(first);
  await waitFor(() => got.length === 1, 15000, 'the first join');
  assert.equal(got[0], [6, { type: 'join', clientId: 6, trainSamples: 60 }]);

  first.kill('SIGKILL');
  await waitFor(() => events.length === 2, 10000, 'the disconnect');
  assert.equal(events, [[6, true], [6, false]]);
  assert.equal(server.connectedClients(), []);

  const second = startChild(server.port, 6, 'six');
  ctx.children.push(second);
  await waitFor(() => got.length === 2, 15000, 'the second join');
  await server.endpoint('server').send(6, { type: 'evaluate', round: 3, adapter: adapter(2 << 20), splits: ['val'] });
  await waitFor(() => got.length === 3, 10000, 'the metrics');
  assert.equal(got[2], [6, { type: 'metrics', round: 3, results: [{ split: 'val', lossSum: 6, tokens: 10 }] }]);
  assert.equal(events, [[6, true], [6, false], [6, true]]);
  assert.ok(second.out.includes('got evaluate'));
});

proc.run();
