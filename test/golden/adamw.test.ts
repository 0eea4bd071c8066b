// One AdamW step, the global gradient norm and norm clipping against torch.optim.AdamW and
// torch.nn.utils.clip_grad_norm_ (test/fixtures/gen/make_golden.py). Every check restores the fixture
// adapter and uses a new session, so no optimizer state carries over.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { AdapterState } from '../../lib/index.js';
import {
  adamwOf,
  assertSameKeys,
  byName,
  closeAdaptedCases,
  f32,
  GOLDEN_MODELS,
  gradientsAt,
  maxReferenceGrad,
  openAdaptedCases,
  scalar,
  stepFrom,
} from '../helpers/golden.js';
import type { AdaptedCase, GoldenFixture, GoldenModelName } from '../helpers/golden.js';
import { adamwStepBound, assertCloseEach, assertCloseScalar, GRAD_NORM_TOL, gradTolerance } from '../helpers/tolerance.js';
import type { NamedComparison } from '../helpers/tolerance.js';

type Ctx = { cases: Map<GoldenModelName, AdaptedCase> };

/**
 * Compares `state` with `<prefix><key>` after one AdamW step taken with the reference gradients
 * `<gradPrefix><key>`; each entry's bound follows from the gradient tolerance (see adamwStepBound).
 */
function assertAdamw(state: AdapterState, fx: GoldenFixture, prefix: string, gradPrefix: string, label: string): void {
  assertSameKeys(state, fx);
  const gradTol = gradTolerance(maxReferenceGrad(fx, gradPrefix));
  const { lr, eps } = fx.meta.adamw;
  const items: NamedComparison[] = [];
  for (const [key, actual] of byName(state)) {
    const g = f32(fx.tensors, `${gradPrefix}${key}`);
    const bound = (i: number) => adamwStepBound(g[i]!, gradTol.abs + gradTol.rel * Math.abs(g[i]!), lr, eps);
    items.push({ name: `${prefix}${key}`, actual, expected: f32(fx.tensors, `${prefix}${key}`), tol: bound });
  }
  assertCloseEach(items, `${label} ${prefix}*`);
}

// ---

const adamw = suite<Ctx>('TrainSession.trainStep (adamw)');
adamw.before(async (ctx) => { ctx.cases = await openAdaptedCases(); });
adamw.after(async (ctx) => { await closeAdaptedCases(ctx.cases); });

for (const name of GOLDEN_MODELS) {
  adamw(`should match adamw.<key> after one step :: ${name}`, async ({ cases }) => {
    const { fx, model, initial } = cases.get(name)!;
    const { after, metrics } = await stepFrom(model, initial, fx.batch, adamwOf(fx), { lr: fx.meta.adamw.lr });
    assert.is(metrics.skipped, false);
    assertAdamw(after, fx, 'adamw.', 'grad.', name);
  });

  adamw(`should report HF's global gradient norm :: ${name}`, async ({ cases }) => {
    const { fx, model, initial } = cases.get(name)!;
    const { metrics } = await stepFrom(model, initial, fx.batch, adamwOf(fx), { lr: fx.meta.adamw.lr });
    assertCloseScalar(metrics.gradNorm, scalar(fx.tensors, 'grad_norm'), GRAD_NORM_TOL, `${name} grad_norm`);
  });
}

adamw.run();

// ---

const clip = suite<Ctx>('TrainSession.trainStep (maxGradNorm)');
clip.before(async (ctx) => { ctx.cases = await openAdaptedCases(); });
clip.after(async (ctx) => { await closeAdaptedCases(ctx.cases); });

for (const name of GOLDEN_MODELS) {
  clip(`should scale the gradients as clip_grad_norm_ does :: ${name}`, async ({ cases }) => {
    const { fx, model, initial } = cases.get(name)!;
    const maxNorm = fx.meta.clip.max_norm;
    const { grads, metrics } = await gradientsAt(model, initial, fx.batch, maxNorm);
    // The reported norm is the one before clipping; max_norm is half of it, so clipping is active.
    assertCloseScalar(metrics.gradNorm, scalar(fx.tensors, 'grad_norm'), GRAD_NORM_TOL, `${name} grad_norm with clipping`);
    assert.ok(maxNorm < 0.6 * metrics.gradNorm, `${name}: max_norm ${maxNorm} should clip ${metrics.gradNorm}`);
    assertSameKeys(grads, fx);
    const tol = gradTolerance(maxReferenceGrad(fx, 'clipped_grad.'));
    const items = [...byName(grads)].map(([key, actual]) => ({ name: key, actual, expected: f32(fx.tensors, `clipped_grad.${key}`), tol }));
    assertCloseEach(items, `${name} clipped_grad.*`);
  });

  clip(`should match adamw_clip.<key> after one clipped step :: ${name}`, async ({ cases }) => {
    const { fx, model, initial } = cases.get(name)!;
    const step = { lr: fx.meta.adamw.lr, maxGradNorm: fx.meta.clip.max_norm };
    const { after } = await stepFrom(model, initial, fx.batch, adamwOf(fx), step);
    assertAdamw(after, fx, 'adamw_clip.', 'clipped_grad.', name);
  });
}

clip.run();
