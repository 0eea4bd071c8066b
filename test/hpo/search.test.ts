// Searches of real federated runs (each trial an `fsllm run` process on stories260K): successive halving
// finds the grid's best learning rate with fewer rounds; a finished search re-run does no work again; an
// objective the runs do not record fails with the ones they do.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { parseObjective, parseSearchSpace, runHpo, type HpoEvent, type HpoResult, type HpoSettings } from '../../lib/hpo/index.js';
import { fails } from '../helpers/errors.js';
import { LRS, tempDir, tinyRunConfig } from './_support.js';

interface Context {
  dir: string;
  cfg: string;
  grid: HpoResult;
  sha: HpoResult;
  shaSettings: HpoSettings;
}

function settings(ctx: Context, extra: Partial<HpoSettings>): HpoSettings {
  return {
    cfg: ctx.cfg, overrides: [], space: parseSearchSpace({ 'train.optimizer.lr': LRS }, 'space'), scheduler: 'grid',
    objective: parseObjective('val.loss'), seed: 0, eta: 2, out: path.join(ctx.dir, 'grid'), workers: 1, ...extra,
  };
}

const search = suite<Context>('runHpo');
search.before((ctx) => {
  ctx.dir = tempDir();
  ctx.cfg = tinyRunConfig(ctx.dir);
});
search.after((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

search('should find with successive halving the best of the grid\'s values in fewer total rounds', async (ctx) => {
  ctx.grid = await runHpo(settings(ctx, {}));
  // Rungs of 1, 2 and 4 rounds keeping the best half: 4 trials x 1 round, 2 continue to 2, 1 continues to 4.
  ctx.shaSettings = settings(ctx, { scheduler: 'sha', budgets: [1, 2, 4], out: path.join(ctx.dir, 'sha'), workers: 2 });
  const events: HpoEvent[] = [];
  ctx.sha = await runHpo(ctx.shaSettings, { onEvent: (e) => events.push(e) });
  const { grid, sha } = ctx;
  console.log(`  grid: ${grid.ranking.map((r) => `${r.config['train.optimizer.lr']}=${r.value?.toFixed(3)}`).join(' ')} (${grid.totalRounds} rounds)`);
  console.log(`  sha:  best ${sha.best?.config['train.optimizer.lr']}=${sha.best?.value?.toFixed(3)} (${sha.totalRounds} rounds)`);
  assert.is(grid.ranking.length, 4);
  assert.ok(grid.ranking.every((r) => r.status === 'ok' && r.rounds === 4));
  assert.is(grid.totalRounds, 16);
  assert.equal(sha.best?.config, grid.best?.config, 'the same best learning rate');
  assert.is(sha.best?.rounds, 4, 'judged at the full budget');
  assert.ok(sha.totalRounds < grid.totalRounds, `sha ${sha.totalRounds} rounds < grid ${grid.totalRounds}`);
  assert.is(sha.totalRounds, 8);
  // The best trial continued from its own checkpoint: the same folder, its metrics reach round 4 once.
  const metrics = readFileSync(path.join(sha.outDir, 'trials', sha.best!.id, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(metrics.filter((r) => r.kind === 'round').map((r) => r.round), [1, 2, 3, 4]);
  // Same configuration, same rounds: the value agrees with the grid's run to float noise (threads differ).
  assert.ok(Math.abs(sha.best!.value! - grid.best!.value!) < 1e-3, `${sha.best!.value} vs ${grid.best!.value}`);
  const rungs = events.filter((e): e is Extract<HpoEvent, { kind: 'rung' }> => e.kind === 'rung');
  assert.equal(rungs.map((e) => e.promoted.length), [2, 1]);
  assert.equal(events.filter((e) => e.kind === 'start').length, 7);
  for (const f of ['hpo.json', 'trials.jsonl', 'best.json', 'report.html']) assert.ok(existsSync(path.join(sha.outDir, f)), f);
  const lines = readFileSync(path.join(sha.outDir, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.map((l) => [l.rung, l.rounds, l.roundsTrained]).sort(), [[0, 1, 1], [0, 1, 1], [0, 1, 1], [0, 1, 1], [1, 2, 1], [1, 2, 1], [2, 4, 2]]);
  const best = JSON.parse(readFileSync(path.join(sha.outDir, 'best.json'), 'utf8'));
  assert.equal(best.best.config, sha.best!.config);
  assert.is(best.totalRounds, 8);
});

search('should run nothing again when a finished search is run again', async (ctx) => {
  const events: HpoEvent[] = [];
  const again = await runHpo(ctx.shaSettings, { onEvent: (e) => events.push(e) });
  assert.equal(events.filter((e) => e.kind === 'start'), []);
  assert.ok(events.some((e) => e.kind === 'plan' && e.resumed));
  assert.is(events.filter((e) => e.kind === 'end' && e.reused).length, 7);
  assert.equal(again.best, ctx.sha.best);
  assert.is(again.totalRounds, 8);
});

search('should refuse to continue the grid\'s folder as another search :: ERR_FSLLM_CONFIG', async (ctx) => {
  await fails(() => runHpo(settings(ctx, { scheduler: 'sha', budgets: [1, 4] })), 'ERR_FSLLM_CONFIG', /holds another search \(it differs in scheduler, budgets\)/);
});

search('should fail a trial config with a bad value before any trial runs :: ERR_FSLLM_CONFIG', async (ctx) => {
  const out = path.join(ctx.dir, 'bad');
  await fails(() => runHpo(settings(ctx, { space: parseSearchSpace({ 'adapter.r': [4, 0] }, 's'), out })), 'ERR_FSLLM_CONFIG',
    /Invalid trial t1 of the search \(adapter\.r=0\)/, /adapter\.r: expected an integer ≥ 1/);
  assert.not.ok(existsSync(out), 'nothing was written');
});

search('should name the objectives the runs record when the chosen one is not among them :: ERR_FSLLM_CONFIG', async (ctx) => {
  await fails(() => runHpo(settings(ctx, { space: parseSearchSpace({ 'train.optimizer.lr': [1e-2] }, 's'), objective: parseObjective('gsm8k.accuracy'), out: path.join(ctx.dir, 'objective'), overrides: ['federate.totalRounds=1'] })),
    'ERR_FSLLM_CONFIG', /objective gsm8k\.accuracy: trial t0 recorded no such evaluation .*its runs record val\.loss, val\.perplexity: choose one of those/);
});

search.run();
