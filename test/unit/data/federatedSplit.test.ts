import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { buildFederatedData, loadDataset, type InstructionRecord } from '../../../lib/data/index.js';
import { DATASETS } from './_support.js';
import { fails } from '../../helpers/errors.js';
import { datasets, when } from '../../helpers/requirements.js';

// Rows per category, from shared/datasets/dolly-15k/SOURCE.md (sorted: the meta client order).
const DOLLY_CATEGORIES: [string, number][] = [
  ['brainstorming', 1766], ['classification', 2136], ['closed_qa', 1773], ['creative_writing', 709],
  ['general_qa', 2191], ['information_extraction', 1506], ['open_qa', 3742], ['summarization', 1188],
];

type Ctx = { dolly: InstructionRecord[]; gsm8k: InstructionRecord[] };

const real = when(datasets('dolly-15k', 'gsm8k'), suite<Ctx>('buildFederatedData :: shared data sets'));
real.before(async (ctx) => {
  const common = { root: DATASETS, download: false } as const;
  ctx.dolly = (await loadDataset({ type: 'dolly-15k', ...common })).records;
  ctx.gsm8k = (await loadDataset({ type: 'gsm8k', ...common })).records;
});
real('should make 8 Dolly meta clients with the published category counts', ({ dolly }) => {
  const { clients, merged } = buildFederatedData(dolly, { splitter: 'meta', splits: [0.99, 0, 0.01], seed: 0 });
  assert.equal(clients.map((c) => [c.label, c.train.length + c.val.length + c.test.length]), DOLLY_CATEGORIES);
  assert.equal(clients.map((c) => c.id), [1, 2, 3, 4, 5, 6, 7, 8]);
  for (const c of clients) {
    // Our fix: a client's held-out data is from its own category.
    assert.ok([...c.train, ...c.test].every((r) => r.category === c.label), `client ${c.id}`);
    const n = c.train.length + c.test.length;
    assert.is(c.train.length, Math.floor(0.99 * n));
    assert.is(c.val.length, 0);
  }
  assert.is(merged.train.length + merged.test.length, 15_011);
  assert.is(merged.test[0], clients[0]!.test[0], 'merged in client order');
});
real('should accept clientNum 8 for Dolly meta and refuse 3, naming the categories', async ({ dolly }) => {
  assert.is(buildFederatedData(dolly, { splitter: 'meta', clientNum: 8, splits: [1, 0, 0], seed: 0 }).clients.length, 8);
  await fails(
    () => buildFederatedData(dolly, { splitter: 'meta', clientNum: 3, splits: [1, 0, 0], seed: 0 }),
    'ERR_FSLLM_INVALID_ARG',
    /Expected 8, the number of categories .*\(brainstorming, classification, closed_qa, creative_writing, general_qa, information_extraction, open_qa, summarization\).* for clientNum \(federate\.clientNum\) but received 3/,
  );
});
real('should make 3 IID GSM8K clients covering every record once', ({ gsm8k }) => {
  const { clients, merged } = buildFederatedData(gsm8k, { splitter: 'iid', clientNum: 3, splits: [0.998, 0.001, 0.001], seed: 1 });
  assert.equal(clients.map((c) => c.train.length + c.val.length + c.test.length), [2491, 2491, 2491]);
  assert.equal(clients.map((c) => [c.train.length, c.val.length, c.test.length]), [[2486, 2, 3], [2486, 2, 3], [2486, 2, 3]]);
  const all = [...merged.train, ...merged.val, ...merged.test];
  assert.is(new Set(all).size, 7_473);
  assert.ok(clients.every((c) => c.label === undefined));
});
real('should be reproducible for a seed and differ across seeds', ({ gsm8k }) => {
  const opts = { splitter: 'dirichlet', clientNum: 3, splits: [0.8, 0.1, 0.1], seed: 5 } as const;
  const dolly = gsm8k.map((r, i) => ({ ...r, category: `c${i % 4}` }));
  const a = buildFederatedData(dolly, opts);
  assert.equal(buildFederatedData(dolly, opts), a);
  assert.not.equal(buildFederatedData(dolly, { ...opts, seed: 6 }).clients[0]!.train, a.clients[0]!.train);
});
real('should split Dolly with dirichlet, every client non-empty', ({ dolly }) => {
  const { clients } = buildFederatedData(dolly, { splitter: 'dirichlet', clientNum: 3, alpha: 0.5, splits: [0.98, 0.01, 0.01], seed: 2 });
  assert.is(clients.length, 3);
  assert.is(clients.reduce((a, c) => a + c.train.length + c.val.length + c.test.length, 0), 15_011);
  assert.ok(clients.every((c) => c.train.length > 0));
});
real('should refuse dirichlet on records without category, naming keys.category', async ({ gsm8k }) => {
  await fails(
    () => buildFederatedData(gsm8k, { splitter: 'dirichlet', clientNum: 3, splits: [1, 0, 0], seed: 0 }),
    'ERR_FSLLM_DATA',
    /The dirichlet splitter needs a category on every record, but 7473 of 7473 have none \(first: record 0\); map the field that holds it with keys\.category/,
  );
});
real.run();

// ---

const records = Array.from({ length: 20 }, (_, i) => ({ instruction: `q${i}`, input: '', output: `a${i}` }));
const options = suite('buildFederatedData :: options');
const bad: [name: string, opts: object, message: RegExp][] = [
  ['splits not summing to 1', { splitter: 'iid', clientNum: 2, splits: [0.5, 0.2, 0.2], seed: 0 }, /Expected three non-negative numbers \[train, val, test\] summing to 1 for splits but received \[0\.5,0\.2,0\.2\]/],
  ['negative split', { splitter: 'iid', clientNum: 2, splits: [1.1, -0.1, 0], seed: 0 }, /for splits/],
  ['two splits', { splitter: 'iid', clientNum: 2, splits: [0.5, 0.5], seed: 0 }, /for splits/],
  ['unknown splitter', { splitter: 'lda', clientNum: 2, splits: [1, 0, 0], seed: 0 }, /Expected 'iid', 'dirichlet' or 'meta' for splitter but received "lda"/],
  ['iid without clientNum', { splitter: 'iid', splits: [1, 0, 0], seed: 0 }, /Expected an integer >= 1 for the iid splitter for clientNum/],
  ['too many clients', { splitter: 'iid', clientNum: 21, splits: [1, 0, 0], seed: 0 }, /number of records \(20\) for clientNum but received 21/],
  ['missing seed', { splitter: 'iid', clientNum: 2, splits: [1, 0, 0] }, /Expected an integer for seed/],
];
for (const [name, opts, message] of bad) {
  options(`should refuse :: ${name}`, async () => {
    await fails(() => buildFederatedData(records, opts as never), 'ERR_FSLLM_INVALID_ARG', message);
  });
}
options('should accept splits that sum to 1 within rounding', () => {
  const { clients } = buildFederatedData(records, { splitter: 'iid', clientNum: 2, splits: [0.7, 0.2, 0.1], seed: 0 });
  assert.equal(clients.map((c) => [c.train.length, c.val.length, c.test.length]), [[7, 2, 1], [7, 2, 1]]);
});
options.run();
