// Resume bookkeeping on real files: trials.jsonl read back (torn last line dropped, failed rungs run again),
// hpo.json written once and another search refused, the ranking, best.json and report.html.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { parseObjective, parseSearchSpace, type HpoPlan, type TrialRecord } from '../../lib/hpo/index.js';
import { startPlan, trialIds } from '../../lib/hpo/hpoPlan.js';
import { rankTrials, writeSummary } from '../../lib/hpo/hpoResults.js';
import { TrialJournal } from '../../lib/hpo/TrialJournal.js';
import { fails } from '../helpers/errors.js';

function record(id: string, rung: number, value: number | null, status: TrialRecord['status'] = 'ok', rounds = rung + 1): TrialRecord {
  return { id, rung, config: { 'train.optimizer.lr': Number(`1e-${id.slice(1)}`) }, rounds, roundsTrained: 1, value, evalRound: value === null ? null : rounds, status, seconds: 2 };
}

function plan(overrides: Partial<HpoPlan> = {}): HpoPlan {
  return {
    version: 1, cfg: '/x/run.yaml', cfgSha256: 'abc', overrides: [], scheduler: 'sha', objective: parseObjective('val.loss'), seed: 0,
    samples: null, budgets: [1, 2], eta: 2, space: parseSearchSpace({ 'train.optimizer.lr': [1e-1, 1e-2, 1e-3] }, 's'),
    trials: trialIds(3).map((id, i) => ({ id, config: { 'train.optimizer.lr': [1e-1, 1e-2, 1e-3][i] } })), notes: [],
    ...overrides,
  };
}

const journal = suite<{ dir: string }>('TrialJournal');
journal.before((ctx) => {
  ctx.dir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-hpo-journal-'));
});
journal.after((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

journal('should read back what an earlier run appended, and skip finished trial-rungs only', async ({ dir }) => {
  const first = await TrialJournal.open(dir);
  await first.append(record('t0', 0, 3.5));
  await first.append(record('t1', 0, null, 'failed'));
  await first.append(record('t2', 0, null, 'diverged'));
  const again = await TrialJournal.open(dir);
  assert.is(again.finished('t0', 0)?.value, 3.5);
  assert.is(again.finished('t1', 0), undefined, 'a failed rung runs again');
  assert.is(again.finished('t2', 0)?.status, 'diverged', 'a diverged trial finished: it is not run again');
  assert.is(again.finished('t0', 1), undefined);
  await again.append(record('t1', 0, 4.0));
  const third = await TrialJournal.open(dir);
  assert.is(third.finished('t1', 0)?.value, 4.0, 'the retry replaces the failure');
  assert.is(third.latest().length, 3);
  assert.is(third.all().length, 4);
});

journal('should drop a line cut short by a crash, so the next append starts a line of its own', async ({ dir }) => {
  const file = path.join(dir, 'trials.jsonl');
  writeFileSync(file, `${JSON.stringify(record('t0', 0, 3.5))}\n{"id":"t1","rung":0,"conf`);
  const opened = await TrialJournal.open(dir);
  assert.is(opened.latest().length, 1);
  await opened.append(record('t1', 0, 2.5));
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.is(lines.length, 2);
  for (const l of lines) JSON.parse(l);
});

journal.run();

// ---

const planFile = suite<{ dir: string }>('startPlan');
planFile.before((ctx) => {
  ctx.dir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-hpo-plan-'));
});
planFile.after((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

planFile('should write the plan once, then accept the same search (other workers, notes) as a resume', async ({ dir }) => {
  assert.is(await startPlan(dir, plan()), false);
  assert.ok(existsSync(path.join(dir, 'hpo.json')));
  assert.is(await startPlan(dir, plan({ notes: ['another note'] })), true);
  const written = JSON.parse(readFileSync(path.join(dir, 'hpo.json'), 'utf8'));
  assert.equal(written.budgets, [1, 2]);
  assert.is(written.trials.length, 3);
});

planFile('should refuse another scheduler, space or run config in the same folder, naming the differences :: ERR_FSLLM_CONFIG', async ({ dir }) => {
  await fails(() => startPlan(dir, plan({ scheduler: 'grid', budgets: null })), 'ERR_FSLLM_CONFIG', /holds another search \(it differs in scheduler, budgets\); re-run the command that started it to resume, or use another --out/);
  await fails(() => startPlan(dir, plan({ space: parseSearchSpace({ 'adapter.r': [4, 8, 16] }, 's') })), 'ERR_FSLLM_CONFIG', /differs in space\)/);
  await fails(() => startPlan(dir, plan({ cfgSha256: 'def' })), 'ERR_FSLLM_CONFIG', /differs in the content of the run config\)/);
  await fails(() => startPlan(dir, plan({ objective: parseObjective('test.loss') })), 'ERR_FSLLM_CONFIG', /differs in objective\)/);
});

planFile('should number trials so that ids sort in trial order', () => {
  assert.equal(trialIds(3), ['t0', 't1', 't2']);
  assert.equal(trialIds(12).slice(0, 2), ['t00', 't01']);
  assert.is(trialIds(12)[11], 't11');
});

planFile.run();

// ---

const results = suite<{ dir: string }>('results');
results.before((ctx) => {
  ctx.dir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-hpo-results-'));
});
results.after((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

const RUNG_RECORDS = [record('t0', 0, 5.0), record('t1', 0, 4.0), record('t2', 0, null, 'diverged'), record('t1', 1, 3.0, 'ok', 2)];

results('should rank each trial at its furthest rung, later rungs first', () => {
  assert.equal(rankTrials(RUNG_RECORDS, 'min').map((r) => [r.id, r.rung]), [['t1', 1], ['t0', 0], ['t2', 0]]);
});

results('should write best.json and a report page with the results table, escaping values', async ({ dir }) => {
  const odd = { ...record('t0', 0, 5.0), config: { 'train.optimizer.lr': '<b>x</b>' } };
  const { summary } = await writeSummary(dir, plan(), [odd, ...RUNG_RECORDS.slice(1)]);
  const best = JSON.parse(readFileSync(path.join(dir, 'best.json'), 'utf8'));
  assert.equal(best, summary);
  assert.is(best.best.id, 't1');
  assert.is(best.best.value, 3.0);
  assert.is(best.best.rounds, 2);
  assert.is(best.totalRounds, 4);
  const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.match(html, /<h2>Best configuration<\/h2><p>Trial <a href="trials\/t1\/report\.html">t1<\/a>: val\.loss <b>3<\/b> after 2 rounds/);
  assert.match(html, /<th>Rank<\/th><th>Trial<\/th><th>train\.optimizer\.lr<\/th><th>val\.loss<\/th><th>Rounds<\/th><th>Time<\/th><th>Status<\/th>/);
  assert.is((html.match(/<tr><td class="num">\d+<\/td>/g) ?? []).length, 3, 'one row per trial');
  assert.match(html, /&quot;&lt;b&gt;x&lt;\/b&gt;&quot;/);
  assert.not.match(html, /<b>x<\/b>/);
  assert.match(html, /<svg class="chart"/, 'successive halving draws the rung chart');
});

results('should say so when no trial has finished', async ({ dir }) => {
  const { summary } = await writeSummary(dir, plan(), [record('t0', 0, null, 'failed')]);
  assert.is(summary.best, null);
  assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /No trial has finished with a finite objective yet/);
});

results.run();
