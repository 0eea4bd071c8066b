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
