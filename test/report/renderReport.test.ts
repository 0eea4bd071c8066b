import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { RunRecord } from '../../lib/report/records.js';
import { lineChart, niceScale, renderReport } from '../../lib/report/index.js';
import { CONFIG, syntheticCost, syntheticRun } from './_run.js';

const DATE = new Date('2024-05-01T14:03:00Z');
const HOSTILE = '<img src=x onerror="alert(1)">&';

/** The `<svg>` elements of a page, each as its markup. */
const svgs = (html: string): string[] => html.split('<svg').slice(1).map((s) => `<svg${s.slice(0, s.indexOf('</svg>'))}</svg>`);
const count = (text: string, needle: string): number => text.split(needle).length - 1;
/** Series as drawn (thin lines first, so not in legend order). */
const seriesLabels = (svg: string): string[] => [...svg.matchAll(/class="series" data-series="([^"]*)"/g)].map((m) => m[1]!);
/** Legend texts in legend order. */
const legendLabels = (svg: string): string[] => [...svg.matchAll(/class="legend-item">.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

// ---

const scale = suite('niceScale');

scale('should cover the range with steps of 1, 2, 2.5 or 5 times a power of ten', () => {
  for (const [lo, hi] of [[2.31, 3.97], [0, 1], [-4.2, 17], [1e-4, 3e-4], [1000, 250_000]] as const) {
    const s = niceScale(lo, hi);
    assert.ok(s.min <= lo && s.max >= hi, `${lo}..${hi} covered by ${s.min}..${s.max}`);
    const mantissa = s.step / 10 ** Math.floor(Math.log10(s.step));
    assert.ok([1, 2, 2.5, 5].some((m) => Math.abs(m - mantissa) < 1e-9), `step ${s.step}`);
    assert.ok(s.ticks.length >= 3 && s.ticks.length <= 12, `${s.ticks.length} ticks`);
  }
  assert.equal(niceScale(2.31, 3.97).ticks, [2, 2.5, 3, 3.5, 4]);
});

scale('should widen a single value and keep integer ticks for rounds', () => {
  assert.equal(niceScale(1, 1, 5, true).ticks, [0, 1, 2]);
  const s = niceScale(2.5, 2.5);
  assert.ok(s.min < 2.5 && s.max > 2.5);
  assert.equal(niceScale(1, 40, 10, true).ticks.every(Number.isInteger), true);
  assert.equal(niceScale(NaN, Infinity).ticks[0], 0);
});

scale.run();

// ---

const chart = suite('lineChart');
const series = (n: number, label = 's') => ({ label, color: '#4e79a7', points: Array.from({ length: n }, (_, i): [number, number] => [i + 1, 1 / (i + 1)]) });

chart('should draw one group and one legend entry per series', () => {
  const svg = lineChart({ title: 'T', series: [series(5, 'a'), series(5, 'b'), series(5, 'c')], xLabel: 'round', integerX: true });
  assert.is(count(svg, '<svg'), 1);
  assert.equal(seriesLabels(svg), ['a', 'b', 'c']);
  assert.is(count(svg, 'class="legend-item"'), 3);
  assert.is(count(svg, '<path'), 3);
});

chart('should mark a single point and widen its axes', () => {
  const svg = lineChart({ title: 'one', series: [{ label: 'only', color: '#000', points: [[1, 2.5]] }], integerX: true });
  assert.is(count(svg, '<circle'), 1);
  assert.not.match(svg, /NaN|Infinity/);
});

chart('should leave gaps at NaN and null and drop non-finite x', () => {
  const points: [number, number | null][] = [[1, 3], [2, 2.5], [3, NaN], [4, 2], [5, 1.8], [6, null], [Infinity, 1], [7, 1.5]];
  const svg = lineChart({ title: 'gaps', series: [{ label: 'g', color: '#000', points }], markerLimit: 0 });
  const d = /d="([^"]*)"/.exec(svg)![1]!;
  assert.is(count(d, 'M'), 3); // three runs: 1-2, 4-5, 7
  assert.is(count(svg, '<circle'), 1); // only the isolated point 7 is marked
  assert.not.match(svg, /NaN|Infinity/);
});

chart('should say "no data" when every value is missing', () => {
  const svg = lineChart({ title: 'empty', series: [{ label: 'e', color: '#000', points: [[1, NaN]] }] });
  assert.match(svg, />no data</);
  assert.is(count(svg, '<path'), 0);
});

chart('should render 5000 points quickly, as one path without markers', () => {
  const start = performance.now();
  const svg = lineChart({ title: 'big', series: [series(5000, 'x'), series(5000, 'y')] });
  assert.ok(performance.now() - start < 500, 'under 500 ms');
  assert.is(count(svg, '<path'), 2);
  assert.is(count(svg, '<circle'), 0);
  assert.is(count(svg, 'L'), 2 * 4999);
});

chart.run();

// ---

const render = suite('renderReport');
const page = (records: RunRecord[], extra: Partial<Parameters<typeof renderReport>[0]> = {}) =>
  renderReport({ title: 'run', config: CONFIG, records, cost: syntheticCost(), date: DATE, ...extra });

render('should draw training, one chart per eval split and metric, and bytes', () => {
  const charts = svgs(page(syntheticRun()));
  assert.equal(charts.map((svg) => /<title>([^<]*)<\/title>/.exec(svg)![1]), [
    'Training loss per round',
    'Eval loss on the val split, per round',
    'Eval perplexity on the val split, per round',
    'Bytes per round (run total 2.13 MiB)',
  ]);
  assert.equal(legendLabels(charts[0]!), ['mean (sample-weighted)', 'client 0', 'client 1', 'client 2']);
  assert.equal(legendLabels(charts[1]!), ['global', 'client 0', 'client 1', 'client 2']);
  assert.equal(seriesLabels(charts[1]!).sort(), legendLabels(charts[1]!).sort());
  assert.is(seriesLabels(charts[3]!).length, 2);
  assert.match(charts[3]!, /run total 1\.07 MiB/);
});

render('should size series to the clients :: 7 clients', () => {
  const charts = svgs(page(syntheticRun({ clients: 7 })));
  assert.is(seriesLabels(charts[0]!).length, 8);
  assert.is(seriesLabels(charts[1]!).length, 8);
});

render('should summarise rounds, clients, eval loss, parameters and bytes', () => {
  const html = page(syntheticRun());
  const summary = /<ul class="summary">(.*?)<\/ul>/s.exec(html)![1]!.replace(/<[^>]+>/g, '');
  assert.match(summary, /5 rounds/);
  assert.match(summary, /3 clients/);
  assert.match(summary, /final eval loss 2\.514 \(round 5\)/);
  assert.match(summary, /best 2\.514 \(round 5\)/);
  assert.match(summary, /1,179,648 trainable parameters/);
  assert.match(summary, /2\.13 MiB moved/);
  assert.match(html, /generated 2024-05-01 14:03 UTC/);
  assert.match(html, /<td class="num">42\.4 ms<\/td>/);
  assert.match(html, /<td class="num">1 min 23 s<\/td>/);
});

render('should label variants :: AdapEmu and AdapFu', () => {
  const html = page(syntheticRun({ variants: ['AdapEmu', 'AdapFu'] }));
  const loss = svgs(html)[1]!;
  assert.ok(seriesLabels(loss).includes('AdapFu \u00b7 global'));
  assert.ok(seriesLabels(loss).includes('AdapEmu \u00b7 client 2'));
  assert.is(seriesLabels(loss).length, 8);
  assert.match(html, /AdapFu final eval loss/);
});

render('should escape hostile client ids, metric names, titles and config strings', () => {
  const records: RunRecord[] = [
    { kind: 'train', round: 1, client: HOSTILE as unknown as number, loss: 2, steps: 1, samples: 1, targetTokens: 1, msPerStep: 1 },
    { kind: 'eval', round: 1, target: 'global', split: 'val', metric: HOSTILE, value: 1, count: 1, variant: HOSTILE },
  ];
  const html = page(records, { title: HOSTILE, config: { note: HOSTILE, nested: [`</pre><script>alert(1)</script>`] } });
  assert.not.ok(html.includes('<img'), 'no raw <img');
  assert.not.ok(html.includes('<script'), 'no <script> at all');
  assert.ok(html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;'));
  assert.ok(html.includes('client &lt;img'));
});

render('should reference nothing on the network', () => {
  const html = page(syntheticRun({ variants: ['AdapFu'] }), { config: { url: 'https://example.com/x.css' } });
  assert.not.match(html, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  assert.not.match(html, /url\(\s*["']?\s*(https?:)?\/\//i);
  assert.not.match(html, /@import/i);
  assert.not.match(html, /<(script|link|img|iframe|object)\b/i);
});

render('should work with one round', () => {
  const html = page(syntheticRun({ rounds: 1 }), { cost: syntheticCost(3, 1) });
  assert.is(svgs(html).length, 4);
  assert.match(html, /<b>1<\/b> round</);
  assert.not.match(html, /NaN|Infinity|undefined/);
});

render('should work with no eval records, no cost and no records at all', () => {
  const noEval = page(syntheticRun({ evals: false }), { cost: null });
  assert.is(svgs(noEval).length, 2);
  assert.match(noEval, /No evaluation records in this run/);
  assert.match(noEval, /No cost summary/);
  const empty = page([], { cost: null, config: null });
  assert.is(svgs(empty).length, 0);
  assert.not.match(empty, /NaN|undefined/);
});

render('should leave out a split with no examples, say so, and show no NaN :: data.splits [0.99, 0, 0.01]', () => {
  // What metrics.jsonl held before the server left such a split out: val records over 0 tokens (value null).
  const records = syntheticRun().flatMap((r): RunRecord[] => r.kind !== 'eval' ? [r] : [
    { ...r, split: 'test' },
    { ...r, split: 'val', value: null as unknown as number, count: 0 },
  ]);
  const html = page(records);
  const titles = svgs(html).map((svg) => /<title>([^<]*)<\/title>/.exec(svg)![1]);
  assert.ok(titles.includes('Eval loss on the test split, per round'));
  assert.not.ok(titles.some((t) => /val split/.test(t!)), titles.join('; '));
  assert.match(html, /The val split has no examples \(every evaluation of it counted 0 tokens\), so it is not charted\./);
  assert.match(/<ul class="summary">(.*?)<\/ul>/s.exec(html)![1]!, /final eval loss/);
  assert.not.match(html, /NaN|Infinity|undefined|null/);
});

render('should draw a gap where one client had no examples, and no line for a client that never had any', () => {
  const records: RunRecord[] = syntheticRun({ clients: 3 }).map((r) => {
    if (r.kind !== 'eval' || r.metric !== 'loss') return r;
    if (r.target === 2 || (r.target === 1 && r.round === 3)) return { ...r, value: Number.NaN, count: 0 };
    return r;
  });
  const loss = svgs(page(records))[1]!;
  assert.equal(seriesLabels(loss).sort(), ['client 0', 'client 1', 'global']);
  assert.is(count(loss.split('data-series="client 1"')[1]!.split('</g>')[0]!, 'M'), 2, 'two pieces around round 3');
});

render('should draw a task scored per client beside its merged score :: rouge.rougeL on the held-out splits', () => {
  const rouge = syntheticRun({ clients: 3 }).flatMap((r): RunRecord[] => r.kind !== 'eval' || r.metric !== 'loss' ? [] : [
    { ...r, split: 'test', metric: 'rouge.rougeL', value: r.value / 10, count: 2 },
  ]);
  const charts = svgs(page([...syntheticRun({ clients: 3 }), ...rouge]));
  const chart = charts.find((svg) => svg.includes('<title>Task score rouge.rougeL (higher is better), per round</title>'));
  assert.ok(chart, 'a chart for the task score');
  assert.equal(legendLabels(chart!), ['global', 'client 0', 'client 1', 'client 2']);
});

render('should refuse a non-array of records :: ERR_FSLLM_INVALID_ARG', () => {
  try {
    renderReport({ title: 't', config: null, records: 'nope' as unknown as RunRecord[], cost: null });
    assert.unreachable('should throw');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'ERR_FSLLM_INVALID_ARG');
    assert.match((error as Error).message, /^Expected an array of run records for records but received "nope" of type string$/);
  }
});

render.run();
