import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  mmluChoiceIds,
  mmluPrompt,
  mmluShots,
  nextTokenLogitsFrom,
  readMmlu,
  runMmlu,
  type LogitsBatch,
  type MmluItem,
  type NextTokenLogits,
} from '../../lib/eval/index.js';
import { loadTokenizer, type Tokenizer } from '../../lib/tokenizer/index.js';
import { fails } from '../helpers/errors.js';
import { TOK512_BIN } from '../helpers/paths.js';
import { sample } from './_support.js';

type Ctx = { items: MmluItem[]; tok: Tokenizer };

/**
 * A stand-in model: for each prompt (looked up by its ids), the correct letter's logit is highest when the
 * item index is even, the next letter's when odd. Records the calls.
 */
function oracle(tok: Tokenizer, prompts: Map<string, MmluItem>): NextTokenLogits & { calls: number[][][] } {
  const calls: number[][][] = [];
  const fn = async (batch: readonly (readonly number[])[], candidates: readonly number[]) => {
    calls.push(batch.map((ids) => [...ids]));
    assert.equal([...candidates], mmluChoiceIds(tok));
    return batch.map((ids) => {
      const item = prompts.get(ids.join())!;
      const right = 'ABCD'.indexOf(item.answer);
      const pick = item.index % 2 === 0 ? right : (right + 1) % 4;
      return Float32Array.from([0, 1, 2, 3], (j) => (j === pick ? 5 : j));
    });
  };
  return Object.assign(fn, { calls });
}

const run = suite<Ctx>('runMmlu');
run.before(async (ctx) => {
  ctx.items = await readMmlu(sample('mmlu-sample.jsonl'));
  ctx.tok = await loadTokenizer(TOK512_BIN);
});
run('should predict the argmax letter for each question, in batches, with 5-shot prompts', async ({ items, tok }) => {
  const shots = mmluShots(items, 5, 0);
  const byIds = new Map(items.map((item) => [tok.encode(mmluPrompt(item, shots.get(item.index)!)).join(), item]));
  const model = oracle(tok, byIds);
  const batches: number[] = [];
  // tok512 spells words in pieces: lift the budget so that every prompt keeps its five shots.
  const results = await runMmlu(items, items, tok, model, { batchSize: 16, maxPromptTokens: 1e6, onResults: (r) => batches.push(r.length) });
  assert.equal(batches, [16, 16, 8]);
  assert.is(results.length, 40);
  for (const r of results) {
    assert.is(r.correct, r.index % 2 === 0);
    assert.is(r.shots, 5);
    assert.is(r.answer, items[r.index]!.answer);
  }
});
run('should trim shots to the token budget', async ({ items, tok }) => {
  const question = items[3]!;
  const shots = mmluShots(items, 5, 0).get(3)!;
  const sizes = [0, 1, 2, 3, 4, 5].map((k) => tok.encode(mmluPrompt(question, shots.slice(0, k))).length);
  const byIds = new Map([[tok.encode(mmluPrompt(question, shots.slice(0, 2))).join(), question]]);
  const [result] = await runMmlu([question], items, tok, oracle(tok, byIds), { maxPromptTokens: sizes[2]! });
  assert.is(result!.shots, 2);
});
run('should score a subset with exemplars from the whole pool', async ({ items, tok }) => {
  const shots = mmluShots(items, 5, 9);
  const subset = [items[12]!, items[33]!];
  const byIds = new Map(subset.map((item) => [tok.encode(mmluPrompt(item, shots.get(item.index)!)).join(), item]));
  const results = await runMmlu(subset, items, tok, oracle(tok, byIds), { seed: 9, maxPromptTokens: 1e6 });
  assert.equal(results.map((r) => r.index), [12, 33]);
});
run('should refuse a question that is not in the pool, and stop when aborted', async ({ items, tok }) => {
  const none: NextTokenLogits = async () => [];
  await fails(() => runMmlu([items[0]!], items.slice(1), tok, none), 'ERR_FSLLM_INVALID_ARG', /questions/);
  const controller = new AbortController();
  controller.abort();
  await fails(() => runMmlu(items, items, tok, none, { signal: controller.signal }), 'ERR_FSLLM_ABORTED');
});
run.run();

// ---

/**
 * A fake `nextTokenLogits`: the logit of candidate v for row b = 1000*ids[b,t] + 10*t + v/1000 at t, the row's
 * last real position; it also checks each row is its prompt followed by padding only (right padding).
 */
function fakeModel(vocabSize: number) {
  const calls: LogitsBatch[] = [];
  return {
    calls,
    config: { vocabSize },
    async nextTokenLogits(batch: LogitsBatch, candidates: readonly number[]): Promise<Float32Array> {
      calls.push(batch);
      const out = new Float32Array(batch.batch * candidates.length);
      for (let b = 0; b < batch.batch; b++) {
        const mask = batch.attentionMask.subarray(b * batch.seq, (b + 1) * batch.seq);
        const t = mask.lastIndexOf(1);
        assert.ok(mask.subarray(0, t + 1).every((m) => m === 1), `row ${b} is not right-padded`);
        candidates.forEach((v, c) => (out[b * candidates.length + c] = batch.ids[b * batch.seq + t]! * 1000 + t * 10 + v / 1000));
      }
      return out;
    },
  };
}

const logits = suite('nextTokenLogitsFrom');
logits("should read each prompt's last real position, right-padding batches", async () => {
  const prompts = [[3, 4, 5], [7], [1, 2, 3, 4, 6], [9, 9]];
  const candidates = [0, 31, 2];
  const expected = prompts.map((p) => candidates.map((v) => Math.fround(p.at(-1)! * 1000 + (p.length - 1) * 10 + v / 1000)));
  for (const batchSize of [1, 3, 8]) {
    const model = fakeModel(32);
    const got = await nextTokenLogitsFrom(model, { batchSize })(prompts, candidates);
    assert.equal(got.map((a) => [...a]), expected, `batchSize ${batchSize}`);
    assert.is(model.calls.length, Math.ceil(prompts.length / batchSize));
  }
});
logits('should refuse candidates outside the vocabulary and empty prompts', async () => {
  const next = nextTokenLogitsFrom(fakeModel(8));
  await fails(() => next([[1]], [8]), 'ERR_FSLLM_INVALID_ARG', /candidates/);
  await fails(() => next([[]], [1]), 'ERR_FSLLM_INVALID_ARG', /prompts/);
  await fails(() => nextTokenLogitsFrom(fakeModel(8), { batchSize: 0 }), 'ERR_FSLLM_INVALID_ARG', /batchSize/);
});
logits.run();
