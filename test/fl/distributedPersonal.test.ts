// Personalised FL over gRPC (`fsllm server` / `fsllm client` processes on 127.0.0.1): Ditto clients keep their
// personal adapters on their side, in a state file of their own written before every upload; a client
// killed with SIGKILL and started again with --resume reads it back (cursor, personal adapter), rejoins, and
// the run reports every client's personal adapter at the end.
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { clientStateFile, readClientState } from '../../lib/fl/clientStateFile.js';
import { tempDir } from './_support.js';
import { config, exitWithin, freePort, fsllm, killAll, startClients } from './_processes.js';

const dirs: string[] = [];
test.after(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a Ditto client killed mid-run resumes from its own state file; every personal adapter is reported', async () => {
  const dir = tempDir('fsllm-dist-pfl-');
  dirs.push(dir);
  const port = await freePort();
  const cfg = config(dir, port, { minClients: 3, deadlineSeconds: 60 });
  appendFileSync(cfg, 'personalization: { method: ditto, lambda: 0.1, localSteps: 2 }\n');
  const out = path.join(dir, 'out');
  const server = fsllm(['server', '--cfg', cfg]);
  await server.waitFor(/listening on/);
  const clients = startClients(cfg, [1, 2, 3]);
  await clients[2]!.waitFor(/client 3: round 2/);
  const state3 = clientStateFile(out, 3);
  assert.ok(existsSync(state3), 'client 3 wrote its state after round 1');
  assert.ok((await readClientState(state3))!.personal, 'with its personal adapter');
  clients[2]!.child.kill('SIGKILL');
  const again = fsllm(['client', '--cfg', cfg, '--id', '3', 'distribute.token=tok-3', '--resume']);
  assert.is(await exitWithin(server, 300_000), 0, server.out());
  assert.is(await exitWithin(again, 30_000), 0, again.out());
  assert.match(again.out(), /client 3: resumed from .*client-3\.safetensors \(data cursor, personal adapter\)/);
  for (const c of clients.slice(0, 2)) assert.is(await exitWithin(c, 30_000), 0, c.out());
  const records = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; round: number; target?: unknown; variant?: string; split?: string; metric?: string });
  const personal = records.filter((r) => r.kind === 'eval' && r.round === 3 && r.variant === 'personal' && r.split === 'test' && r.metric === 'loss').map((r) => r.target);
  assert.equal(personal.sort(), [1, 2, 3, 'global', 'mean'].sort(), 'round 3 reports every personal adapter');
  for (const id of [1, 2, 3]) assert.ok((await readClientState(clientStateFile(out, id)))!.personal, `client ${id}'s state file holds its personal adapter`);
});

test.run();
