// Logits of the three HF reference models (llama, qwen2, gpt2) with and without their PEFT adapter, and
// with the adapter merged, against transformers 4.49 + PEFT 0.21 (test/fixtures/gen/make_golden.py).
// Only real positions (attention_mask = 1) are compared: padded queries are undefined by contract.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Model } from '../../lib/index.js';
import { disposeAll, f32, GOLDEN_MODELS, loadAdapted, loadGolden, realPositions } from '../helpers/golden.js';
import type { GoldenFixture, GoldenModelName } from '../helpers/golden.js';
import { assertClose, LOGITS_TOL } from '../helpers/tolerance.js';

interface Case {
  fx: GoldenFixture;
  base: Model;
  adapted: Model;
}

type Ctx = { cases: Map<GoldenModelName, Case> };

async function openCases(ctx: Ctx): Promise<void> {
  ctx.cases = new Map();
  for (const name of GOLDEN_MODELS) {
    const fx = await loadGolden(name);
    const base = await Model.load(fx.modelDir);
    try {
      const { model: adapted } = await loadAdapted(fx);
      ctx.cases.set(name, { fx, base, adapted });
    } catch (error) {
      await base.dispose();
      throw error;
    }
  }
}

async function closeCases(ctx: Ctx): Promise<void> {
  await disposeAll([...(ctx.cases?.values() ?? [])].flatMap((c) => [c.base, c.adapted]));
}

// ---

const logits = suite<Ctx>('Model.logits');
logits.before(openCases);
logits.after(closeCases);

for (const name of GOLDEN_MODELS) {
  logits(`should match base_logits without an adapter :: ${name}`, async ({ cases }) => {
    const { fx, base } = cases.get(name)!;
    const got = await base.logits(fx.batch);
    assert.is(got.length, fx.batch.batch * fx.batch.seq * fx.vocab);
    assertClose(got, f32(fx.tensors, 'base_logits'), LOGITS_TOL, `${name} base_logits`, realPositions(fx.batch, fx.vocab));
  });

  logits(`should match logits with the PEFT adapter loaded :: ${name}`, async ({ cases }) => {
    const { fx, adapted } = cases.get(name)!;
    const got = await adapted.logits(fx.batch);
    assertClose(got, f32(fx.tensors, 'logits'), LOGITS_TOL, `${name} logits`, realPositions(fx.batch, fx.vocab));
  });
}

logits.run();

// ---

const merge = suite<Ctx>('Model.mergeLora');
merge.before(openCases);
merge.after(closeCases);

for (const name of GOLDEN_MODELS) {
  merge(`should match merged_logits once merged :: ${name}`, async ({ cases }) => {
    const { fx, adapted } = cases.get(name)!;
    await adapted.mergeLora();
    try {
      const got = await adapted.logits(fx.batch);
      assertClose(got, f32(fx.tensors, 'merged_logits'), LOGITS_TOL, `${name} merged_logits`, realPositions(fx.batch, fx.vocab));
    } finally {
      await adapted.unmergeLora();
    }
  });

  merge(`should restore the adapter logits after unmergeLora :: ${name}`, async ({ cases }) => {
    const { fx, adapted } = cases.get(name)!;
    const before = await adapted.logits(fx.batch);
    await adapted.mergeLora();
    await adapted.unmergeLora();
    const after = await adapted.logits(fx.batch);
    assertClose(after, f32(fx.tensors, 'logits'), LOGITS_TOL, `${name} unmerged vs logits`, realPositions(fx.batch, fx.vocab));
    assertClose(after, before, LOGITS_TOL, `${name} unmerged vs before merge`, realPositions(fx.batch, fx.vocab));
  });
}

merge.run();
