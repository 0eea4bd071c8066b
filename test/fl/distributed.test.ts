// Distributed mode as users run it: `fsllm server` and `fsllm client` as real processes over gRPC on
// 127.0.0.1. A client killed with SIGKILL mid-run, a client with a wrong token, and a server killed and
// restarted from its checkpoint: each run still finishes with every round recorded.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { tempDir } from './_support.js';
import { children, config, freePort, fsllm, killAll, root, rounds } from './_processes.js';
import { SAMPLE_DATASETS } from '../helpers/paths.js';

const dirs: string[] = [];
test.after(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a client killed with SIGKILL is dropped and the run finishes with the others; a wrong token is refused', async () => {
  const dir = tempDir('fsllm-dist-');
  dirs.push(dir);
  const port = await freePort();
  const cfg = config(dir, port);
  const server = fsllm(['server', '--cfg', cfg]);
  await server.waitFor(/listening on 127\.0\.0\.1/);
  const intruder = fsllm(['client', '--cfg', cfg, '--id', '2', 'distribute.token=wrong']);
  const clients = [1, 2, 3].map((id) => fsllm(['client', '--cfg', cfg, '--id', String(id), `distribute.token=tok-${id}`]));
  assert.is(await intruder.exited, 1, 'the intruder exits with an error');
  assert.match(intruder.out(), /UNAUTHENTICATED|unauthenticated|token/i);
  await clients[2]!.waitFor(/client 3: round 2/);
  clients[2]!.child.kill('SIGKILL');
  assert.is(await server.exited, 0, server.out());
  assert.match(server.out(), /done after 3 rounds/);
  assert.match(server.out(), /Client 3 disconnected|Client 3 could not be sent|no update from clients 3/);
  const recorded = rounds(dir);
  assert.equal(recorded.map((r) => r.round), [1, 2, 3]);
  for (const c of clients.slice(0, 2)) assert.is(await c.exited, 0, c.out());
});

test('a client killed mid-run and started again rejoins: the round is retried with it', async () => {
  const dir = tempDir('fsllm-dist-');
  dirs.push(dir);
  const port = await freePort();
  const cfg = config(dir, port, { minClients: 3 });
  const server = fsllm(['server', '--cfg', cfg]);
  await server.waitFor(/listening on/);
  const clients = [1, 2, 3].map((id) => fsllm(['client', '--cfg', cfg, '--id', String(id), `distribute.token=tok-${id}`]));
  await clients[2]!.waitFor(/client 3: round 2/);
  clients[2]!.child.kill('SIGKILL');
  const again = fsllm(['client', '--cfg', cfg, '--id', '3', 'distribute.token=tok-3']);
  assert.is(await server.exited, 0, server.out());
  assert.match(server.out(), /retrying the round/);
  const train = readFileSync(path.join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; round: number; client?: number })
    .filter((r) => r.kind === 'train' && r.client === 3).map((r) => r.round);
  assert.ok(train.includes(2) && train.includes(3), `client 3 trained in rounds ${train.join(', ')} after rejoining`);
  assert.is(await again.exited, 0, again.out());
  for (const c of clients.slice(0, 2)) assert.is(await c.exited, 0, c.out());
});

test('bad updates and metrics from a separate client process over gRPC are refused and logged; the run finishes', async () => {
  for (const mode of ['nan', 'shape', 'oversize', 'train', 'metrics'] as const) {
    const dir = tempDir('fsllm-dist-');
    dirs.push(dir);
    const port = await freePort();
    const cfg = config(dir, port);
    const server = fsllm(['server', '--cfg', cfg]);
    await server.waitFor(/listening on/);
    const rogue = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/fl/rogueClient.ts'), String(port), '3', 'tok-3', mode], { cwd: root, stdio: 'ignore' });
    children.push(rogue);
    const clients = [1, 2].map((id) => fsllm(['client', '--cfg', cfg, '--id', String(id), `distribute.token=tok-${id}`]));
    assert.is(await server.exited, 0, server.out());
    const reason = {
      nan: /value 3 is NaN/, shape: /not the global adapter's tensors and shapes/, oversize: /over the limit/,
      train: /training record|train: /, metrics: /loss sum -1000000000000 is not a finite non-negative number/,
    }[mode];
    assert.match(server.out(), mode === 'metrics' ? /Dropped a metrics message from client 3/ : /client 3/);
    assert.match(server.out(), reason);
    assert.equal(rounds(dir).map((r) => r.round), [1, 2, 3]);
    // The refused losses never reach the merged evaluation that picks the best round.
    const evals = readFileSync(path.join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; value?: number })
      .filter((r) => r.kind === 'eval');
    assert.ok(evals.length > 0 && evals.every((r) => r.value === undefined || (Number.isFinite(r.value) && r.value >= 0)), JSON.stringify(evals.slice(0, 3)));
    for (const c of clients) assert.is(await c.exited, 0, c.out());
  }
});

test('FedBiOT over gRPC: clients run on the emulator folder only and get the re-aligned emulator LoRA', async () => {
  const dir = tempDir('fsllm-dist-');
  dirs.push(dir);
  const port = await freePort();
  const cfg = config(dir, port);
  writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}offsite: { algorithm: fedbiot, adapterLayers: 1, dropRate: 0.5, align: { data: { type: dolly-15k, root: ${SAMPLE_DATASETS}, subsample: 0.35 }, preSteps: 5, stepsPerRound: 2 } }\n`);
  const server = fsllm(['server', '--cfg', cfg]);
  await server.waitFor(/emulator for the clients: /);
  const emulator = /emulator for the clients: (.+)/.exec(server.out())![1]!.trim();
  const clients = [1, 2, 3].map((id) => fsllm(['client', '--cfg', cfg, '--id', String(id), `distribute.token=tok-${id}`, `model.path=${emulator}`]));
  assert.is(await server.exited, 0, server.out());
  assert.match(server.out(), /AdapEmu test loss .* AdapFu test loss/);
  assert.match(server.out(), /round 3 alignment/);
  assert.equal(rounds(dir).map((r) => r.round), [1, 2, 3]);
  for (const c of clients) assert.is(await c.exited, 0, c.out());
});

test('the server killed with SIGKILL restarts from its checkpoint; clients reconnect by themselves', async () => {
  const dir = tempDir('fsllm-dist-');
  dirs.push(dir);
  const port = await freePort();
  const cfg = config(dir, port);
  const first = fsllm(['server', '--cfg', cfg]);
  await first.waitFor(/listening on/);
  const clients = [1, 2, 3].map((id) => fsllm(['client', '--cfg', cfg, '--id', String(id), `distribute.token=tok-${id}`]));
  await first.waitFor(/round 1\/3 {2}train loss/);
  first.child.kill('SIGKILL');
  await first.exited;
  const second = fsllm(['server', '--cfg', cfg, '--resume']);
  assert.is(await second.exited, 0, second.out());
  assert.match(second.out(), /done after 3 rounds/);
  assert.equal(rounds(dir).map((r) => r.round), [1, 2, 3], 'round 1 from before the crash, 2 and 3 after');
  for (const c of clients) assert.is(await c.exited, 0, c.out());
});

test.run();
