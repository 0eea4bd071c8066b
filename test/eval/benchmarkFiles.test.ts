// Where benchmark files are found: the committed samples, a data root, the cache, a download from a mirror
// (a real HTTP server on 127.0.0.1 standing in for raw.githubusercontent.com), and the MMLU refusal.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { benchmarkFile, locateBenchmark, readGsm8k, readHumanEval, readMmlu, type BenchmarkName } from '../../lib/eval/index.js';
import { fails } from '../helpers/errors.js';
import { datasets, when } from '../helpers/requirements.js';
import { DATASETS, sample, withTempDir } from './_support.js';

const NAMES: BenchmarkName[] = ['gsm8k', 'humaneval', 'mmlu', ...(['cpp', 'go', 'java', 'js', 'python', 'rust'] as const).map((l) => `humaneval-x:${l}` as const)];

const locate = suite('locateBenchmark');

locate('should give the committed sample of every benchmark, readable', async () => {
  for (const name of NAMES) {
    const file = await locateBenchmark(name, { sample: true });
    assert.ok(existsSync(file), file);
    const rows = name === 'gsm8k' ? await readGsm8k(file) : name === 'mmlu' ? await readMmlu(file) : await readHumanEval(file);
    assert.ok(rows.length > 0, name);
  }
});

locate('should pin every downloadable file to a commit and a digest', () => {
  for (const name of NAMES.filter((n) => n !== 'mmlu')) {
    const spec = benchmarkFile(name);
    assert.match(spec.url!, /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{40}\//);
    assert.match(spec.sha256!, /^[0-9a-f]{64}$/);
  }
  assert.is(benchmarkFile('mmlu').url, undefined);
});

locate('should take the data root first, then the cache, and never download what it has', () =>
  withTempDir(async (dir) => {
    const root = path.join(dir, 'root');
    await mkdir(path.join(root, 'gsm8k'), { recursive: true });
    await copyFile(sample('gsm8k-test-sample.jsonl'), path.join(root, 'gsm8k/test.jsonl'));
    const offline = { cacheDir: path.join(dir, 'cache'), download: false, mirror: 'http://127.0.0.1:9' };
    assert.is(await locateBenchmark('gsm8k', { ...offline, dataRoot: root }), path.join(root, 'gsm8k/test.jsonl'));
    await mkdir(path.join(dir, 'cache/humaneval'), { recursive: true });
    await copyFile(sample('humaneval-sample.jsonl'), path.join(dir, 'cache/humaneval/HumanEval.jsonl.gz'));
    assert.is(await locateBenchmark('humaneval', { ...offline, dataRoot: root }), path.join(dir, 'cache/humaneval/HumanEval.jsonl.gz'));
    await fails(() => locateBenchmark('humaneval-x:go', { ...offline, dataRoot: root }), 'ERR_FSLLM_DATA', /not found and download is off; tried:\n.*humaneval-x\/humaneval_go\.jsonl\.gz/, /--data-root DIR/);
  }),
);

locate('should refuse MMLU without a data root, saying where to put it', () =>
  withTempDir(async (dir) => {
    await fails(() => locateBenchmark('mmlu', { cacheDir: dir }), 'ERR_FSLLM_DATA', /MMLU is not downloaded/, /<data root>\/mmlu\/mmlu-test\.jsonl/, /--sample/);
  }),
);

locate.run();

// ---

type Server = { server: http.Server; base: string; bodies: Map<string, Buffer> };

const download = suite<Server>('locateBenchmark :: download');
download.before(async (ctx) => {
  ctx.bodies = new Map();
  ctx.server = http.createServer((req, res) => {
    const body = ctx.bodies.get(req.url ?? '');
    if (body === undefined) res.writeHead(404, 'Not Found').end();
    else res.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
  ctx.base = `http://127.0.0.1:${(ctx.server.address() as AddressInfo).port}`;
});
download.after(async (ctx) => {
  await new Promise((resolve) => ctx.server.close(resolve));
});

download('should refuse a gzip body whose digest is not the pinned one, caching nothing', ({ base, bodies }) =>
  withTempDir(async (dir) => {
    const url = new URL(benchmarkFile('humaneval').url!);
    bodies.set(url.pathname, gzipSync(await readFile(sample('humaneval-sample.jsonl'))));
    await fails(() => locateBenchmark('humaneval', { cacheDir: dir, mirror: base }), 'ERR_FSLLM_DATA', /Cannot download .*HumanEval\.jsonl\.gz: the file has sha256 [0-9a-f]{64}, not the pinned b796127e/);
    assert.equal(await readdir(path.join(dir, 'humaneval')).catch(() => []), []);
  }),
);

when(datasets('humaneval', 'gsm8k'), download)('should download the pinned bytes into the cache once', ({ base, bodies }) =>
  withTempDir(async (dir) => {
    for (const [name, file] of [['humaneval', 'humaneval/HumanEval.jsonl.gz'], ['gsm8k', 'gsm8k/test.jsonl']] as const) {
      bodies.set(new URL(benchmarkFile(name).url!).pathname, await readFile(path.join(DATASETS, file)));
      const got = await locateBenchmark(name, { cacheDir: dir, mirror: base });
      assert.is(got, path.join(dir, file));
      bodies.clear();
      assert.is(await locateBenchmark(name, { cacheDir: dir, mirror: base }), got, 'read from the cache the second time');
    }
    assert.is((await readHumanEval(path.join(dir, 'humaneval/HumanEval.jsonl.gz'))).length, 164);
  }),
);

download.run();
