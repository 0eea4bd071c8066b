import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { sampleClients } from '../../../lib/fl/sampling.js';

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
