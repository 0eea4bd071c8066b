import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { HookRegistry, scheduledLr } from '../../../lib/trainer/index.js';

function registry() {
  const calls: string[] = [];
  const hooks = new HookRegistry<string[]>();
  const hook = (name: string) => () => {
    calls.push(name);
  };
  return { calls, hooks, hook };
}

test('hooks run in registration order, with before/after/first placement', async () => {
  const { calls, hooks, hook } = registry();
  hooks.register('batchEnd', 'b', hook('b'));
  hooks.register('batchEnd', 'd', hook('d'));
  hooks.register('batchEnd', 'c', hook('c'), { before: 'd' });
  hooks.register('batchEnd', 'e', hook('e'), { after: 'd' });
  hooks.register('batchEnd', 'a', hook('a'), { first: true });
  await hooks.run('batchEnd', calls);
  assert.equal(calls, ['a', 'b', 'c', 'd', 'e']);
  assert.equal(hooks.names('batchEnd'), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(hooks.names('batchStart'), []);
});

test('replace swaps in place, remove deletes, async hooks are awaited in order', async () => {
  const { calls, hooks, hook } = registry();
  hooks.register('fitStart', 'one', async () => {
    await new Promise((r) => setTimeout(r, 10));
    calls.push('one');
  });
  hooks.register('fitStart', 'two', hook('two'));
  hooks.register('fitStart', 'three', hook('three'));
  hooks.replace('fitStart', 'two', hook('TWO'));
  hooks.remove('fitStart', 'three');
  await hooks.run('fitStart', calls);
  assert.equal(calls, ['one', 'TWO']);
  assert.ok(hooks.has('fitStart', 'two'));
  assert.not.ok(hooks.has('fitStart', 'three'));
});

test('bad registrations name what is wrong', () => {
  const { hooks, hook } = registry();
  hooks.register('batchEnd', 'x', hook('x'));
  assert.throws(() => hooks.register('batchEnd', 'x', hook('x')), /use replace\(\)/);
  assert.throws(() => hooks.register('batchEnd', 'y', hook('y'), { before: 'nope' }), /registered on batchEnd \(x\)/);
  assert.throws(() => hooks.remove('batchEnd', 'nope'), /ERR_FSLLM_INVALID_ARG|hook name/);
  assert.throws(() => hooks.register('onBatch' as 'batchEnd', 'z', hook('z')), /one of fitStart, epochStart/);
  assert.throws(() => hooks.register('batchEnd', 'w', 42 as unknown as () => void), /a function/);
});

test('LR schedules: warm-up, constant, linear and cosine decay', () => {
  const base = 1e-3;
  const warm = { type: 'constant' as const, warmupSteps: 4 };
  assert.ok(Math.abs(scheduledLr(base, 0, 100, warm) - base / 5) < 1e-12);
  assert.ok(Math.abs(scheduledLr(base, 3, 100, warm) - (base * 4) / 5) < 1e-12);
  assert.is(scheduledLr(base, 4, 100, warm), base);
  assert.is(scheduledLr(base, 99, 100, warm), base);
  const linear = { type: 'linear' as const, warmupSteps: 0 };
  assert.is(scheduledLr(base, 0, 100, linear), base);
  assert.ok(Math.abs(scheduledLr(base, 50, 100, linear) - base / 2) < 1e-12);
  assert.ok(scheduledLr(base, 100, 100, linear) === 0);
  const cosine = { type: 'cosine' as const, warmupSteps: 10 };
  assert.ok(Math.abs(scheduledLr(base, 10, 110, cosine) - base) < 1e-12);
  assert.ok(Math.abs(scheduledLr(base, 60, 110, cosine) - base / 2) < 1e-12);
  assert.ok(scheduledLr(base, 110, 110, cosine) < 1e-12);
  // Monotone after warm-up.
  for (let s = 11; s < 110; s++) assert.ok(scheduledLr(base, s, 110, cosine) <= scheduledLr(base, s - 1, 110, cosine));
});

test.run();
