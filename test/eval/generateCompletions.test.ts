// generateCompletions on the real stories260K: what resuming relies on (rows seeded by the item, not by the
// list position; skipped rows left out) and how it stops (abort, a failing onRow), and the prompt cut.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { generateCompletions, type CompletionRow } from '../../lib/eval/index.js';
import type { Model } from '../../lib/index.js';
import { fails } from '../helpers/errors.js';
import { tinyModel } from '../helpers/tinyModel.js';
import { countingModel } from './_countingModel.js';

type Ctx = { model: Model };

const texts = (rows: readonly CompletionRow[]) => rows.map((r) => `${r.index}/${r.sample}: ${r.text}`);
const SAMPLED = { maxNewTokens: 12, temperature: 1, topK: 40, topP: 0.9, seed: 3, numReturnSequences: 2 };

const generate = suite<Ctx>('generateCompletions');
generate.before(async (ctx) => {
  ctx.model = await tinyModel();
});
generate.after(async (ctx) => {
  await ctx.model.dispose();
});

generate('should sample the same rows for an item whatever its position in the list', async ({ model }) => {
  const both = await generateCompletions(model, ['Once upon a time', 'The cat'], { ...SAMPLED, keys: [5, 9] });
  const alone = await generateCompletions(model, ['The cat'], { ...SAMPLED, keys: [9] });
  assert.equal(texts(both.filter((r) => r.index === 1)).map((t) => t.slice(2)), texts(alone).map((t) => t.slice(2)));
  assert.not.equal(both[0]!.text, both[1]!.text, 'the samples of a prompt differ');
});

generate('should give greedy rows in prompt order, equal to one prompt at a time, and leave skipped rows out', async ({ model }) => {
  const prompts = ['Once upon a time', 'The cat', 'Lily had a ball'];
  const counted = countingModel(model);
  const rows = await generateCompletions(counted, prompts, { maxNewTokens: 10, skip: (index) => index === 1 });
  assert.equal(rows.map((r) => r.index), [0, 2]);
  assert.is(counted.generateCalls, 1, 'greedy prompts go in one call');
  const single = await generateCompletions(model, [prompts[2]!], { maxNewTokens: 10 });
  assert.is(rows[1]!.text, single[0]!.text);
  assert.ok(rows.every((r) => r.ids.length > 0 && r.promptTokens > 1 && r.cutTokens === 0));
});

generate('should cut a prompt longer than the context from the front, keeping BOS', async ({ model }) => {
  const long = 'The little dog ran to the park and played. '.repeat(60);
  const [row] = await generateCompletions(model, [long], { maxNewTokens: 16 });
  assert.ok(row!.cutTokens > 0);
  assert.is(row!.promptTokens, model.config.maxPositions - 16);
  assert.ok(row!.ids.length > 0 && row!.ids.length <= 16);
});

generate('should reject with ERR_FSLLM_ABORTED after the rows that finished were handed over', async ({ model }) => {
  const controller = new AbortController();
  const seen: number[] = [];
  const onRow = (row: CompletionRow) => {
    seen.push(row.index);
    controller.abort();
  };
  await fails(() => generateCompletions(model, ['a', 'b', 'c', 'd'], { maxNewTokens: 8, batchSize: 1, signal: controller.signal, onRow }), 'ERR_FSLLM_ABORTED');
  assert.equal(seen, [0]);
});

generate('should stop and rethrow when onRow fails', async ({ model }) => {
  const counted = countingModel(model);
  const onRow = async () => {
    throw new Error('disk full');
  };
  try {
    await generateCompletions(counted, ['a', 'b', 'c'], { ...SAMPLED, batchSize: 1, onRow });
    assert.unreachable('should have failed');
  } catch (error) {
    assert.is((error as Error).message, 'disk full');
  }
  assert.ok(counted.generatedRows < 6, 'the prompts after the failure were not generated');
});

generate.run();
