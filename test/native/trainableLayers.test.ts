// Model.setLayersTrainable: full weights of chosen blocks as trainable state (FedOT's "full adapter layers"),
// on stories260K (5 layers). Checks the manifest against the checkpoint, the gradients of every tensor kind
// of a block against finite differences of evalLoss, training, sessions with `layers`, and the errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  binding,
  InvalidArgumentError,
  Model,
  openCheckpoint,
  sliceOf,
  TrainSession,
  type AdapterState,
  type OptimizerOptions,
  type RawBatch,
} from '../../lib/index.js';
import { batchOf, STORY_TEXTS } from '../helpers/batches.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { logReport } from '../helpers/tolerance.js';
import { TINY_LORA, tinyModel } from '../helpers/tinyModel.js';
import { assertClose, assertSame, expectError, maxAbsDiff } from './_support.js';

const PEFT = 'base_model.model.';
const PLAIN_SGD: OptimizerOptions = { type: 'sgd', momentum: 0, weightDecay: 0 };

/** Non-LoRA parameter names of one LLaMA block, in registration order (attention, MLP, norms). */
function blockKeys(layer: number): string[] {
  const p = `model.layers.${layer}.`;
  return [
    ...['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((m) => `${p}self_attn.${m}.weight`),
    ...['gate_proj', 'up_proj', 'down_proj'].map((m) => `${p}mlp.${m}.weight`),
    `${p}input_layernorm.weight`,
    `${p}post_attention_layernorm.weight`,
  ];
}

/** Layer index of a manifest name, or -1. */
function layerOf(name: string): number {
  return Number(/\.layers\.(\d+)\./.exec(name)?.[1] ?? -1);
}

/** The checkpoint's values of `names` (HF keys), decoded as the loader does. */
async function checkpointValues(names: string[]): Promise<Record<string, Float32Array>> {
  const { tensors } = await openCheckpoint(STORIES_BIN);
  const wanted = tensors.filter((t) => names.includes(t.name));
  assert.is(wanted.length, names.length, 'every key should be in the checkpoint');
  return binding().readTensors(wanted);
}

function probe(model: Model, count = 2): RawBatch {
  return batchOf(STORY_TEXTS.slice(0, count).map((t) => model.tokenizer!.encode(t)));
}

async function meanLoss(model: Model, batch: RawBatch): Promise<number> {
  const { lossSum, tokens } = await model.evalLoss([batch]);
  return lossSum / tokens;
}

async function withModel(body: (model: Model) => Promise<void>): Promise<void> {
  const model = await tinyModel();
  try {
    await body(model);
  } finally {
    await model.dispose();
  }
}

// ---

const manifest = suite('Model.setLayersTrainable :: manifest');

manifest('should export exactly layer 4\'s base tensors with PEFT names, shapes and checkpoint values', () =>
  withModel(async (model) => {
    assert.equal(model.trainableLayers, []);
    const { parameters } = await model.setLayersTrainable([4], true);
    assert.equal(model.trainableLayers, [4]);
    const state = await model.exportAdapter();
    const keys = blockKeys(4);
    assert.equal(state.manifest.map((e) => e.name), keys.map((k) => PEFT + k));
    const { hiddenSize: D, intermediateSize: F, numHeads: H, numKvHeads: Hkv, headDim: Hd } = model.config;
    const shapes = [[H * Hd, D], [Hkv * Hd, D], [Hkv * Hd, D], [D, H * Hd], [F, D], [F, D], [D, F], [D], [D]];
    const expected = await checkpointValues(keys);
    for (const [i, entry] of state.manifest.entries()) {
      assert.equal(entry.shape, shapes[i], `${entry.name} shape`);
      assertSame(sliceOf(state, entry), expected[keys[i]!]!, entry.name);
    }
    assert.is(parameters, state.data.length);
  }),
);

manifest('should interleave LoRA tensors and keep their count when frozen again', () =>
  withModel(async (model) => {
    await model.attachLora(TINY_LORA);
    const lora = (await model.exportAdapter()).data.length;
    const { parameters } = await model.setLayersTrainable([4], true);
    const state = await model.exportAdapter();
    assert.is(parameters, state.data.length);
    const names = state.manifest.map((e) => e.name);
    assert.ok(names.includes(`${PEFT}model.layers.4.self_attn.q_proj.lora_A.weight`));
    assert.ok(names.includes(`${PEFT}model.layers.4.mlp.down_proj.weight`));
    assert.is(names.filter((n) => !n.includes('.lora_')).length, 9);
    assert.ok(names.filter((n) => !n.includes('.lora_')).every((n) => layerOf(n) === 4));
    assert.equal(await model.setLayersTrainable([4], false), { parameters: lora });
    assert.equal(model.trainableLayers, []);
  }),
);

manifest('should export an unfrozen base weight without the folded delta while the adapter is merged', () =>
  withModel(async (model) => {
    await model.attachLora(TINY_LORA);
    await model.setLayersTrainable([4], true);
    const initial = await model.exportAdapter();
    // B is zero after attachLora (no delta to fold): make every LoRA value non-zero first.
    await model.importAdapter(initial.data.map((w, i) => w + 0.05 * Math.sin(i + 1)));
    const unmerged = await model.exportAdapter();
    await model.mergeLora();
    try {
      assertClose((await model.exportAdapter()).data, unmerged.data, 1e-6, 'export while merged');
    } finally {
      await model.unmergeLora();
    }
  }),
);

manifest.run();

// ---

/**
 * Finite differences as test/golden/gradcheck.test.ts: five-point stencil of the fp32 evalLoss with step H,
 * |fd − g| <= FD_ABS + FD_REL·|g| on coordinates with |g| >= MIN_GRAD. The gradient g is observed through
 * the real update path: one plain SGD step at lr = LR gives g = (before − after) / LR.
 */
const H = 2e-2;
const FD_ABS = 1e-4;
const FD_REL = 1e-2;
const MIN_GRAD = 5e-3;
const LR = 1e-2;
const PER_KIND = 3;
const KINDS = ['self_attn.q_proj.weight', 'input_layernorm.weight', 'mlp.down_proj.weight', 'mlp.gate_proj.weight'];

const grad = suite('Model.setLayersTrainable :: gradients');

grad('should give the finite-difference gradients of q_proj, input_layernorm and the MLP :: SGD step', () =>
  withModel(async (model) => {
    await model.setLayersTrainable([4], true);
    const batch = probe(model);
    const initial = await model.exportAdapter();
    const session = await TrainSession.create(model, { optimizer: PLAIN_SGD });
    try {
      await session.trainStep(batch, { lr: LR });
    } finally {
      await session.dispose();
    }
    const after = (await model.exportAdapter()).data;
    const g = initial.data.map((v, i) => (v - after[i]!) / LR);
    const loss = async (index: number, shift: number) => {
      const data = Float32Array.from(initial.data);
      data[index] = data[index]! + shift;
      await model.importAdapter(data);
      return meanLoss(model, batch);
    };
    let checked = 0;
    let worst = 0;
    let maxAbs = 0;
    let maxRel = 0;
    for (const kind of KINDS) {
      const entry = initial.manifest.find((e) => e.name.endsWith(`layers.4.${kind}`))!;
      const size = entry.shape.reduce((a, b) => a * b, 1);
      const pool: number[] = [];
      for (let i = entry.offset; i < entry.offset + size; i++) if (Math.abs(g[i]!) >= MIN_GRAD) pool.push(i);
      assert.ok(pool.length >= PER_KIND, `${kind}: ${pool.length} coordinates with |g| >= ${MIN_GRAD}`);
      // Evenly spread over the pool: deterministic and not clustered in one row.
      for (let k = 0; k < PER_KIND; k++) {
        const index = pool[Math.floor(((k + 0.5) * pool.length) / PER_KIND)]!;
        const [p1, m1, p2, m2] = [await loss(index, H), await loss(index, -H), await loss(index, 2 * H), await loss(index, -2 * H)];
        const slope = (8 * (p1 - m1) - (p2 - m2)) / (12 * H);
        const diff = Math.abs(slope - g[index]!);
        const bound = FD_ABS + FD_REL * Math.abs(g[index]!);
        assert.ok(diff <= bound, `${kind}[${index - entry.offset}]: analytic ${g[index]}, finite differences ${slope}`);
        worst = Math.max(worst, diff / bound);
        maxAbs = Math.max(maxAbs, diff);
        maxRel = Math.max(maxRel, diff / Math.abs(g[index]!));
        checked += 1;
      }
    }
    assert.is(checked, KINDS.length * PER_KIND);
    logReport('layer-4 full weights finite differences', { count: checked, maxAbs, maxRel, worst });
  }),
);

grad.run();

// ---

const training = suite('Model.setLayersTrainable :: training');

training('should lower the loss over 20 AdamW steps on layer 4 alone and leave layers 0-3 as loaded', () =>
  withModel(async (model) => {
    await model.setLayersTrainable([4], true);
    const batch = probe(model, 1);
    const before = await model.exportAdapter();
    const session = await TrainSession.create(model, { optimizer: { type: 'adamw' } });
    const losses: number[] = [];
    try {
      for (let i = 0; i < 20; i++) losses.push((await session.trainStep(batch, { lr: 1e-3 })).loss);
    } finally {
      await session.dispose();
    }
    assert.ok(losses.at(-1)! < 0.8 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
    const after = await model.exportAdapter();
    assert.equal(after.manifest, before.manifest);
    assert.ok(maxAbsDiff(after.data, before.data) > 0, 'layer 4 should change');
    // Layers 0-3, made visible through the same export, still hold the checkpoint's values.
    await model.setLayersTrainable([0, 1, 2, 3], true);
    assert.equal(model.trainableLayers, [0, 1, 2, 3, 4]);
    const all = await model.exportAdapter();
    const keys = [0, 1, 2, 3].flatMap(blockKeys);
    const expected = await checkpointValues(keys);
    for (const entry of all.manifest.filter((e) => layerOf(e.name) < 4)) assertSame(sliceOf(all, entry), expected[entry.name.slice(PEFT.length)]!, entry.name);
    assert.equal(await model.setLayersTrainable([0, 1, 2, 3, 4], false), { parameters: 0 });
  }),
);

training.run();

// ---

interface LayersCtx {
  model: Model;
  start: AdapterState;
  batch: RawBatch;
}

/** Restores `ctx.start`, runs one SGD step of a session on `layers`, returns the state after. */
async function stepOn(ctx: LayersCtx, layers: number[]): Promise<Float32Array> {
  await ctx.model.importAdapter(ctx.start);
  const session = await TrainSession.create(ctx.model, { optimizer: PLAIN_SGD, layers });
  try {
    await session.trainStep(ctx.batch, { lr: 0.1 });
    return (await ctx.model.exportAdapter()).data;
  } finally {
    await session.dispose();
  }
}

function assertChanged(ctx: LayersCtx, after: Float32Array, layers: number[]): void {
  for (const entry of ctx.start.manifest) {
    const d = maxAbsDiff(sliceOf({ data: after, manifest: ctx.start.manifest }, entry), sliceOf(ctx.start, entry));
    if (layers.includes(layerOf(entry.name))) assert.ok(d > 0, `${entry.name} should change`);
    else assert.is(d, 0, `${entry.name} should not change`);
  }
}

const layers = suite<LayersCtx>('Model.setLayersTrainable :: sessions with layers');

layers.before(async (ctx) => {
  ctx.model = await tinyModel();
  await ctx.model.attachLora(TINY_LORA);
  await ctx.model.setLayersTrainable([4], true);
  const initial = await ctx.model.exportAdapter();
  // B is zero after attachLora, which would leave A without gradient: move every value a little.
  ctx.start = { data: initial.data.map((w, i) => w + 0.01 * Math.sin(i + 1)), manifest: initial.manifest };
  ctx.batch = probe(ctx.model);
});

layers.after(async (ctx) => {
  await ctx.model?.dispose();
});

layers('should train layer 4\'s LoRA and base weights :: layers [4]', async (ctx) => {
  assertChanged(ctx, await stepOn(ctx, [4]), [4]);
  const names = ctx.start.manifest.filter((e) => layerOf(e.name) === 4).map((e) => e.name);
  assert.ok(names.some((n) => n.includes('.lora_B.')) && names.some((n) => n.endsWith('input_layernorm.weight')));
});

layers('should leave layer 4 (base and LoRA) unchanged :: layers [0, 1, 2, 3]', async (ctx) => {
  assertChanged(ctx, await stepOn(ctx, [0, 1, 2, 3]), [0, 1, 2, 3]);
});

layers.run();

// ---

const transfer = suite('Model.importAdapterTensors :: full-weight layers');

transfer('should move trained layer-4 weights to another model with the same layers', () =>
  withModel(async (source) => {
    await source.setLayersTrainable([4], true);
    const batch = probe(source);
    const session = await TrainSession.create(source, { optimizer: { type: 'adamw' } });
    try {
      for (let i = 0; i < 3; i++) await session.trainStep(batch, { lr: 1e-3 });
    } finally {
      await session.dispose();
    }
    const trained = await source.exportAdapter();
    await withModel(async (target) => {
      await target.setLayersTrainable([4], true);
      assert.ok(maxAbsDiff(await target.logits(batch), await source.logits(batch)) > 0, 'the models should differ first');
      await target.importAdapterTensors(trained.manifest.map((e) => ({ name: e.name, shape: e.shape, data: sliceOf(trained, e) })));
      assertSame((await target.exportAdapter()).data, trained.data, 'imported state');
      assertSame(await target.logits(batch), await source.logits(batch), 'logits');
    });
  }),
);

transfer.run();

// ---

const errors = suite<{ model: Model }>('Model.setLayersTrainable :: errors');

errors.before(async (ctx) => {
  ctx.model = await tinyModel();
});

errors.after(async (ctx) => {
  await ctx.model?.dispose();
});

for (const [label, value] of [['out of range', [5]], ['negative', [-1]], ['not an integer', [1.5]], ['empty', []]] as const) {
  errors(`should refuse layers :: ${label}`, async ({ model }) => {
    await expectError(() => model.setLayersTrainable(value, true), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /layer indices in \[0, 5\).* for layers/);
  });
}

errors('should refuse an index out of range in C++ as well (binding called directly)', async ({ model }) => {
  const { callNative } = await import('../../lib/native/callNative.js');
  await expectError(() => callNative(() => model.native.setLayersTrainable([7], true)), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /\[0, 5\) for layers but received \[7\]/);
  await expectError(() => callNative(() => model.native.setLayersTrainable([], true)), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /for layers/);
});

errors('should refuse a non-boolean trainable', async ({ model }) => {
  await expectError(() => model.setLayersTrainable([1], 1 as unknown as boolean), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /a boolean for trainable/);
});

errors('should refuse while the adapter is merged', async ({ model }) => {
  await model.attachLora(TINY_LORA);
  await model.mergeLora();
  try {
    await expectError(() => model.setLayersTrainable([4], true), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /unmergeLora\(\) before setLayersTrainable/);
    assert.equal(model.trainableLayers, []);
  } finally {
    await model.unmergeLora();
    await model.detachLora();
  }
});

errors('should make an older TrainSession stale', async ({ model }) => {
  await model.setLayersTrainable([3], true);
  const session = await TrainSession.create(model, { optimizer: PLAIN_SGD });
  try {
    await model.setLayersTrainable([4], true);
    await expectError(() => session.trainStep(probe(model), { lr: 1e-3 }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /create a new TrainSession/);
  } finally {
    await session.dispose();
    await model.setLayersTrainable([3, 4], false);
  }
});

errors.run();
