// The ends of a distributed run, with real processes on 127.0.0.1: a server killed while clients train
// and resumed from its checkpoint (clients keep going), a server gone for good (clients give up after
// distribute.reconnectSeconds, non-zero and saying why), and a fatal server error (the server exits at once).
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { tempDir } from './_support.js';
import { config, exitWithin, freePort, fsllm, killAll, rounds, startClients, type Proc } from './_processes.js';

const dirs: string[] = [];
test.after(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder, its run.yaml, and a server started on it. */
async function start(minClients = 2, ...overrides: string[]): Promise<{ dir: string; cfg: string; server: Proc }> {
  const dir = tempDir('fsllm-restart-');
  dirs.push(dir);
  const cfg = config(dir, await freePort(), { minClients });
  const server = fsllm(['server', '--cfg', cfg, ...overrides]);
  await server.waitFor(/listening on/);
  return { dir, cfg, server };
}

const clientsOf = (cfg: string, ...overrides: string[]) => startClients(cfg, [1, 2, 3], ...overrides);

test('the server SIGKILLed while clients train, then resumed: the run finishes and every client exits 0', async () => {
  const { dir, cfg, server } = await start();
  const clients = clientsOf(cfg);
  await clients[0]!.waitFor(/client 1: round 2/);
  server.child.kill('SIGKILL');
  await server.exited;
  const second = fsllm(['server', '--cfg', cfg, '--resume']);
  assert.is(await exitWithin(second, 240_000), 0, second.out());
  assert.match(second.out(), /waiting for clients 1, 2, 3 to join \(resuming/);
  assert.match(second.out(), /done after 3 rounds/);
  assert.equal(rounds(dir).map((r) => r.round), [1, 2, 3]);
  for (const c of clients) assert.is(await exitWithin(c, 30_000), 0, c.out());
});

test('a client whose server is gone for good gives up after distribute.reconnectSeconds, non-zero and saying why', async () => {
  const { cfg, server } = await start();
  const clients = clientsOf(cfg, 'distribute.reconnectSeconds=3');
  await clients[0]!.waitFor(/client 1: round 1/);
  server.child.kill('SIGKILL');
  const killed = Date.now();
  for (const c of clients) {
    assert.is(await exitWithin(c, 30_000), 1, c.out());
    assert.match(c.out(), /gave up: the server was unreachable for 3 s \(distribute\.reconnectSeconds\)/);
  }
  const took = Date.now() - killed;
  assert.ok(took < 20_000, `clients exited ${took} ms after the server died`);
  console.log(`  clients gave up ${took} ms after the server was killed (reconnectSeconds 3)`);
});

test('a fatal server error: the server exits within seconds, and the clients exit non-zero saying the session ended', async () => {
  // Every update is needed and no retry is allowed: losing client 3 in round 2 fails the run.
  const { cfg, server } = await start(3, 'federate.maxRetries=0');
  const clients = clientsOf(cfg);
  await clients[2]!.waitFor(/client 3: round 2/);
  clients[2]!.child.kill('SIGKILL');
  await server.waitFor(/fsllm: ERR_FSLLM_/, 120_000);
  const failed = Date.now();
  assert.is(await exitWithin(server, 15_000), 1, server.out());
  const took = Date.now() - failed;
  assert.ok(took < 5_000, `the server exited ${took} ms after printing its error`);
  console.log(`  the server exited ${took} ms after printing its fatal error`);
  for (const c of clients.slice(0, 2)) {
    assert.is(await exitWithin(c, 30_000), 1, c.out());
    assert.match(c.out(), /ended client \d's session before finishing the run|gave up/);
  }
});

test.run();
