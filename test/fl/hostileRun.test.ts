// Issue 12 in a full distributed run: client 3 holds a valid token but answers the server's requests with
// every malformed chunk stream and frame of MALFORMED_CASES (test/comm/_hostileCases.ts), one per request,
// through rogueChunks.ts. Each message is refused with INVALID_ARGUMENT and logged with client 3's id and the
// reason; client 3 alone is dropped for the round, and `fsllm client` 1 and 2 finish the run with the server.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { MALFORMED_CASES } from '../comm/_hostileCases.js';
import { tempDir } from './_support.js';
import { config, exitWithin, freePort, fsllm, killAll, rounds, startClients, tsScript } from './_processes.js';

// The rogue sends a case only in answer to a request, so each one lands mid-run. It gets up to two requests
// a round (training, evaluation) plus round 0's evaluation, and misses one only when it is still reconnecting
// as the request goes out: 12 rounds give 25 requests for the 14 cases, and a round takes ~0.5 s.
const ROUNDS = 12;
// A case the server failed to refuse would hold its phase until this deadline instead of hanging the run.
const DEADLINE_SECONDS = 5;

const dirs: string[] = [];
test.after(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('each malformed message from client 3 mid-run drops client 3 alone; honest clients 1 and 2 finish the run', async () => {
  const dir = tempDir('fsllm-hostile-');
  dirs.push(dir);
  const port = await freePort();
  const cfg = config(dir, port);
  const overrides = [`federate.totalRounds=${ROUNDS}`, `federate.deadlineSeconds=${DEADLINE_SECONDS}`, 'train.localSteps=1', 'output.checkpointEvery=0'];
  const server = fsllm(['server', '--cfg', cfg, ...overrides]);
  // Honest clients retry until the server is up, so they load the model while it does; the rogue cannot.
  const honest = startClients(cfg, [1, 2], ...overrides);
  await server.waitFor(/listening on/);
  const rogue = tsScript('test/fl/rogueChunks.ts', [String(port), '3', 'tok-3', String(3 * DEADLINE_SECONDS)]);

  assert.is(await exitWithin(server, 240_000), 0, server.out());
  assert.match(server.out(), new RegExp(`done after ${ROUNDS} rounds`));
  assert.equal(rounds(dir).map((r) => r.round), Array.from({ length: ROUNDS }, (_, i) => i + 1));
  assert.is(await exitWithin(rogue, 30_000), 0, rogue.out());
  for (const c of honest) assert.is(await exitWithin(c, 30_000), 0, c.out());

  // One refusal per case, naming client 3 and the case's reason; honest clients are never refused.
  const refusals = server.out().split('\n').filter((line) => /Refused client \d+:/.test(line));
  assert.is(refusals.length, MALFORMED_CASES.length, refusals.join('\n'));
  assert.ok(refusals.every((line) => line.includes('Refused client 3: ')), refusals.join('\n'));
  for (const [name, , why] of MALFORMED_CASES) {
    assert.match(server.out(), new RegExp(`Refused client 3: [^\\n]*${why.source}`), `the server's refusal of ${name}`);
    assert.match(rogue.out(), new RegExp(`rogue 3: ${escaped(name)} \\(answering (modelPara|evaluate) of round \\d+\\): INVALID_ARGUMENT [^\\n]*${why.source}`), `the rogue's status for ${name}`);
  }

  // Every round aggregated the honest clients' updates.
  const trained = readFileSync(path.join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; round: number; client?: number })
    .filter((r) => r.kind === 'train');
  for (const id of [1, 2]) {
    const roundsOf = [...new Set(trained.filter((r) => r.client === id).map((r) => r.round))]; // a retried round records twice
    assert.equal(roundsOf, Array.from({ length: ROUNDS }, (_, i) => i + 1), `client ${id} trained every round`);
  }
  assert.ok(trained.every((r) => r.client !== 3), 'nothing from client 3 was aggregated');
});

test.run();
