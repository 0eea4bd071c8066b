/**
 * Every aggregation rule against values computed by hand, and against an independent numpy reference
 * (test/fixtures/gen/make_aggregation.py) on random updates with one far-off client.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { Aggregator, ClientUpdate } from '../../../lib/aggregate/aggregator.js';
import { fedAvg } from '../../../lib/aggregate/fedAvg.js';
import { normBounded } from '../../../lib/aggregate/normBound.js';
import { robustRule, type KrumPick } from '../../../lib/aggregate/robustRules.js';
import { clipDeltas } from '../../../lib/native/aggregateKernels.js';
import { fails } from '../../helpers/errors.js';

const reference = JSON.parse(readFileSync(new URL('../../fixtures/aggregation/reference.json', import.meta.url), 'utf8')).robust as {
  updates: number[][]; weights: number[]; byzantine: number; trimRatio: number; select: number;
  median: number[]; trimmedMean: number[]; krumScores: number[]; krumPick: number; multiKrumKept: number[]; multiKrum: number[];
  weightedMean: number[]; global: number[]; normBound: number; norms: number[]; clipped: number[][];
};

/** Runs one round of `aggregator` over `rows` (client ids 1..K) starting from `global`. */
async function aggregate(aggregator: Aggregator, rows: number[][], weights?: number[], global?: number[]): Promise<number[]> {
  const start = Float32Array.from(global ?? new Array(rows[0]!.length).fill(0));
  const round = aggregator.begin(1, start);
  for (const [i, row] of rows.entries()) {
    const update: ClientUpdate = { client: i + 1, data: Float32Array.from(row), weight: weights?.[i] ?? 1 };
    await round.add(update);
  }
  return Array.from(await round.result());
}

function close(actual: number[], expected: number[], tolerance: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  assert.ok(worst <= tolerance, `${what}: worst relative error ${worst} > ${tolerance}`);
}

const byHand = suite('aggregation rules by hand');

byHand('FedAvg weights by samples; the median and trimmed mean ignore an outlier that moves the mean', async () => {
  const rows = [[1, -2], [2, 0], [3, 4], [100, 1], [4, 2]];
  assert.equal(await aggregate(fedAvg, rows, [1, 1, 1, 1, 1]), [22, 1]);
  assert.equal(await aggregate(fedAvg, [[0, 0], [3, 6]], [2, 1]), [1, 2]);
  assert.equal(await aggregate(robustRule({ rule: 'median' }), rows), [3, 1]);
  // Even K: the mean of the two middle values.
  assert.equal(await aggregate(robustRule({ rule: 'median' }), [[1], [2], [10], [7]]), [4.5]);
  // beta 0.2 of 5 cuts one value at each end: coordinate 0 keeps 2, 3, 4; coordinate 1 keeps 0, 1, 2.
  assert.equal(await aggregate(robustRule({ rule: 'trimmedMean', trimRatio: 0.2 }), rows), [3, 1]);
  // beta 0.1 of 5 cuts floor(0.5) = 0 values: the plain mean.
  assert.equal(await aggregate(robustRule({ rule: 'trimmedMean', trimRatio: 0.1 }), rows), [22, 1]);
});

byHand('Krum keeps the update nearest its K − f − 2 neighbours; Multi-Krum averages the m best with their weights', async () => {
  // K = 5, f = 1: each score sums the 2 smallest squared distances to the others.
  const rows = [[0], [1], [3], [50], [2]];
  // Scores: 0 → 1 + 4 = 5; 1 → 1 + 1 = 2; 3 → 1 + 4 = 5; 50 → 47² + 48² = 4513; 2 → 1 + 1 = 2 (tie with client 2: the lower index wins).
  let pick: KrumPick | undefined;
  assert.equal(await aggregate(robustRule({ rule: 'krum', byzantine: 1 }, (p) => { pick = p; }), rows), [1]);
  assert.equal(pick!.kept, [2]);
  assert.equal([...pick!.scores.values()], [5, 2, 5, 4513, 2]);
  // m = 3 keeps clients 2, 5 and then 1 (score 5, lower index than client 3), weighted 3, 1, 1: (3·1 + 1·2 + 1·0) / 5.
  assert.equal(await aggregate(robustRule({ rule: 'multiKrum', byzantine: 1, select: 3 }, (p) => { pick = p; }), rows, [1, 3, 1, 1, 1]), [1]);
  assert.equal(pick!.kept, [2, 5, 1]);
  // Default m = K − f = 4: all but the far-off one, equally weighted.
  assert.equal(await aggregate(robustRule({ rule: 'multiKrum', byzantine: 1 }), rows), [1.5]);
});

byHand('norm bounding scales a delta above the bound down to it and leaves the others', async () => {
  // Deltas from [1, 1]: (3, 4) has norm 5 → scaled to norm 2.5: (1.5, 2); (0.3, 0.4) stays.
  const clipped = await aggregate(normBounded(robustRule({ rule: 'median' }), 2.5), [[4, 5]], undefined, [1, 1]);
  assert.equal(clipped, [2.5, 3]);
  assert.equal(await aggregate(normBounded(fedAvg, 2.5), [[1.3, 1.4]], undefined, [1, 1]), [1.2999999523162842, 1.399999976158142]);
});

byHand('refuses what it cannot aggregate, naming the fix', async () => {
  const krum = robustRule({ rule: 'krum', byzantine: 1 });
  await fails(() => aggregate(krum, [[1], [2], [3], [4]]), 'ERR_FSLLM_CONFIG', /needs more than 4 updates and got 4 \(lower aggregator\.byzantine/);
  const empty = robustRule({ rule: 'median' }).begin(1, new Float32Array(2));
  await fails(() => empty.result(), 'ERR_FSLLM_INVALID_ARG', /median has no update to aggregate/);
  await fails(() => fedAvg.begin(1, new Float32Array(2)).result(), 'ERR_FSLLM_INVALID_ARG', /no update to average/);
  const round = fedAvg.begin(1, new Float32Array(4));
  await fails(() => round.add({ client: 1, data: new Float32Array(3), weight: 1 }), 'ERR_FSLLM_INVALID_ARG', /Expected 4 values for update/);
  await fails(() => round.add({ client: 1, data: new Float32Array(4), weight: 0 }), 'ERR_FSLLM_INVALID_ARG', /positive finite number for weight/);
});

byHand.run();

const numpy = suite('aggregation rules against numpy');
const r = reference;

numpy('mean, median and trimmed mean', async () => {
  close(await aggregate(fedAvg, r.updates, r.weights), r.weightedMean, 1e-6, 'weighted mean');
  close(await aggregate(robustRule({ rule: 'median' }), r.updates), r.median, 1e-6, 'median');
  close(await aggregate(robustRule({ rule: 'trimmedMean', trimRatio: r.trimRatio }), r.updates), r.trimmedMean, 1e-6, 'trimmed mean');
});

numpy('Krum scores, pick, and Multi-Krum', async () => {
  let pick: KrumPick | undefined;
  const krum = await aggregate(robustRule({ rule: 'krum', byzantine: r.byzantine }, (p) => { pick = p; }), r.updates, r.weights);
  close([...pick!.scores.values()], r.krumScores, 1e-5, 'Krum scores');
  assert.equal(pick!.kept, [r.krumPick + 1]);
  close(krum, r.updates[r.krumPick]!, 0, 'Krum returns the picked update as it is');
  const multi = await aggregate(robustRule({ rule: 'multiKrum', byzantine: r.byzantine, select: r.select }, (p) => { pick = p; }), r.updates, r.weights);
  assert.equal(pick!.kept, r.multiKrumKept.map((i) => i + 1));
  assert.not.ok(pick!.kept.includes(4), 'the far-off client 4 is left out');
  close(multi, r.multiKrum, 1e-6, 'Multi-Krum mean');
});

numpy('norm bounding', async () => {
  const rows = r.updates.map((u) => Float32Array.from(u));
  close(await clipDeltas(rows, Float32Array.from(r.global), r.normBound), r.norms, 1e-6, 'delta norms before clipping');
  close(rows.flatMap((row) => Array.from(row)), r.clipped.flat(), 1e-6, 'clipped in place');
  for (const [i, row] of r.updates.entries()) {
    close(await aggregate(normBounded(fedAvg, r.normBound), [row], undefined, r.global), r.clipped[i]!, 1e-6, `client ${i + 1} clipped`);
  }
});

numpy.run();
