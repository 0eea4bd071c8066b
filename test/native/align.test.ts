import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { AbortError, InvalidArgumentError, TrainSession, type AdapterState, type AlignStepOptions, type Model, type RawBatch } from '../../lib/index.js';
import { batchOf, randomRows, STORY_TEXTS } from '../helpers/batches.js';
import { tinyAdaptedModel, tinyModel } from '../helpers/tinyModel.js';
import { assertSame, expectError } from './_support.js';

interface Ctx {
  /** The teacher: stories260K with the LoRA of TINY_LORA (B = 0). */
  teacher: Model;
  /** The student: a second instance of the same file and LoRA. */
  student: Model;
  initial: AdapterState;
  /** The student's adapter with B made non-zero (perturbB), so student and teacher differ. */
  perturbed: AdapterState;
  session: TrainSession;
  batch: RawBatch;
  other: RawBatch;
}

const D = 64;
const V = 512;

/** Real tokens of `batch` (attention mask 1), as flat row indices. */
function realRows(batch: RawBatch): number[] {
  return Array.from(batch.attentionMask.keys()).filter((i) => batch.attentionMask[i] === 1);
}

/** FedBiOT's l2_norm over the real tokens: mean(((t − s)/sqrt(mean(t²)))²), and the token count. */
function reprOf(batch: RawBatch, hs: Float32Array, ht: Float32Array): { repr: number; tokens: number } {
  const rows = realRows(batch);
  let tt = 0;
  let diff = 0;
  for (const r of rows) {
    for (let k = 0; k < D; k++) {
      tt += ht[r * D + k]! ** 2;
      diff += (ht[r * D + k]! - hs[r * D + k]!) ** 2;
    }
  }
  const n = rows.length * D;
  return { repr: diff / n / (tt / n), tokens: rows.length };
}

/** Mean over real tokens of KL(softmax(lt) ‖ softmax(ls)), in float64. */
function klOf(batch: RawBatch, ls: Float32Array, lt: Float32Array): number {
  const logSoftmax = (x: Float32Array, at: number) => {
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, x[at + v]!);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(x[at + v]! - max);
    return Array.from({ length: V }, (_, v) => x[at + v]! - max - Math.log(sum));
  };
  const rows = realRows(batch);
  let total = 0;
  for (const r of rows) {
    const a = logSoftmax(lt, r * V);
    const b = logSoftmax(ls, r * V);
    for (let v = 0; v < V; v++) total += Math.exp(a[v]!) * (a[v]! - b[v]!);
  }
  return total / rows.length;
}

function relClose(got: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(got - expected) <= rel * Math.abs(expected), `${what}: ${got} vs ${expected}`);
}

/** `state` with every lora_B value set to 0.1·sin(index): a student that differs from the teacher. */
function perturbB(state: AdapterState): AdapterState {
  const data = state.data.slice();
  for (const e of state.manifest.filter((x) => x.name.includes('lora_B'))) {
    const end = e.offset + e.shape[0]! * e.shape[1]!;
    for (let i = e.offset; i < end; i++) data[i] = 0.1 * Math.sin(i);
  }
  return { data, manifest: state.manifest };
}

/** Held-out gap of `student`'s last block output to `teacher`'s, via hiddenAt. */
async function heldOutRepr(batch: RawBatch, student: Model, teacher: Model): Promise<number> {
  return reprOf(batch, await student.hiddenAt(batch, 5), await teacher.hiddenAt(batch, 5)).repr;
}

// ---

const hidden = suite<Ctx>('Model.hiddenAt');

hidden.before(async (ctx) => {
  ctx.teacher = await tinyModel();
  ctx.batch = batchOf(STORY_TEXTS.slice(0, 2).map((t) => ctx.teacher.tokenizer!.encode(t)));
});
hidden.after(async (ctx) => {
  await ctx.teacher?.dispose();
});

hidden('should return [batch, seq, hiddenSize] for every tap, different after each block', async (ctx) => {
  let previous: Float32Array | null = null;
  for (let tap = 0; tap <= 5; tap++) {
    const h = await ctx.teacher.hiddenAt(ctx.batch, tap);
    assert.is(h.length, ctx.batch.batch * ctx.batch.seq * D);
    if (previous) assert.ok(h.some((x, i) => x !== previous![i]), `tap ${tap} should differ from tap ${tap - 1}`);
    previous = h;
  }
  assertSame(await ctx.teacher.hiddenAt(ctx.batch, 3), await ctx.teacher.hiddenAt(ctx.batch, 3), 'repeated tap');
});

hidden('should refuse a tap outside [0, numLayers] :: ERR_FSLLM_INVALID_ARG', async (ctx) => {
  for (const tap of [-1, 6, 1.5]) {
    await expectError(() => ctx.teacher.hiddenAt(ctx.batch, tap), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^Expected an integer in \[0, 5\] .* for tap/);
  }
});

hidden.run();

// ---

const align = suite<Ctx>('TrainSession.alignStep');

align.before(async (ctx) => {
  ctx.teacher = await tinyAdaptedModel();
  ctx.student = await tinyAdaptedModel();
  ctx.initial = await ctx.student.exportAdapter();
  ctx.perturbed = perturbB(ctx.initial);
  ctx.session = await TrainSession.create(ctx.student, { optimizer: { type: 'sgd' } });
  const rows = STORY_TEXTS.map((t) => ctx.teacher.tokenizer!.encode(t));
  ctx.batch = batchOf(rows.slice(0, 2));
  ctx.other = batchOf(rows.slice(2, 4));
});
align.after(async (ctx) => {
  await ctx.session?.dispose();
  await ctx.student?.dispose();
  await ctx.teacher?.dispose();
});

align('should report repr = 0 and kl = 0 for identical models at taps (3, 3)', async (ctx) => {
  await ctx.student.importAdapter(ctx.initial);
  const m = await ctx.session.alignStep(ctx.teacher, ctx.batch, { lr: 0, studentTap: 3, teacherTap: 3, klWeight: 1 });
  assert.ok(Math.abs(m.repr) < 1e-12 && Math.abs(m.kl) < 1e-9, `repr ${m.repr}, kl ${m.kl}`);
  assert.is(m.tokens, realRows(ctx.batch).length);
  assert.ok(Number.isNaN(m.lm), 'lm is not computed with lmWeight 0');
});

align('should match repr and kl computed in JS from hiddenAt and logits', async (ctx) => {
  await ctx.student.importAdapter(ctx.perturbed);
  const { repr, tokens } = reprOf(ctx.batch, await ctx.student.hiddenAt(ctx.batch, 2), await ctx.teacher.hiddenAt(ctx.batch, 4));
  const kl = klOf(ctx.batch, await ctx.student.logits(ctx.batch), await ctx.teacher.logits(ctx.batch));
  const m = await ctx.session.alignStep(ctx.teacher, ctx.batch, { lr: 0, studentTap: 2, teacherTap: 4, reprWeight: 1, klWeight: 0.5 });
  assert.ok(repr > 1e-3 && kl > 1e-3, `the models should differ: repr ${repr}, kl ${kl}`);
  relClose(m.repr, repr, 1e-5, 'repr');
  relClose(m.kl, kl, 1e-5, 'kl');
  relClose(m.loss, repr + 0.5 * kl, 1e-5, 'loss');
  assert.is(m.tokens, tokens);
  assertSame((await ctx.student.exportAdapter()).data, ctx.perturbed.data, 'adapter after lr 0');
});

align('should weight micro-batches by their real tokens', async (ctx) => {
  await ctx.student.importAdapter(ctx.perturbed);
  const opts: AlignStepOptions = { lr: 0, studentTap: 5, teacherTap: 5, klWeight: 1 };
  const a = await ctx.session.alignStep(ctx.teacher, ctx.batch, opts);
  const b = await ctx.session.alignStep(ctx.teacher, ctx.other, opts);
  const both = await ctx.session.alignStep(ctx.teacher, [ctx.batch, ctx.other], opts);
  assert.is(both.tokens, a.tokens + b.tokens);
  relClose(both.repr, (a.repr * a.tokens + b.repr * b.tokens) / both.tokens, 1e-6, 'repr');
  relClose(both.kl, (a.kl * a.tokens + b.kl * b.tokens) / both.tokens, 1e-6, 'kl');
});

// A first-order check of the gradient (the KL's is a custom autograd function): one SGD step of size lr
// lowers the loss by lr·|g|² up to O(lr²).
for (const [name, weights] of [['repr', { reprWeight: 1 }], ['kl', { reprWeight: 0, klWeight: 1 }]] as const) {
  align(`should descend along its reported gradient :: ${name}`, async (ctx) => {
    await ctx.student.importAdapter(ctx.perturbed);
    const opts = { studentTap: 5, teacherTap: 5, ...weights };
    const before = await ctx.session.alignStep(ctx.teacher, ctx.batch, { lr: 0, ...opts });
    const lr = (0.01 * before.loss) / before.gradNorm ** 2;
    await ctx.session.alignStep(ctx.teacher, ctx.batch, { lr, ...opts });
    const after = await ctx.session.alignStep(ctx.teacher, ctx.batch, { lr: 0, ...opts });
    relClose(before.loss - after.loss, lr * before.gradNorm ** 2, 0.05, 'loss decrease');
  });
}

align('should distil a perturbed student: loss -30% in 30 AdamW steps, held-out gap down', async (ctx) => {
  const teacher = await tinyModel();
  const session = await TrainSession.create(ctx.student, { optimizer: { type: 'adamw', weightDecay: 0 } });
  try {
    await ctx.student.importAdapter(ctx.perturbed);
    const train = [batchOf(randomRows(7, 2, 24, V)), ctx.batch];
    const heldBefore = await heldOutRepr(ctx.other, ctx.student, teacher);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) losses.push((await session.alignStep(teacher, train, { lr: 1e-2, maxGradNorm: 1, studentTap: 5, teacherTap: 5, klWeight: 0.5 })).loss);
    const heldAfter = await heldOutRepr(ctx.other, ctx.student, teacher);
    assert.ok(losses.at(-1)! < 0.7 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
    assert.ok(heldAfter < heldBefore, `held-out repr ${heldBefore} -> ${heldAfter}`);
  } finally {
    await session.dispose();
    await teacher.dispose();
  }
});

align('should change only its layers :: layers [0, 1, 2]', async (ctx) => {
  await ctx.student.importAdapter(ctx.perturbed);
  const session = await TrainSession.create(ctx.student, { optimizer: { type: 'sgd' }, layers: [0, 1, 2] });
  try {
    await session.alignStep(ctx.teacher, ctx.batch, { lr: 0.1, studentTap: 5, teacherTap: 5 });
  } finally {
    await session.dispose();
  }
  const after = (await ctx.student.exportAdapter()).data;
  for (const e of ctx.perturbed.manifest) {
    const n = e.shape[0]! * e.shape[1]!;
    const changed = after.subarray(e.offset, e.offset + n).some((w, i) => w !== ctx.perturbed.data[e.offset + i]);
    assert.is(changed, /\.layers\.[012]\./.test(e.name), e.name);
  }
});

align('should not deadlock when two sessions distil towards each other', async (ctx) => {
  const back = await TrainSession.create(ctx.teacher, { optimizer: { type: 'sgd' } });
  try {
    const opts: AlignStepOptions = { lr: 0, studentTap: 5, teacherTap: 5 };
    const all = Promise.all([ctx.session.alignStep(ctx.teacher, ctx.batch, opts), back.alignStep(ctx.student, ctx.batch, opts), ctx.teacher.logits(ctx.batch)]);
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the two steps wait for each other')), 10_000)));
    const results = await Promise.race([all, stuck]).finally(() => clearTimeout(timer));
    assert.is(results.length, 3);
  } finally {
    await back.dispose();
  }
});

align('should reject in flight with ERR_FSLLM_ABORTED and keep the weights', async (ctx) => {
  await ctx.student.importAdapter(ctx.perturbed);
  const many = Array.from({ length: 40 }, (_, seed) => batchOf(randomRows(seed, 2, 64, V)));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20);
  const opts = { lr: 0.1, studentTap: 5, teacherTap: 5, signal: controller.signal };
  await expectError(() => ctx.session.alignStep(ctx.teacher, many, opts), AbortError, 'ERR_FSLLM_ABORTED', /^alignStep was aborted; the weights were not updated/);
  clearTimeout(timer);
  assertSame((await ctx.student.exportAdapter()).data, ctx.perturbed.data, 'adapter');
});

align('should refuse bad teachers and options :: ERR_FSLLM_INVALID_ARG', async (ctx) => {
  const cases: [Model, Partial<AlignStepOptions>, RegExp][] = [
    [ctx.student, {}, /for teacher/],
    [ctx.teacher, { studentTap: 6 }, /^Expected an integer in \[0, 5\] \(the student's blocks\) for align\.studentTap/],
    [ctx.teacher, { teacherTap: -1 }, /for align\.teacherTap/],
    [ctx.teacher, { reprWeight: 0 }, /for align\.reprWeight/],
    [ctx.teacher, { klWeight: Number.NaN }, /for align\.klWeight/],
  ];
  for (const [teacher, bad, message] of cases) {
    const opts = { lr: 0, studentTap: 5, teacherTap: 5, ...bad };
    await expectError(() => ctx.session.alignStep(teacher, ctx.batch, opts), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', message);
  }
});

align.run();
