// Activation checkpointing (trainStep's checkpointActivations; csrc/model/checkpoint): each block runs again
// in backward, so the step must be the plain step: the same losses and the same adapter afterwards, with
// LoRA dropout on (the recomputation must redraw the very same masks), over two micro-batches, under bf16
// autocast (restored for the recomputation), on a q4 base, and both at once.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError, manualSeed, Model, TrainSession, type AdapterState, type Precision } from '../../lib/index.js';
import { batchOf, STORY_TEXTS } from '../helpers/batches.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { assertClose, expectError, maxAbsDiff } from './_support.js';

const LORA = { r: 8, alpha: 16, dropout: 0.1, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], seed: 1 };

type Ctx = { models: Map<string, { model: Model; initial: AdapterState }> };
const checkpoint = suite<Ctx>('checkpointActivations');

checkpoint.before(async (ctx) => {
  ctx.models = new Map();
  for (const baseDtype of ['fp32', 'q4'] as const) {
    const model = await Model.load(STORIES_BIN, { baseDtype });
    await model.attachLora(LORA);
    ctx.models.set(baseDtype, { model, initial: await model.exportAdapter() });
  }
});

checkpoint.after(async (ctx) => {
  for (const { model } of ctx.models?.values() ?? []) await model.dispose();
});

/** Two steps of two micro-batches from the initial adapter and `seed`; losses and the adapter after. */
async function twoSteps(model: Model, initial: AdapterState, checkpointActivations: boolean, precision: Precision, seed = 42): Promise<{ losses: number[]; adapter: Float32Array }> {
  await model.importAdapter(initial);
  await manualSeed(seed);
  const tok = model.tokenizer!;
  const micro = [batchOf(STORY_TEXTS.slice(0, 2).map((t) => tok.encode(t))), batchOf(STORY_TEXTS.slice(2, 4).map((t) => tok.encode(t)))];
  const session = await TrainSession.create(model);
  try {
    const losses: number[] = [];
    for (let i = 0; i < 2; i++) losses.push((await session.trainStep(micro, { lr: 1e-2, precision, checkpointActivations })).loss);
    return { losses, adapter: (await model.exportAdapter()).data };
  } finally {
    await session.dispose();
  }
}

for (const [base, precision] of [['fp32', 'fp32'], ['fp32', 'bf16'], ['q4', 'fp32'], ['q4', 'bf16']] as const) {
  checkpoint(`${base} base, ${precision}: the checkpointed step is the plain step`, async ({ models }) => {
    const { model, initial } = models.get(base)!;
    const plain = await twoSteps(model, initial, false, precision);
    const recomputed = await twoSteps(model, initial, true, precision);
    assertClose(recomputed.losses, plain.losses, 1e-6, 'losses');
    assertClose(recomputed.adapter, plain.adapter, 1e-6, 'adapter after two steps');
    // Dropout is live: another seed gives another adapter, so the match above needed the same masks.
    const other = await twoSteps(model, initial, false, precision, 7);
    assert.ok(maxAbsDiff(other.adapter, plain.adapter) > 1e-4, `another seed moved the adapter by ${maxAbsDiff(other.adapter, plain.adapter)}`);
  });
}

checkpoint('a non-boolean checkpointActivations is refused, naming the field', async ({ models }) => {
  const { model } = models.get('fp32')!;
  const session = await TrainSession.create(model);
  try {
    const tok = model.tokenizer!;
    const step = () => session.trainStep(batchOf([tok.encode(STORY_TEXTS[0]!)]), { lr: 1e-3, checkpointActivations: 'yes' as unknown as boolean });
    await expectError(step, InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /step\.checkpointActivations/);
  } finally {
    await session.dispose();
  }
});

checkpoint.run();
