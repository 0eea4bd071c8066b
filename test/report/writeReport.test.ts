import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { writeReport } from '../../lib/report/index.js';
import { CHROMIUM_MISSING, chromiumRequirement, decodePng, dumpDom, findChromium, runChromium, screenshot } from '../helpers/chromium.js';
import { when } from '../helpers/requirements.js';
import { CONFIG, syntheticCost, syntheticRun } from './_run.js';

/** A run folder as a federated run leaves it: 3 clients × 5 rounds, plus one trainer line and a cut-off last line. */
async function runFolder(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fsllm-report-'));
  const lines = syntheticRun().map((r) => JSON.stringify(r));
  lines.splice(3, 0, JSON.stringify({ step: 1, loss: 3.2, gradNorm: 1.1 }));
  await fs.writeFile(path.join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n{"kind":"train","rou`);
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
  await fs.writeFile(path.join(dir, 'cost.json'), JSON.stringify(syntheticCost()));
  return dir;
}

const DATE = new Date('2024-05-01T14:03:00Z');

// ---

const write = suite<{ dir: string; file: string; html: string }>('writeReport');
write.before(async (ctx) => {
  ctx.dir = await runFolder();
  ctx.file = await writeReport(ctx.dir, { date: DATE });
  ctx.html = await fs.readFile(ctx.file, 'utf8');
});
write.after(async ({ dir }) => { await fs.rm(dir, { recursive: true, force: true }); });

write('should write report.html beside the metrics and leave no temp file', async ({ dir, file }) => {
  assert.is(file, path.join(dir, 'report.html'));
  assert.equal((await fs.readdir(dir)).sort(), ['config.json', 'cost.json', 'metrics.jsonl', 'report.html']);
});

write('should title the page from config.name and draw every chart', ({ html }) => {
  assert.match(html, /<title>gsm8k · 3 clients · FedAvg<\/title>/);
  assert.is(html.split('<svg').length - 1, 4);
  assert.match(html, /1,179,648/);
  assert.match(html, /&quot;strategy&quot;: &quot;fedAvg&quot;/);
});

write('should note the lines it left out', ({ html }) => {
  assert.match(html, /2 lines of metrics\.jsonl were not a train, eval or round record and left out/);
});

write('should replace an existing report and cope without config and cost', async ({ dir }) => {
  await fs.rm(path.join(dir, 'config.json'));
  await fs.writeFile(path.join(dir, 'cost.json'), '{"trainableParameters": "many"}');
  await writeReport(dir, { title: 'second', date: DATE });
  const html = await fs.readFile(path.join(dir, 'report.html'), 'utf8');
  assert.match(html, /<h1>second<\/h1>/);
  assert.match(html, /cost\.json does not hold a cost summary/);
  assert.match(html, /No cost summary/);
  assert.not.ok((await fs.readdir(dir)).some((f) => f.endsWith('.tmp')));
});

write('should reject a folder without metrics.jsonl :: ERR_FSLLM_DATA', async () => {
  const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'fsllm-report-empty-'));
  try {
    await writeReport(empty);
    assert.unreachable('should reject');
  } catch (error) {
    const e = error as Error & { code?: string; path?: string };
    assert.is(e.code, 'ERR_FSLLM_DATA');
    assert.is(e.path, path.join(empty, 'metrics.jsonl'));
    assert.match(e.message, /^No metrics\.jsonl in .*; writeReport needs the folder of a federated run$/);
  } finally {
    await fs.rm(empty, { recursive: true, force: true });
  }
});

write.run();

// ---

const CHROMIUM = findChromium();
const browser = when(chromiumRequirement(), suite<{ dir: string; file: string }>('report.html in headless Chromium'));
browser.before(async (ctx) => {
  ctx.dir = await runFolder();
  ctx.file = await writeReport(ctx.dir, { date: DATE });
});
browser.after(async ({ dir }) => { await fs.rm(dir, { recursive: true, force: true }); });

// Runs only where the requirement holds without a browser: under CI, which must have installed one.
if (!CHROMIUM) browser('should find Chromium (CI must install it)', () => { assert.unreachable(CHROMIUM_MISSING); });

browser('should render every chart with its lines and legend (--dump-dom)', async ({ file }) => {
  const dom = await dumpDom(CHROMIUM!, file);
  assert.is(dom.match(/<svg\b/g)?.length, 4, 'four charts');
  // One path per line: 4 training + 4 eval loss + 1 perplexity + 2 bytes.
  assert.is(dom.match(/<path\b/g)?.length, 11);
  assert.ok((dom.match(/<circle\b/g)?.length ?? 0) >= 11 * 5, 'hover markers');
  for (const text of ['mean (sample-weighted)', 'client 0', 'client 2', 'global', 'Bytes per round']) {
    assert.ok(dom.includes(`>${text}`), `legend or title "${text}" in the DOM`);
  }
  assert.match(dom, /Trainable parameters/);
});

browser('should paint the charts in colour (--screenshot, PNG decoded here)', async ({ dir, file }) => {
  const png = path.join(dir, 'report.png');
  await screenshot(CHROMIUM!, file, png, 1200, 2000);
  const { width, height, rgba } = decodePng(await fs.readFile(png));
  assert.equal([width, height], [1200, 2000]);
  let nonWhite = 0;
  let ink = 0; // dark or saturated: text, axes and lines, not the light page and card backgrounds
  const hues = new Map<number, number>();
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = [rgba[i * 4]!, rgba[i * 4 + 1]!, rgba[i * 4 + 2]!];
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (min < 250) nonWhite++;
    if (max < 200 || max - min >= 60) ink++;
    if (max - min < 60) continue;
    const h = max === r ? (g - b) / (max - min) : max === g ? 2 + (b - r) / (max - min) : 4 + (r - g) / (max - min);
    const bucket = Math.floor((((h * 60) % 360) + 360) % 360 / 30);
    hues.set(bucket, (hues.get(bucket) ?? 0) + 1);
  }
  const pixels = width * height;
  assert.ok(nonWhite / pixels > 0.2, `non-white share ${(nonWhite / pixels).toFixed(3)}`);
  assert.ok(ink / pixels > 0.01, `ink share ${(ink / pixels).toFixed(4)}`);
  const colours = [...hues.values()].filter((n) => n >= 100).length;
  assert.ok(colours >= 3, `${colours} distinct hues with 100+ pixels`);
});

browser('should kill a browser that outlives its timeout, helpers and all', async () => {
  const started = Date.now();
  try {
    await runChromium(CHROMIUM!, ['about:blank'], 1500); // headless with nothing to do never exits
    assert.unreachable('should time out');
  } catch (error) {
    assert.match((error as Error).message, /^Chromium did not finish within 1500 ms/);
  }
  assert.ok(Date.now() - started < 5000);
  if (process.platform !== 'linux') return;
  await new Promise((resolve) => setTimeout(resolve, 200)); // SIGKILL is delivered, not awaited
  const left: string[] = [];
  for (const pid of await fs.readdir('/proc')) {
    const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('fsllm-chromium-')) left.push(pid);
  }
  assert.equal(left, [], 'no process of a throwaway profile is left');
});

browser.run();
