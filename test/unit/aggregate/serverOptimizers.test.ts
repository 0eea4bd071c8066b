/**
 * FedAvgM, FedAdagrad, FedAdam and FedYogi against their published update equations (numpy reference:
 * test/fixtures/gen/make_aggregation.py), and their state saved and restored mid-run giving the same bits.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Aggregator } from '../../../lib/aggregate/aggregator.js';
import { buildAggregator } from '../../../lib/aggregate/buildAggregator.js';
import { fedAvg } from '../../../lib/aggregate/fedAvg.js';
import { withServerOptimizer, type ServerOptimizerSettings } from '../../../lib/aggregate/serverOptimizer.js';
import { resolveOptions } from '../../../lib/config/index.js';
import { fails } from '../../helpers/errors.js';

interface Run {
  type: ServerOptimizerSettings['type'];
  settings: { lr: number; momentum?: number; beta1?: number; beta2?: number; tau?: number };
  start: number[];
  aggregates: number[][];
  globals: number[][];
  m: number[];
  v: number[] | null;
}
const runs = (JSON.parse(readFileSync(new URL('../../fixtures/aggregation/reference.json', import.meta.url), 'utf8')) as { serverOptimizers: Run[] }).serverOptimizers;

function settingsOf(run: Run): ServerOptimizerSettings {
  const s = run.settings;
  return { type: run.type, lr: s.lr, momentum: s.momentum ?? 0, beta1: s.beta1 ?? 0, beta2: s.beta2 ?? 0, tau: s.tau ?? 0 };
}

/** One round whose only client sends exactly `aggregate`, so FedAvg's result is it and the optimiser steps along it. */
async function step(aggregator: Aggregator, round: number, global: Float32Array, aggregate: number[]): Promise<Float32Array> {
  const r = aggregator.begin(round, global);
  await r.add({ client: 1, data: Float32Array.from(aggregate), weight: 1 });
  return r.result();
}

function worstRelative(actual: ArrayLike<number>, expected: number[]): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1e-3, Math.abs(expected[i]!)));
  return worst;
}

for (const run of runs) {
  test(`${run.type} follows the paper's update over three rounds (fp32 against float64)`, async () => {
    const opt = withServerOptimizer(fedAvg, settingsOf(run));
    let global: Float32Array = Float32Array.from(run.start);
    for (const [i, aggregate] of run.aggregates.entries()) {
      global = await step(opt, i + 1, global, aggregate);
      const worst = worstRelative(global, run.globals[i]!);
      assert.ok(worst < 1e-4, `round ${i + 1}: worst relative error ${worst}`);
    }
    const state = opt.state!();
    assert.ok(worstRelative(state.m!, run.m) < 1e-4, 'first moments');
    if (run.v) assert.ok(worstRelative(state.v!, run.v) < 1e-4, 'second moments');
    else assert.is(state.v, undefined, 'FedAvgM keeps no second moments');
  });

  test(`${run.type}: state restored after round 1 gives round 2 and 3 bit for bit`, async () => {
    const straight = withServerOptimizer(fedAvg, settingsOf(run));
    let global: Float32Array = Float32Array.from(run.start);
    global = await step(straight, 1, global, run.aggregates[0]!);
    const saved = Object.fromEntries(Object.entries(straight.state!()).map(([k, v]) => [k, v.slice()]));
    const afterOne: Float32Array = global.slice();
    for (const i of [1, 2]) global = await step(straight, i + 1, global, run.aggregates[i]!);
    const resumed = withServerOptimizer(fedAvg, settingsOf(run));
    resumed.restore!(saved);
    let again: Float32Array = afterOne;
    for (const i of [1, 2]) again = await step(resumed, i + 1, again, run.aggregates[i]!);
    assert.equal(Array.from(again), Array.from(global));
  });
}

test('the options build the rule, the norm bound, the server optimiser, and pFedMe\'s beta step', async () => {
  const base = { model: { path: 'm' }, data: { type: 'gsm8k' as const } };
  assert.is(buildAggregator(resolveOptions(base)).name, 'fedavg');
  assert.is(buildAggregator(resolveOptions({ ...base, aggregator: { rule: 'trimmedMean', trimRatio: 0.2, normBound: 1, serverOptimizer: { type: 'fedyogi' } } })).name, 'normBound(1)+trimmedMean+fedyogi');
  const o = resolveOptions({ ...base, aggregator: { serverOptimizer: { type: 'fedadam' } } });
  assert.equal(o.aggregator.serverOptimizer, { type: 'fedadam', lr: 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.99, tau: 1e-9 });
  assert.equal(resolveOptions({ ...base, aggregator: { serverOptimizer: { type: 'fedyogi' } } }).aggregator.serverOptimizer.tau, 1e-3);
  // pFedMe: global + beta (mean − global); beta 2 doubles the step of plain averaging.
  const pfedme = buildAggregator(resolveOptions({ ...base, personalization: { method: 'pfedme', beta: 2 } }));
  assert.equal(Array.from(await step(pfedme, 1, Float32Array.from([1, 1]), [2, 0])), [3, -1]);
});

test('a restored state of another length is refused', async () => {
  const opt = withServerOptimizer(fedAvg, { type: 'fedadam', lr: 0.1, momentum: 0, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
  opt.restore!({ m: new Float32Array(3), v: new Float32Array(3) });
  await fails(() => step(opt, 1, new Float32Array(4), [1, 1, 1, 1]), 'ERR_FSLLM_CHECKPOINT', /holds 3 values and the adapter 4/);
  await fails(async () => opt.restore!({ m: new Float32Array(4) }), 'ERR_FSLLM_CHECKPOINT', /not its second ones/);
});

test.run();
