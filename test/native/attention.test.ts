import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Model } from '../../lib/index.js';
import { STORIES_BIN } from '../helpers/paths.js';

// Sequences of 128+ tokens take the block-causal path (rows in blocks of 64 see only keys up to their
// block's end); shorter ones take the single-matmul path. Causality makes the first rows of a long
// sequence independent of what follows, so both paths must give the same logits there.
const attention = suite<{ model: Model }>('causal attention paths');

attention.before(async (ctx) => {
  ctx.model = await Model.load(STORIES_BIN);
});

attention.after(async (ctx) => {
  await ctx.model.dispose();
});

function batch(ids: number[]) {
  return { ids: Int32Array.from(ids), attentionMask: new Uint8Array(ids.length).fill(1), batch: 1, seq: ids.length };
}

attention('should give the short-path logits for the prefix of a long sequence', async ({ model }) => {
  const tokens = model.tokenizer!.encode('Once upon a time there was a little dog named Max. He liked to run in the park and play with his red ball every day after lunch with his friend Lily. '.repeat(6));
  assert.ok(tokens.length >= 255, `${tokens.length} tokens`);
  const long = tokens.slice(0, 255);
  const short = tokens.slice(0, 127);
  const vocab = model.config.vocabSize;
  const a = await model.logits(batch(long));
  const b = await model.logits(batch(short));
  let worst = 0;
  for (let i = 0; i < short.length * vocab; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  assert.ok(worst < 1e-4, `max |diff| ${worst}`);
});

attention('should change the logits of later rows when an earlier token changes', async ({ model }) => {
  const tokens = model.tokenizer!.encode('The cat sat on the mat and looked at the bird in the tree. '.repeat(8)).slice(0, 200);
  const changed = [...tokens];
  changed[10] = (changed[10]! + 1) % model.config.vocabSize;
  const vocab = model.config.vocabSize;
  const a = await model.logits(batch(tokens));
  const b = await model.logits(batch(changed));
  const row = (x: Float32Array, r: number) => x.subarray(r * vocab, (r + 1) * vocab);
  const diff = (r: number) => row(a, r).reduce((m, v, i) => Math.max(m, Math.abs(v - row(b, r)[i]!)), 0);
  assert.is(diff(5), 0, 'rows before the change are untouched');
  assert.ok(diff(190) > 1e-4, 'a row in the last block sees the change');
});

attention.run();
