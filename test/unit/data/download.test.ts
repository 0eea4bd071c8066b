import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { downloadFile, loadDataset, mirrored } from '../../../lib/data/index.js';
import { tempDir } from './_support.js';
import { fails } from '../../helpers/errors.js';

// A real HTTP server on 127.0.0.1 standing in for raw.githubusercontent.com (no mocked fetch).
const GSM8K_PATH = '/openai/grade-school-math/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/train.jsonl';
const BODY = `${JSON.stringify({ question: 'What is 2+3?', answer: '2+3=<<2+3=5>>5\n#### 5' })}\n${JSON.stringify({ question: 'And 1+1?', answer: '#### 2' })}\n`;

type Ctx = { server: http.Server; base: string; hits: Map<string, number>; cache: string };

const download = suite<Ctx>('loadDataset :: download from a mirror');
download.before(async (ctx) => {
  ctx.hits = new Map();
  ctx.server = http.createServer((req, res) => {
    const url = req.url ?? '';
    ctx.hits.set(url, (ctx.hits.get(url) ?? 0) + 1);
    if (url === GSM8K_PATH) res.writeHead(200, { 'content-type': 'text/plain' }).end(BODY);
    else if (url.endsWith('/alpaca_data.json')) res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in to the proxy</html>');
    else res.writeHead(404, 'Not Found').end('404: Not Found');
  });
  await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
  ctx.base = `http://127.0.0.1:${(ctx.server.address() as AddressInfo).port}`;
  ctx.cache = await tempDir();
});
download.after(async (ctx) => {
  await new Promise((resolve) => ctx.server.close(resolve));
  await fs.rm(ctx.cache, { recursive: true, force: true });
});

download('should download into the cache once, then read the cache', async ({ base, hits, cache }) => {
  const first = await loadDataset({ type: 'gsm8k', cacheDir: cache, mirror: base });
  assert.is(first.source, path.join(cache, 'gsm8k/train.jsonl'));
  assert.equal(first.records.map((r) => r.output), ['2+3=<<2+3=5>>5\nThe answer is 5', 'The answer is 2']);
  assert.is(await fs.readFile(first.source, 'utf8'), BODY);
  assert.equal(await fs.readdir(path.dirname(first.source)), ['train.jsonl'], 'no temp file left behind');
  const second = await loadDataset({ type: 'gsm8k', cacheDir: cache, mirror: base });
  assert.equal(second.records, first.records);
  assert.is(hits.get(GSM8K_PATH), 1);
});
download('should take the mirror from FSLLM_DATA_MIRROR', async ({ base, hits }) => {
  const cache = await tempDir();
  process.env['FSLLM_DATA_MIRROR'] = `${base}/`;
  try {
    const { records } = await loadDataset({ type: 'gsm8k', cacheDir: cache });
    assert.is(records.length, 2);
    assert.is(hits.get(GSM8K_PATH), 2);
  } finally {
    delete process.env['FSLLM_DATA_MIRROR'];
    await fs.rm(cache, { recursive: true, force: true });
  }
});
download('should turn a 404 into ERR_FSLLM_DATA naming the URL and the root option', async ({ base, cache }) => {
  const e = await fails(
    () => loadDataset({ type: 'dolly-15k', cacheDir: cache, mirror: base }),
    'ERR_FSLLM_DATA',
    /Cannot download http:\/\/127\.0\.0\.1:\d+\/databrickslabs\/dolly\/d000e3030970379aabbf6d291f50ffdd3b715b64\/data\/databricks-dolly-15k\.jsonl: HTTP 404 Not Found/,
    /pass root \(config data\.root\) pointing at a folder that holds dolly-15k\/databricks-dolly-15k\.jsonl/,
  );
  assert.not.ok(existsSync(e.path!), 'nothing cached');
});
download('should refuse to cache a body that is not JSON', async ({ base, cache }) => {
  const e = await fails(() => loadDataset({ type: 'alpaca', cacheDir: cache, mirror: base }), 'ERR_FSLLM_DATA', /the response is not JSON \(it starts "<html>sign in/);
  assert.not.ok(existsSync(e.path!));
});
download('should name the URL when the server is unreachable', async ({ cache }) => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const url = `http://127.0.0.1:${port}/x.jsonl`;
  await fails(() => downloadFile(url, path.join(cache, 'x.jsonl'), 'pass root'), 'ERR_FSLLM_DATA', /Cannot download http:\/\/127\.0\.0\.1:\d+\/x\.jsonl: fetch failed \(ECONNREFUSED\); pass root/);
});
download.run();

// ---

const mirror = suite('mirrored');
mirror('should rewrite raw.githubusercontent.com URLs only', () => {
  const raw = 'https://raw.githubusercontent.com/o/r/abc/f.json';
  assert.is(mirrored(raw, 'http://m:8/base/'), 'http://m:8/base/o/r/abc/f.json');
  assert.is(mirrored(raw, undefined), raw);
  assert.is(mirrored('https://example.com/f.json', 'http://m'), 'https://example.com/f.json');
});
mirror.run();
