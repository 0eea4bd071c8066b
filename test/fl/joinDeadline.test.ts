// The server's first wait for clients to join has federate.deadlineSeconds, fresh or resumed, with real
// `fsllm server` / `fsllm client` processes on 127.0.0.1. Client 3 never comes: too few joined fails the
// run naming it and the keys to change; enough (federate.minClients) starts the run without it.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { tempDir } from './_support.js';
import { config, exitWithin, freePort, fsllm, killAll, rounds, startClients } from './_processes.js';

/** The fix every too-few-joined message names. */
const FIX = /start the missing clients, raise federate\.deadlineSeconds, or lower federate\.minClients/;

const joins = suite<{ dirs: string[]; finished?: { dir: string; cfg: string } }>('fsllm server join deadline', { dirs: [] });

joins.after((ctx) => {
  killAll();
  for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
});

/** The clients whose update of `round` was recorded in `dir`/out/metrics.jsonl. */
const trainedIn = (dir: string, round: number) => readFileSync(path.join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n')
  .map((l) => JSON.parse(l) as { kind: string; round: number; client?: number })
  .filter((r) => r.kind === 'train' && r.round === round).map((r) => r.client).sort();

/** A fresh folder with a run.yaml for `config`'s options. */
async function runDir(ctx: { dirs: string[] }, options: Parameters<typeof config>[2]): Promise<{ dir: string; cfg: string }> {
  const dir = tempDir('fsllm-join-');
  ctx.dirs.push(dir);
  return { dir, cfg: config(dir, await freePort(), options) };
}

joins('should fail the run when fewer than every client joined by the deadline :: no minClients', async (ctx) => {
  const { cfg } = await runDir(ctx, { minClients: null, deadlineSeconds: 3, totalRounds: 1 });
  // Started with the server: they retry until it listens (reconnectSeconds bounds that if it is gone).
  const server = fsllm(['server', '--cfg', cfg]);
  const clients = startClients(cfg, [1, 2], 'distribute.reconnectSeconds=5');
  await server.waitFor(/listening on/);
  const listening = Date.now();
  assert.is(await exitWithin(server, 60_000), 1, server.out());
  const took = Date.now() - listening;
  const out = server.out();
  assert.match(out, /fsllm: ERR_FSLLM_PROTOCOL: [0-2] of 3 clients joined within 3 s \(federate\.deadlineSeconds\), and the run needs 3 \(missing: clients? (\d, )*3\)/);
  assert.match(out, FIX);
  assert.not.match(out, /done after/);
  assert.ok(took < 15_000, `the server exited ${took} ms after it started listening (deadline 3 s)`);
  console.log(`  ${/(\d) of 3 clients joined/.exec(out)?.[1]} of 3 joined; the server exited ${took} ms after listening (deadline 3 s)`);
  for (const c of clients) {
    assert.is(await exitWithin(c, 30_000), 1, c.out());
    assert.match(c.out(), /ended client \d's session before finishing the run|gave up/);
  }
});

joins('should start with the clients that joined when they are at least minClients, warning about the others', async (ctx) => {
  const { dir, cfg } = await runDir(ctx, { minClients: 2, deadlineSeconds: 10, totalRounds: 1 });
  const server = fsllm(['server', '--cfg', cfg]);
  const clients = startClients(cfg, [1, 2]);
  assert.is(await exitWithin(server, 180_000), 0, server.out());
  assert.match(server.out(), /warning: client 3 did not join within 10 s \(federate\.deadlineSeconds\); starting with clients 1, 2, enough for federate\.minClients 2; it may still join later/);
  assert.match(server.out(), /done after 1 rounds/);
  assert.equal(rounds(dir).map((r) => r.round), [1]);
  assert.equal(trainedIn(dir, 1), [1, 2]);
  for (const c of clients) assert.is(await exitWithin(c, 30_000), 0, c.out());
  ctx.finished = { dir, cfg };
});

joins('should apply the same deadline to a resumed server, after saying whom it waits for', async (ctx) => {
  assert.ok(ctx.finished, 'needs the finished run of the test before');
  // One more round than the finished run had, and a shorter deadline (a resume may change it); no client is started.
  const server = fsllm(['server', '--cfg', ctx.finished.cfg, '--resume', 'federate.totalRounds=2', 'federate.deadlineSeconds=5']);
  await server.waitFor(/listening on/);
  const listening = Date.now();
  assert.match(server.out(), /waiting for clients 1, 2, 3 to join \(resuming/);
  assert.is(await exitWithin(server, 60_000), 1, server.out());
  const took = Date.now() - listening;
  assert.match(server.out(), /fsllm: ERR_FSLLM_PROTOCOL: 0 of 3 clients joined within 5 s \(federate\.deadlineSeconds\), and the run needs 2 \(missing: clients 1, 2, 3\)/);
  assert.match(server.out(), FIX);
  assert.ok(took >= 4_000 && took < 20_000, `the resumed server failed ${took} ms after it started listening (deadline 5 s)`);
  assert.equal(rounds(ctx.finished.dir).map((r) => r.round), [1], 'no round was run');
});

joins.run();
