import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { dirichletSplit, gammaSample, iidSplit, metaLabels, metaSplit } from '../../../lib/data/index.js';
import { seededRandom } from '../../../lib/util/random.js';
import { assertPartition, labelEntropy } from './_support.js';
import { fails } from '../../helpers/errors.js';

// 1,000 records in 5 balanced classes, in a scrambled order.
const LABELS = Array.from({ length: 1000 }, (_, i) => `class${(i * 7) % 5}`);

const iid = suite('iidSplit');
iid('should partition 0..n-1 into near-equal chunks :: 10 over 3', () => {
  const parts = iidSplit(10, 3, 1);
  assertPartition(parts, 10);
  assert.equal(parts.map((p) => p.length), [4, 3, 3]);
});
iid('should keep sizes within one :: 1001 over 7', () => {
  const sizes = iidSplit(1001, 7, 5).map((p) => p.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  assert.is(sizes.reduce((a, b) => a + b), 1001);
});
iid('should be reproducible for a seed and differ across seeds', () => {
  assert.equal(iidSplit(100, 4, 42), iidSplit(100, 4, 42));
  assert.not.equal(iidSplit(100, 4, 42), iidSplit(100, 4, 43));
});
iid('should shuffle (not hand out 0..n-1 in order)', () => {
  assert.not.equal(iidSplit(100, 1, 3)[0], Array.from({ length: 100 }, (_, i) => i));
});
iid('should refuse more clients than records', async () => {
  await fails(() => iidSplit(3, 4, 0), 'ERR_FSLLM_INVALID_ARG', /Expected an integer between 1 and the number of records \(3\) for clientNum but received 4/);
});
iid('should refuse a non-integer seed', async () => {
  await fails(() => iidSplit(3, 1, 0.5), 'ERR_FSLLM_INVALID_ARG', /for seed/);
});
iid.run();

// ---

const gamma = suite('gammaSample');
for (const shape of [0.1, 0.5, 1, 3, 20]) {
  gamma(`should have mean and variance equal to the shape :: shape ${shape}`, () => {
    const random = seededRandom(11);
    const n = 40_000;
    const xs = Array.from({ length: n }, () => gammaSample(shape, random));
    const mean = xs.reduce((a, b) => a + b) / n;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
    assert.ok(xs.every((x) => x >= 0 && Number.isFinite(x)));
    // Standard error of the mean is sqrt(shape / n); allow 5 of them (and 10 % on the variance).
    assert.ok(Math.abs(mean - shape) < 5 * Math.sqrt(shape / n), `mean ${mean}`);
    assert.ok(Math.abs(variance / shape - 1) < 0.1, `variance ${variance}`);
  });
}
gamma.run();

// ---

const dirichlet = suite('dirichletSplit');
dirichlet('should partition every index and give each client at least one', () => {
  for (const alpha of [0.01, 0.1, 1, 100]) {
    const parts = dirichletSplit(LABELS, 10, alpha, 7);
    assertPartition(parts, LABELS.length);
    assert.ok(parts.every((p) => p.length >= 1), `alpha ${alpha}`);
  }
});
dirichlet('should be reproducible for a seed and differ across seeds', () => {
  assert.equal(dirichletSplit(LABELS, 4, 0.5, 1), dirichletSplit(LABELS, 4, 0.5, 1));
  assert.not.equal(dirichletSplit(LABELS, 4, 0.5, 1), dirichletSplit(LABELS, 4, 0.5, 2));
});
dirichlet('should skew labels more at alpha 0.1 than at 100 (mean client entropy)', () => {
  const meanEntropy = (alpha: number) => {
    const parts = dirichletSplit(LABELS, 5, alpha, 3);
    return parts.reduce((a, p) => a + labelEntropy(LABELS, p), 0) / parts.length;
  };
  const skewed = meanEntropy(0.1);
  const even = meanEntropy(100);
  assert.ok(even > 0.95 * Math.log(5), `alpha 100 is near uniform: ${even}`);
  assert.ok(skewed < 0.6 * even, `alpha 0.1: ${skewed} vs ${even}`);
});
dirichlet('should move records to empty clients when redraws cannot fill them', () => {
  // 3 records, 3 clients, tiny alpha: almost every draw gives one client everything.
  const parts = dirichletSplit(['a', 'a', 'a'], 3, 1e-4, 0);
  assertPartition(parts, 3);
  assert.equal(parts.map((p) => p.length), [1, 1, 1]);
});
dirichlet('should refuse a non-positive alpha', async () => {
  await fails(() => dirichletSplit(LABELS, 3, 0, 1), 'ERR_FSLLM_INVALID_ARG', /Expected a finite number > 0 for alpha but received 0/);
});
dirichlet.run();

// ---

const meta = suite('metaSplit');
meta('should make one client per label, in sorted label order', () => {
  const labels = ['b', 'a', 'c', 'a', 'b', 'a'];
  assert.equal(metaSplit(labels), [[1, 3, 5], [0, 4], [2]]);
  assert.equal(metaLabels(labels), ['a', 'b', 'c']);
  assert.equal(metaSplit(labels, 3), metaSplit(labels));
});
meta('should partition every index', () => {
  assertPartition(metaSplit(LABELS), LABELS.length);
});
meta('should refuse a clientNum other than the number of labels, listing them', async () => {
  await fails(
    () => metaSplit(['x', 'y', 'x'], 3),
    'ERR_FSLLM_INVALID_ARG',
    /Expected 2, the number of categories the meta splitter makes one client each for \(x, y\), or no clientNum for clientNum \(federate\.clientNum\) but received 3/,
  );
});
meta.run();
