// Model.nextTokenLogits and lib/eval's scorer over it on the real native forward: each row's candidates at its
// last real position equal the full logits there, whatever the padding side and batch; bad calls are refused;
// an MMLU run goes end to end on the embedded model.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { mmluChoiceIds, mmluSubset, nextTokenLogitsFrom, readMmlu, runMmlu, summarizeMmlu } from '../../lib/eval/index.js';
import { InvalidArgumentError, type Model } from '../../lib/index.js';
import { SAMPLE_DATA } from '../helpers/paths.js';
import { tinyModel } from '../helpers/tinyModel.js';
import { assertClose, expectError } from './_support.js';

type Ctx = { model: Model };

const next = suite<Ctx>('nextTokenLogitsFrom(Model)');
next.before(async (ctx) => {
  ctx.model = await tinyModel();
});
next.after(async ({ model }) => {
  await model.dispose();
});
next('should give the same logits batched (right-padded) as one prompt at a time', async ({ model }) => {
  const tok = model.tokenizer!;
  const prompts = ['Once upon a time', 'Lily', 'The dog ran to the park and saw a big red ball. Answer:'].map((t) => tok.encode(t));
  const candidates = mmluChoiceIds(tok);
  const alone = await nextTokenLogitsFrom(model)(prompts, candidates);
  const batched = await nextTokenLogitsFrom(model, { batchSize: 3 })(prompts, candidates);
  for (let i = 0; i < prompts.length; i++) assertClose(batched[i]!, alone[i]!, 1e-4, `prompt ${i}`);
  const full = await model.logits({ ids: Int32Array.from(prompts[1]!), attentionMask: new Uint8Array(prompts[1]!.length).fill(1), batch: 1, seq: prompts[1]!.length });
  const last = (prompts[1]!.length - 1) * model.config.vocabSize;
  assertClose(alone[1]!, candidates.map((id) => full[last + id]!), 1e-5, 'the last position of the full logits');
});
next('Model.nextTokenLogits should read the last real position of left-padded rows too', async ({ model }) => {
  const tok = model.tokenizer!;
  const [long, short] = ['Once upon a time there was a cat', 'The dog'].map((t) => tok.encode(t));
  const candidates = [5, 77, 300, 511];
  const seq = long!.length;
  // Row 0 full, row 1 left-padded with a pad id that would change the result were it read.
  const ids = Int32Array.from([...long!, ...Array<number>(seq - short!.length).fill(9), ...short!]);
  const attentionMask = Uint8Array.from([...long!.map(() => 1), ...Array<number>(seq - short!.length).fill(0), ...short!.map(() => 1)]);
  const got = await model.nextTokenLogits({ ids, attentionMask, batch: 2, seq }, candidates);
  assert.is(got.length, 2 * candidates.length);
  const alone = await nextTokenLogitsFrom(model)([long!, short!], candidates);
  assertClose(got.subarray(0, 4), alone[0]!, 1e-4, 'full row');
  assertClose(got.subarray(4, 8), alone[1]!, 1e-4, 'left-padded row');
});
next('Model.nextTokenLogits should refuse candidates outside the vocabulary and rows without a token', async ({ model }) => {
  const batch = { ids: Int32Array.from([1, 2, 0, 0]), attentionMask: Uint8Array.from([1, 1, 0, 0]), batch: 2, seq: 2 };
  const one = { ...batch, attentionMask: Uint8Array.from([1, 1, 1, 0]) };
  await expectError(() => model.nextTokenLogits(one, [model.config.vocabSize]), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /candidate token ids in \[0, 512\)/);
  await expectError(() => model.nextTokenLogits(batch, [1]), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /every row of the batch to have a real token/);
});
next('should score MMLU questions end to end', async ({ model }) => {
  const items = await readMmlu(`${SAMPLE_DATA}/mmlu-sample.jsonl`);
  const questions = mmluSubset(items, 4);
  const results = await runMmlu(questions, items, model.tokenizer!, nextTokenLogitsFrom(model), { shots: 1, batchSize: 2, maxPromptTokens: model.config.maxPositions });
  assert.is(results.length, 4);
  const summary = summarizeMmlu(results);
  assert.is(Object.keys(summary.subjects).length, 4);
  assert.ok(summary.micro >= 0 && summary.micro <= 1);
});
next.run();
