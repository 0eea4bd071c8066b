// The LoRA model's causal-LM loss through evalLoss against HF's (shift inside, mean over labels != -100).
// The loss that trainStep reports is checked in grads.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { closeAdaptedCases, GOLDEN_MODELS, openAdaptedCases, scalar, splitRows } from '../helpers/golden.js';
import type { AdaptedCase, GoldenModelName } from '../helpers/golden.js';
import { assertCloseScalar, LOSS_TOL } from '../helpers/tolerance.js';

type Ctx = { cases: Map<GoldenModelName, AdaptedCase> };

// The fixtures' batch has 17 targets: 2·11 shifted positions, minus 2 prompt labels and 3 pads.
const TARGETS = 17;

// ---

const evalLoss = suite<Ctx>('Model.evalLoss');
evalLoss.before(async (ctx) => { ctx.cases = await openAdaptedCases(); });
evalLoss.after(async (ctx) => { await closeAdaptedCases(ctx.cases); });

for (const name of GOLDEN_MODELS) {
  evalLoss(`should match HF's mean loss over the 17 targets :: ${name}`, async ({ cases }) => {
    const { fx, model } = cases.get(name)!;
    const { lossSum, tokens } = await model.evalLoss([fx.batch]);
    assert.is(tokens, TARGETS);
    assertCloseScalar(lossSum / tokens, scalar(fx.tensors, 'loss'), LOSS_TOL, `${name} loss`);
  });

  evalLoss(`should sum over micro-batches :: ${name} rows as two batches`, async ({ cases }) => {
    const { fx, model } = cases.get(name)!;
    const { lossSum, tokens } = await model.evalLoss(splitRows(fx.batch));
    assert.is(tokens, TARGETS);
    assertCloseScalar(lossSum / tokens, scalar(fx.tensors, 'loss'), LOSS_TOL, `${name} loss over two micro-batches`);
  });
}

evalLoss.run();
