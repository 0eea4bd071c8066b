import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { FedAvgAccumulator } from '../../../lib/aggregate/fedAvg.js';
import { sampleClients } from '../../../lib/fl/sampling.js';
import { seededRandom } from '../../../lib/util/random.js';

function randomVector(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

test('FedAvg is the sample-weighted mean, computed in float64', () => {
  const updates = [randomVector(1000, 1), randomVector(1000, 2), randomVector(1000, 3)];
  const weights = [30, 10, 60];
  const acc = new FedAvgAccumulator(1000);
  updates.forEach((u, i) => acc.add(u, weights[i]!));
  const mean = acc.mean();
  for (let j = 0; j < 1000; j++) {
    const expected = (30 * updates[0]![j]! + 10 * updates[1]![j]! + 60 * updates[2]![j]!) / 100;
    assert.ok(Math.abs(mean[j]! - expected) < 1e-7, `element ${j}`);
  }
  assert.is(acc.count, 3);
});

test('FedAvg of identical updates is that update; equal weights give the plain mean', () => {
  const u = randomVector(64, 9);
  const same = new FedAvgAccumulator(64);
  same.add(u, 3);
  same.add(u, 7);
  assert.equal(Array.from(same.mean()), Array.from(u));
  const a = new Float32Array([1, 2, 3]);
  const b = new Float32Array([3, 6, 9]);
  const plain = new FedAvgAccumulator(3);
  plain.add(a, 1);
  plain.add(b, 1);
  assert.equal(Array.from(plain.mean()), [2, 4, 6]);
});

test('FedAvg refuses a wrong length, a bad weight, and an empty round', () => {
  const acc = new FedAvgAccumulator(4);
  assert.throws(() => acc.add(new Float32Array(3), 1), /Expected 4 values for update but received "3 values"/);
  assert.throws(() => acc.add(new Float32Array(4), 0), /positive finite number for weight/);
  assert.throws(() => acc.add(new Float32Array(4), Number.NaN), /weight/);
  assert.throws(() => acc.mean(), /no update to average/);
});

test('client sampling: all, count, rate; seeded per round', () => {
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.equal(sampleClients(ids, 1, 0, {}), ids);
  const five = sampleClients(ids, 1, 0, { count: 5 });
  assert.is(five.length, 5);
  assert.equal(five, [...new Set(five)].sort((a, b) => a - b));
  assert.ok(five.every((id) => ids.includes(id)));
  assert.equal(sampleClients(ids, 1, 0, { count: 5 }), five, 'same seed and round, same clients');
  const rounds = new Set(Array.from({ length: 10 }, (_, r) => sampleClients(ids, r + 1, 0, { count: 5 }).join(',')));
  assert.ok(rounds.size > 5, 'rounds draw different clients');
  assert.not.equal(sampleClients(ids, 1, 1, { count: 5 }), five, 'another seed, other clients');
  assert.is(sampleClients(ids, 3, 0, { rate: 0.25 }).length, 5);
  assert.is(sampleClients(ids, 3, 0, { rate: 0.01 }).length, 1, 'at least one client');
  assert.equal(sampleClients(ids, 3, 0, { count: 50 }), ids);
  // Every client is drawn over many rounds.
  const seen = new Set<number>();
  for (let r = 1; r <= 40; r++) for (const id of sampleClients(ids, r, 7, { count: 3 })) seen.add(id);
  assert.is(seen.size, 20);
});

test.run();
