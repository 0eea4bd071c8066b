// The server's wait for clients, phase by phase: settled clients, lost clients, deadlines and abort.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ClientWaiter } from '../../../lib/fl/ClientWaiter.js';

const waiter = suite('ClientWaiter');

waiter('should resolve once every awaited client is settled', async () => {
  const w = new ClientWaiter(() => {});
  const done = w.wait('modelPara', 2, [1, 2], 0, undefined);
  assert.equal([...w.current!.pending], [1, 2]);
  w.settle(1);
  assert.is(w.current?.phase, 'modelPara');
  w.settle(2);
  await done;
  assert.is(w.current, null);
});

waiter('should resolve at once for nobody', async () => {
  const w = new ClientWaiter(() => {});
  await w.wait('join', 0, [], 0, undefined);
  assert.is(w.current, null);
});

waiter('should drop a lost client with a warning naming it and the round', async () => {
  const warnings: string[] = [];
  const w = new ClientWaiter((m) => warnings.push(m));
  const done = w.wait('metrics', 3, [4], 0, undefined);
  w.lose(5);
  assert.equal(warnings, [], 'a client not awaited is no news');
  w.lose(4);
  await done;
  assert.equal(warnings, ['Client 4 disconnected in round 3; dropped for this round']);
});

waiter('should drop the clients still pending at the deadline', async () => {
  const warnings: string[] = [];
  const w = new ClientWaiter((m) => warnings.push(m));
  const done = w.wait('modelPara', 1, [1, 2, 3], 30, undefined);
  w.settle(2);
  await done;
  assert.equal(warnings, ['Round 1: no update from clients 1, 3 within 30 ms; dropped for this round']);
});

waiter('should leave the first join\'s missing clients to the server at the deadline, and wait for a lost one', async () => {
  const warnings: string[] = [];
  const w = new ClientWaiter((m) => warnings.push(m), 0);
  const done = w.wait('join', 0, [1, 2], 30, undefined);
  w.lose(2);
  assert.equal([...w.current!.pending], [1, 2], 'a client that has not joined may still reconnect');
  w.settle(1);
  await done;
  assert.equal(warnings, []);
});

waiter('should say whom it still waits for to join until they have :: join, rejoin', async () => {
  for (const phase of ['join', 'rejoin'] as const) {
    const warnings: string[] = [];
    const w = new ClientWaiter((m) => warnings.push(m), 10);
    const done = w.wait(phase, 0, [1, 2, 3], 0, undefined);
    w.settle(1);
    await new Promise((resolve) => setTimeout(resolve, 35));
    w.settle(2);
    w.settle(3);
    await done;
    const said = warnings.length;
    assert.ok(said >= 1, `${phase}: reminded ${said} times`);
    for (const m of warnings) assert.match(m, /^waiting for clients 2, 3 to join \(\d+ s so far\)$/);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.is(warnings.length, said, `${phase}: no reminder once everyone joined`);
  }
});

waiter('should not remind while waiting for updates or metrics', async () => {
  const warnings: string[] = [];
  const w = new ClientWaiter((m) => warnings.push(m), 10);
  const done = w.wait('modelPara', 1, [1], 0, undefined);
  await new Promise((resolve) => setTimeout(resolve, 35));
  w.settle(1);
  await done;
  assert.equal(warnings, []);
});

waiter('should reject when aborted :: ERR_FSLLM_ABORTED', async () => {
  const w = new ClientWaiter(() => {});
  const controller = new AbortController();
  const done = w.wait('metrics', 7, [1], 0, controller.signal);
  controller.abort();
  try {
    await done;
    assert.unreachable('should reject');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'ERR_FSLLM_ABORTED');
    assert.match((error as Error).message, /aborted in round 7/);
  }
});

waiter.run();
