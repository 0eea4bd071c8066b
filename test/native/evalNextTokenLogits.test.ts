// lib/eval's next-token scorer on the real native forward: right-padded batches must give each prompt the
// logits it has alone, and an MMLU run must go end to end on the embedded model.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { mmluChoiceIds, mmluSubset, nextTokenLogitsFrom, readMmlu, runMmlu, summarizeMmlu } from '../../lib/eval/index.js';
import type { Model } from '../../lib/index.js';
import { SAMPLE_DATA } from '../helpers/paths.js';
import { tinyModel } from '../helpers/tinyModel.js';
import { assertClose } from './_support.js';

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
  assertClose(alone[1]!, candidates.map((id) => full[last + id]!), 0, 'the last position of the full logits');
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
