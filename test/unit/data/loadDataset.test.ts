import fs from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { defaultDatasetCacheDir, loadDataset, rootCandidates } from '../../../lib/data/index.js';
import { DATASETS, tempDir } from './_support.js';
import { fails } from '../../helpers/errors.js';
import { datasets, when } from '../../helpers/requirements.js';

type Ctx = { cache: string };
const withCache = <T extends Ctx>(s: ReturnType<typeof suite<T>>) => {
  s.before(async (ctx) => {
    ctx.cache = await tempDir();
  });
  s.after(async ({ cache }) => {
    await fs.rm(cache, { recursive: true, force: true });
  });
};

const builtins = when(datasets('dolly-15k', 'gsm8k', 'codealpaca', 'alpaca'), suite<Ctx>('loadDataset :: built-ins from shared/datasets'));
withCache(builtins);
builtins('should read all 15,011 Dolly rows with context, response and category mapped', async ({ cache }) => {
  const { records, source } = await loadDataset({ type: 'dolly-15k', root: DATASETS, cacheDir: cache, download: false });
  assert.is(source, path.join(DATASETS, 'dolly-15k/databricks-dolly-15k.jsonl'));
  assert.is(records.length, 15_011);
  assert.is(records.filter((r) => r.input === '').length, 10_544);  // SOURCE.md: rows with an empty context
  assert.is(records[0]!.instruction, 'Extract what is Top Gun');
  assert.match(records[0]!.input, /^The United States Navy Strike Fighter Tactics Instructor program/);
  assert.is(records[0]!.category, 'information_extraction');
  assert.ok(records.every((r) => r.output !== '' && r.category !== undefined));
});
builtins('should read 7,473 GSM8K rows with every #### replaced by "The answer is"', async ({ cache }) => {
  const { records, source } = await loadDataset({ type: 'gsm8k', root: DATASETS, cacheDir: cache, download: false });
  assert.is(source, path.join(DATASETS, 'gsm8k/train.jsonl'));
  assert.is(records.length, 7_473);
  assert.ok(records.every((r) => !r.output.includes('####') && r.input === '' && r.category === undefined));
  assert.ok(records.every((r) => /The answer is -?[\d,.]+$/.test(r.output)), 'each answer ends with the final number');
  assert.match(records[0]!.instruction, /^Natalia sold clips to 48 of her friends/);
  assert.match(records[0]!.output, /clips altogether in April and May\.\nThe answer is 72$/);
});
builtins('should read new_codealpaca.json with a language category on every row', async ({ cache }) => {
  const { records, source } = await loadDataset({ type: 'codealpaca', root: DATASETS, cacheDir: cache, download: false });
  assert.is(source, path.join(DATASETS, 'codealpaca/new_codealpaca.json'));
  assert.is(records.length, 4_535);
  assert.is(records[0]!.category, 'C++');
  assert.is(records[2]!.category, 'Python');
  assert.match(records[0]!.output, /^#include <iostream>/);
});
builtins('should fall back to the largest alpaca subset, skipping its empty outputs', async ({ cache }) => {
  const { records, source, skipped } = await loadDataset({ type: 'alpaca', root: DATASETS, cacheDir: cache, download: false });
  assert.is(source, path.join(DATASETS, 'alpaca/alpaca_subset_union_11689.json'));
  assert.is(records.length + skipped.length, 11_689);
  assert.is(skipped.length, 5);
  assert.match(skipped[0]!, /alpaca_subset_union_11689\.json item \d+$/);
  assert.ok(records.every((r) => r.category === undefined));
});
builtins('should try the shared layout, the flat name, then the fallback folder', async () => {
  const tried = await rootCandidates('alpaca', DATASETS);
  assert.equal(tried.map((f) => path.relative(DATASETS, f)), [
    'alpaca/alpaca_data.json', 'alpaca_data.json', 'alpaca/alpaca_subset_union_11689.json', 'alpaca/alpaca_5000.json',
  ]);
});
builtins('should find the flat canonical file directly in root', async ({ cache }) => {
  const root = path.join(cache, 'flat');
  await fs.mkdir(root);
  await fs.writeFile(path.join(root, 'gsm8k_train.jsonl'), `${JSON.stringify({ question: 'Q?', answer: 'so\n#### 5' })}\n`);
  const { records, source } = await loadDataset({ type: 'gsm8k', root, cacheDir: cache, download: false });
  assert.is(source, path.join(root, 'gsm8k_train.jsonl'));
  assert.equal(records, [{ instruction: 'Q?', input: '', output: 'so\nThe answer is 5' }]);
});
builtins('should list every path tried when missing and download is off', async ({ cache }) => {
  const root = path.join(cache, 'empty-root');
  const e = await fails(
    () => loadDataset({ type: 'alpaca-cleaned', root, cacheDir: cache, download: false }),
    'ERR_FSLLM_DATA',
    /Data set 'alpaca-cleaned' not found and download is off/,
    /pass root \(config data\.root\)/,
    /a7d629079a95c2e4b7ec7dfe55087fbd18d9eba8\/alpaca_data_cleaned\.json/,
  );
  for (const p of ['alpaca-cleaned/alpaca_data_cleaned.json', 'alpaca/alpaca_data_cleaned.json', 'alpaca_data_cleaned.json']) {
    assert.ok(e.message.includes(path.join(root, p)), p);
  }
  assert.ok(e.message.includes(path.join(cache, 'alpaca-cleaned/alpaca_data_cleaned.json')), 'the cache file');
});
builtins.run();

// ---

const cacheDir = suite('defaultDatasetCacheDir');
cacheDir('should follow XDG_CACHE_HOME, else ~/.cache', () => {
  const saved = process.env['XDG_CACHE_HOME'];
  try {
    process.env['XDG_CACHE_HOME'] = '/x/cache';
    assert.is(defaultDatasetCacheDir(), '/x/cache/fsllm-native/datasets');
    delete process.env['XDG_CACHE_HOME'];
    assert.match(defaultDatasetCacheDir(), /\/\.cache\/fsllm-native\/datasets$/);
  } finally {
    if (saved === undefined) delete process.env['XDG_CACHE_HOME'];
    else process.env['XDG_CACHE_HOME'] = saved;
  }
});
cacheDir.run();
