// LoRA gradients against PyTorch autograd through HF + PEFT. Gradients are not exported, so they are
// observed through the real update path: one plain SGD step with lr = 1 moves each parameter by exactly
// −g (see gradientsAt). Every check restores the fixture adapter and uses a new session.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { AdapterState } from '../../lib/index.js';
import {
  assertSameKeys,
  byName,
  closeAdaptedCases,
  f32,
  GOLDEN_MODELS,
  gradientsAt,
  maxReferenceGrad,
  openAdaptedCases,
  PLAIN_SGD,
  scalar,
  splitRows,
  stepFrom,
} from '../helpers/golden.js';
import type { AdaptedCase, GoldenFixture, GoldenModelName } from '../helpers/golden.js';
import { assertCloseEach, assertCloseScalar, gradTolerance, LOSS_TOL, maxAbs, SGD_TOL } from '../helpers/tolerance.js';
import type { Tolerance } from '../helpers/tolerance.js';

type Ctx = { cases: Map<GoldenModelName, AdaptedCase> };

/** Compares every tensor of `state` with `<prefix><key>` of the fixture. */
function assertTensors(state: AdapterState, fx: GoldenFixture, prefix: string, tol: Tolerance, label: string): void {
  assertSameKeys(state, fx);
  const items = [...byName(state)].map(([key, actual]) => ({ name: `${prefix}${key}`, actual, expected: f32(fx.tensors, `${prefix}${key}`), tol }));
  assertCloseEach(items, `${label} ${prefix}*`);
}

// ---

const sgd = suite<Ctx>('TrainSession.trainStep (sgd)');
sgd.before(async (ctx) => { ctx.cases = await openAdaptedCases(); });
sgd.after(async (ctx) => { await closeAdaptedCases(ctx.cases); });

for (const name of GOLDEN_MODELS) {
  sgd(`should report HF's loss of the batch before the update :: ${name}`, async ({ cases }) => {
    const { fx, model, initial } = cases.get(name)!;
    const { metrics } = await stepFrom(model, initial, fx.batch, PLAIN_SGD, { lr: fx.meta.sgd.lr });
    assert.is(metrics.targetTokens, 17);
    assert.is(metrics.skipped, false);
    assertCloseScalar(metrics.loss, scalar(fx.tensors, 'loss'), LOSS_TOL, `${name} trainStep loss`);
  });

  sgd(`should apply grad.<key> of every adapter tensor (lr 1) :: ${name}`, async ({ cases }) => {
    const { fx, model, initial } = cases.get(name)!;
    const { grads } = await gradientsAt(model, initial, fx.batch);
    // Every reference grad is nonzero, so a gradient missing from one tensor cannot pass.
    for (const [key, g] of byName(grads)) assert.ok(maxAbs(g) > 0, `${name}: ${key} got no gradient`);
    assertTensors(grads, fx, 'grad.', gradTolerance(maxReferenceGrad(fx)), name);
  });

  sgd(`should accumulate two micro-batches to the same gradients :: ${name}`, async ({ cases }) => {
    const { fx, model, initial } = cases.get(name)!;
    // The step's loss is the mean over all 17 targets of the step, as if the rows were one batch.
    const { grads, metrics } = await gradientsAt(model, initial, splitRows(fx.batch));
    assert.is(metrics.targetTokens, 17);
    assertTensors(grads, fx, 'grad.', gradTolerance(maxReferenceGrad(fx)), `${name} (two micro-batches)`);
  });

  sgd(`should match sgd.<key> after one step with lr ${0.1} :: ${name}`, async ({ cases }) => {
    const { fx, model, initial } = cases.get(name)!;
    assert.is(fx.meta.sgd.lr, 0.1);
    const { after } = await stepFrom(model, initial, fx.batch, PLAIN_SGD, { lr: fx.meta.sgd.lr });
    assertTensors(after, fx, 'sgd.', SGD_TOL, name);
  });
}

sgd.run();
