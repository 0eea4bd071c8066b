import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError, type GenerateRow, type Model } from '../../lib/index.js';
import { tinyModel } from '../helpers/tinyModel.js';
import { expectError } from './_support.js';

// Prompts of different lengths (1 to 13 tokens), as text and as ids: left padding is exercised in every batch.
const PROMPTS: (string | number[])[] = ['', 'Once upon a time', 'Lily wanted to play with the big red ball in the park.', [1, 365, 301], 'The dog'];

/** What each row of a list call must equal: the row's prompt generated on its own. */
const alone = (model: Model, prompt: string | number[], options: Parameters<Model['generate']>[1]) => model.generate(prompt, options);

const INVALID = 'ERR_FSLLM_INVALID_ARG';

// ---

const greedy = suite<{ model: Model; singles: number[][] }>('Model.generate (prompt list) :: greedy');

greedy.before(async (ctx) => {
  ctx.model = await tinyModel();
  ctx.singles = [];
  for (const p of PROMPTS) ctx.singles.push((await alone(ctx.model, p, { maxNewTokens: 40, stopAtEos: false })).ids);
});

greedy.after(async (ctx) => {
  await ctx.model?.dispose();
});

for (const batchSize of [1, 2, 3, 16]) {
  greedy(`each row should equal its prompt generated alone :: batchSize ${batchSize}`, async ({ model, singles }) => {
    const rows = await model.generate(PROMPTS, { maxNewTokens: 40, stopAtEos: false, batchSize });
    assert.equal(rows.map((r) => [r.index, r.sample]), PROMPTS.map((_, i) => [i, 0]));
    assert.equal(rows.map((r) => r.ids), singles);
    assert.equal(rows.map((r) => r.finishReason), PROMPTS.map(() => 'length'));
    assert.equal(rows[1]!.text, model.tokenizer!.decode(singles[1]!));
  });
}

greedy('numReturnSequences :: greedy samples should all equal the prompt alone', async ({ model, singles }) => {
  const rows = await model.generate(PROMPTS, { maxNewTokens: 40, stopAtEos: false, batchSize: 2, numReturnSequences: 3 });
  assert.equal(rows.map((r) => [r.index, r.sample]), PROMPTS.flatMap((_, i) => [[i, 0], [i, 1], [i, 2]]));
  assert.equal(rows.map((r) => r.ids), singles.flatMap((ids) => [ids, ids, ids]));
  assert.equal(rows[3]!.promptIds, model.tokenizer!.encode(PROMPTS[1] as string));
});

greedy('maxNewTokens 0 should give empty rows ended by length', async ({ model }) => {
  const rows = await model.generate(PROMPTS, { maxNewTokens: 0 });
  assert.equal(rows.map((r) => [r.ids, r.text, r.finishReason]), PROMPTS.map(() => [[], '', 'length']));
});

greedy.run();

// ---

const sampling = suite<{ model: Model }>('Model.generate (prompt list) :: sampling');

sampling.before(async (ctx) => {
  ctx.model = await tinyModel();
});

sampling.after(async (ctx) => {
  await ctx.model?.dispose();
});

const SAMPLED = { maxNewTokens: 30, temperature: 1, topP: 0.95, seed: 7, stopAtEos: false };

sampling('the same seed should give the same rows', async ({ model }) => {
  const a = await model.generate(PROMPTS, { ...SAMPLED, numReturnSequences: 2 });
  const b = await model.generate(PROMPTS, { ...SAMPLED, numReturnSequences: 2 });
  assert.equal(a, b);
});

sampling('a row should not depend on the rest of its batch', async ({ model }) => {
  const together = await model.generate(PROMPTS, { ...SAMPLED, numReturnSequences: 2 });
  const apart = await model.generate(PROMPTS, { ...SAMPLED, numReturnSequences: 2, batchSize: 1 });
  const longer = await model.generate([...PROMPTS, 'Tom and Sam'], { ...SAMPLED, numReturnSequences: 2, batchSize: 4 });
  assert.equal(apart.map((r) => r.ids), together.map((r) => r.ids));
  assert.equal(longer.slice(0, together.length).map((r) => r.ids), together.map((r) => r.ids));
  // The first row of a list is seeded like a single prompt.
  assert.equal((await model.generate(PROMPTS[0]!, SAMPLED)).ids, together[0]!.ids);
});

sampling('seedKeys should seed rows by key, not by list position', async ({ model }) => {
  const rows = await model.generate(PROMPTS.slice(0, 3), { ...SAMPLED, numReturnSequences: 2, seedKeys: [10, 11, 12] });
  const resumed = await model.generate([PROMPTS[2]!, PROMPTS[0]!], { ...SAMPLED, numReturnSequences: 2, seedKeys: [12, 10] });
  assert.equal(resumed.map((r) => r.ids), [rows[4]!.ids, rows[5]!.ids, rows[0]!.ids, rows[1]!.ids]);
  assert.equal(resumed.map((r) => r.index), [0, 0, 1, 1]);
});

sampling('samples of one prompt and rows of different prompts should differ', async ({ model }) => {
  const rows = await model.generate([[1], [1]], { ...SAMPLED, numReturnSequences: 3 });
  assert.is(new Set(rows.map((r) => r.ids.join(','))).size, 6);
});

sampling.run();

// ---

const ending = suite<{ model: Model }>('Model.generate (prompt list) :: rows end on their own');

ending.before(async (ctx) => {
  ctx.model = await tinyModel();
});

ending.after(async (ctx) => {
  await ctx.model?.dispose();
});

// stories260K ends stories with BOS (a stop id for llama2.c vocabularies); with seed 4 prompt 0 samples one at
// index 103 (generate.test.ts), so that row ends long before the others.
ending('each row should end at its own EOS or budget, as it would alone', async ({ model }) => {
  const options = { maxNewTokens: 150, temperature: 1, seed: 4 };
  const done: GenerateRow[] = [];
  const rows = await model.generate(PROMPTS, { ...options, onRow: (r) => done.push(r) });
  const apart = await model.generate(PROMPTS, { ...options, batchSize: 1 });
  assert.equal(rows, apart);
  assert.is(rows[0]!.finishReason, 'eos');
  assert.is(rows[0]!.ids.length, 104);
  assert.is(rows[0]!.ids.at(-1), 1);
  assert.ok(rows.some((r) => r.finishReason === 'length'), rows.map((r) => r.finishReason).join());
  // onRow saw every row once, as the result has it, in the order they ended.
  assert.equal([...done].sort((a, b) => a.index - b.index), rows);
  const lengths = done.map((r) => r.ids.length);
  assert.equal(lengths, [...lengths].sort((a, b) => a - b));
});

ending('stop strings should cut each row as they cut it alone', async ({ model }) => {
  const options = { maxNewTokens: 60, stop: ['Lily', 'park'], stopAtEos: false };
  const rows = await model.generate(PROMPTS, options);
  for (const [i, p] of PROMPTS.entries()) {
    const single = await alone(model, p, options);
    assert.equal([rows[i]!.ids, rows[i]!.text, rows[i]!.finishReason], [single.ids, single.text, single.finishReason], `prompt ${i}`);
  }
  const reasons = new Set(rows.map((r) => r.finishReason));
  assert.ok(reasons.has('stop') && reasons.has('length'), [...reasons].join());
  for (const r of rows) assert.not.match(r.text, /Lily|park/);
});

ending('onText should stream each row\'s text', async ({ model }) => {
  const pieces = new Map<string, string>();
  const rows = await model.generate(PROMPTS, {
    maxNewTokens: 30, stop: ['Lily'], numReturnSequences: 2, temperature: 0.8,
    onText: (t, { index, sample }) => pieces.set(`${index}/${sample}`, (pieces.get(`${index}/${sample}`) ?? '') + t),
  });
  for (const r of rows) assert.is(pieces.get(`${r.index}/${r.sample}`) ?? '', r.text);
});

ending.run();

// ---

const abort = suite<{ model: Model }>('Model.generate (prompt list) :: abort');

abort.before(async (ctx) => {
  ctx.model = await tinyModel();
});

abort.after(async (ctx) => {
  await ctx.model?.dispose();
});

abort('an abort mid-batch should resolve promptly with aborted rows and leave the model usable', async ({ model }) => {
  const controller = new AbortController();
  let abortedAt = 0;
  const onText = () => {
    if (abortedAt > 0) return;
    abortedAt = performance.now();
    controller.abort();
  };
  const rows = await model.generate(PROMPTS, { maxNewTokens: 400, stopAtEos: false, batchSize: 2, signal: controller.signal, onText });
  const latency = performance.now() - abortedAt;
  assert.ok(latency < 500, `resolved ${latency} ms after the abort`);
  assert.equal(rows.map((r) => r.finishReason), PROMPTS.map(() => 'aborted'));
  assert.ok(rows[0]!.ids.length > 0 && rows[0]!.ids.length < 100, `${rows[0]!.ids.length} tokens`);
  assert.equal(rows.slice(2).map((r) => r.ids), [[], [], []]);
  const again = await model.generate(PROMPTS.slice(0, 2), { maxNewTokens: 5, stopAtEos: false });
  assert.equal(again.map((r) => [r.ids.length, r.finishReason]), [[5, 'length'], [5, 'length']]);
});

abort('a signal that already fired should generate nothing', async ({ model }) => {
  const rows = await model.generate(PROMPTS, { maxNewTokens: 5, signal: AbortSignal.abort() });
  assert.equal(rows.map((r) => [r.ids, r.finishReason]), PROMPTS.map(() => [[], 'aborted']));
  const single = await model.generate('Once', { maxNewTokens: 5, signal: AbortSignal.abort() });
  assert.is(single.finishReason, 'aborted');
});

abort.run();

// ---

const invalid = suite<{ model: Model }>('Model.generate (prompt list) :: bad input');

invalid.before(async (ctx) => {
  ctx.model = await tinyModel();
});

invalid.after(async (ctx) => {
  await ctx.model?.dispose();
});

const BAD: [string, (m: Model) => Promise<unknown>, RegExp][] = [
  ['empty prompt list', (m) => m.generate([]), /^Expected a non-empty array of prompts for prompts but received \[\]/],
  ['id out of the vocabulary', (m) => m.generate([[1, 2], [1, 600]]), /^Expected a token id in \[0, 512\) for prompts\[1\]\[1\] but received 600/],
  ['negative id', (m) => m.generate(['Once', [1, -1]]), /for prompts\[1\]\[1\] but received -1/],
  ['empty prompt in a list', (m) => m.generate(['Once', []]), /^Expected a non-empty prompt \(at least a BOS token\) for prompts\[1\]/],
  ['numReturnSequences 0', (m) => m.generate(['a', 'b'], { numReturnSequences: 0 }), /^Expected an integer >= 1 for numReturnSequences but received 0/],
  ['numReturnSequences 2 with one prompt', (m) => m.generate('a', { numReturnSequences: 2 } as never), /for numReturnSequences but received 2/],
  ['batchSize 0', (m) => m.generate(['a', 'b'], { batchSize: 0 }), /^Expected an integer >= 1 for batchSize but received 0/],
  ['batchSize 1.5', (m) => m.generate(['a', 'b'], { batchSize: 1.5 }), /for batchSize but received 1.5/],
  ['seedKeys of the wrong length', (m) => m.generate(['a', 'b'], { seedKeys: [1] }), /^Expected an array of 2 integers in \[0, 2\^32\), one per prompt for seedKeys but received \[1\]/],
  ['maxNewTokens -1', (m) => m.generate(['a'], { maxNewTokens: -1 }), /for maxNewTokens but received -1/],
  ['topP 0', (m) => m.generate(['a'], { topP: 0 }), /for topP but received 0/],
];

for (const [name, call, message] of BAD) {
  invalid(`should refuse :: ${name}`, async ({ model }) => {
    await expectError(() => call(model), InvalidArgumentError, INVALID, message);
  });
}

invalid('a refused call should leave the model usable', async ({ model }) => {
  const rows = await model.generate(['Once', [1]], { maxNewTokens: 3 });
  assert.is(rows.length, 2);
});

invalid.run();
