// FS-LLM's hpo: section and hpo.ss space files as search settings, and loadHpoSettings' sources and precedence.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { loadRunConfig } from '../../lib/config/index.js';
import { fsllmHpoSettings, fsllmObjective, loadHpoSettings } from '../../lib/hpo/index.js';
import { fails } from '../helpers/errors.js';
import { FIXTURES, STORIES_BIN } from '../helpers/paths.js';

const GSM_YAML = path.join(FIXTURES, 'config/gsm_federate.yaml');

const section = suite('fsllmHpoSettings');

section("should map FS-LLM's keys and apply its defaults", () => {
  const s = fsllmHpoSettings({
    scheduler: 'sha', num_workers: 0, init_cand_num: 9, ss: 'ss.yaml', working_folder: 'hpo_out',
    sha: { budgets: [2, 4, 8], elim_rate: 2, elim_round_num: 3 }, metric: 'client_summarized_weighted_avg.val_loss', larger_better: false,
    log_scale: false, plot_interval: 1, table: { num: 27 },
  }, 'hpo');
  assert.equal({ ...s, objective: undefined }, {
    scheduler: 'sha', workers: 1, samples: 9, spaceFile: 'ss.yaml', out: 'hpo_out', budgets: [2, 4, 8], eta: 2, notes: [], objective: undefined,
  });
  assert.equal(s.objective, { name: 'client_summarized_weighted_avg.val_loss', metric: 'loss', split: 'val', target: 'global', direction: 'min' });
  const defaults = fsllmHpoSettings({}, 'hpo');
  assert.equal([defaults.scheduler, defaults.samples, defaults.eta, defaults.objective?.name], ['rs', 16, 3, 'client_summarized_weighted_avg.val_loss']);
  assert.is(fsllmHpoSettings({ sha: { budgets: [] } }, 'hpo').budgets, undefined, 'empty budgets: derived from the rounds');
});

section('should note wrap_ schedulers and FedEx, which run as the plain scheduler', () => {
  const s = fsllmHpoSettings({ scheduler: 'wrap_sha', fedex: { use: true, ss: 'fedex.yaml' } }, 'hpo');
  assert.is(s.scheduler, 'wrap_sha');
  assert.is(s.notes.length, 2);
  assert.match(s.notes.join('\n'), /FedEx, per-client exploration inside a run, is not run/);
  assert.match(s.notes.join('\n'), /wrap_sha: runs as sha/);
});

section('should map FS-LLM metrics to our records, and larger_better to max', () => {
  const mean = fsllmObjective('client_summarized_avg.test_avg_loss');
  assert.ok(typeof mean !== 'string' && mean.target === 'mean' && mean.split === 'test' && mean.metric === 'loss');
  const server = fsllmObjective('server_global_eval.val_loss', true);
  assert.ok(typeof server !== 'string' && server.target === 'global' && server.direction === 'max');
  const ours = fsllmObjective('gsm8k.accuracy');
  assert.ok(typeof ours !== 'string' && ours.direction === 'max');
  assert.match(fsllmObjective('client_summarized_weighted_avg.test_acc') as string, /"test_acc" is not recorded here \(use val_loss or test_loss; for a task score set eval\.tasks/);
  assert.match(fsllmObjective('client_summarized_fairness.val_loss') as string, /has no counterpart/);
});

section('should refuse model-based schedulers as unsupported :: ERR_FSLLM_UNSUPPORTED', async () => {
  await fails(() => fsllmHpoSettings({ scheduler: 'bo_gp' }, 'hpo section of fs.yaml'), 'ERR_FSLLM_UNSUPPORTED',
    /Unsupported feature in hpo section of fs\.yaml:\n {2}hpo\.scheduler: "bo_gp" is not available \(use rs, sha, wrap_rs or wrap_sha\)/);
});

section('should list bad values and unknown keys with the nearest one :: ERR_FSLLM_CONFIG', async () => {
  await fails(() => fsllmHpoSettings({
    scheduler: 'shaa', init_cand_nums: 4, num_workers: -1, sha: { budgets: [4, 2], elim_rate: 1 }, metric: 'client_summarized_weighted_avg.val_acc', larger_better: 'yes',
  }, 'hpo section'), 'ERR_FSLLM_CONFIG',
  /hpo\.scheduler: expected one of "rs", "sha", "wrap_rs", "wrap_sha", got "shaa" \(did you mean "sha"\?\)/,
  /hpo\.init_cand_nums: unknown option; did you mean hpo\.init_cand_num\?/,
  /hpo\.num_workers: expected an integer ≥ 0, got -1/,
  /hpo\.sha\.budgets: expected rounds per rung, strictly increasing/,
  /hpo\.sha\.elim_rate: expected a number > 1/,
  /hpo\.larger_better: expected true or false/,
  /hpo\.metric: FS-LLM metric "val_acc" is not recorded here/);
});

section.run();

// ---

const load = suite<{ dir: string }>('loadHpoSettings');
load.before((ctx) => {
  ctx.dir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-hpo-settings-'));
  writeFileSync(path.join(ctx.dir, 'ours.yaml'), 'model: { path: m }\ndata: { type: gsm8k }\n');
  writeFileSync(path.join(ctx.dir, 'bare.yaml'), 'adapter.r: [4, 8]\n');
});
load.after((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

load("should read an FS-LLM config's hpo section with hpo.* overrides and its FS-LLM space file", async ({ dir }) => {
  const ss = path.join(dir, 'ss.yaml');
  writeFileSync(ss, 'train.optimizer.lr:\n  type: float\n  lower: 0.001\n  upper: 0.1\n  log: True\ntrain.local_update_steps:\n  type: cate\n  choices: [1, 2]\n');
  const cfg = path.join(dir, 'fs.yaml');
  writeFileSync(cfg, `${readFileSync(GSM_YAML, 'utf8')}hpo:\n  scheduler: wrap_rs\n  ss: ${ss}\n  init_cand_num: 5\n  num_workers: 2\n`);
  const s = await loadHpoSettings({ cfg, overrides: ['hpo.init_cand_num=3', 'federate.total_round_num=2'] });
  assert.is(s.scheduler, 'wrap_rs');
  assert.is(s.samples, 3, 'hpo.* overrides edit the section');
  assert.is(s.workers, 2);
  assert.equal(s.overrides, ['federate.total_round_num=2'], 'other overrides go to every trial');
  assert.equal(s.space.map((d) => d.key), ['train.optimizer.lr', 'train.local_update_steps']);
  assert.is(s.objective.name, 'client_summarized_weighted_avg.val_loss');
  assert.match((s.notes ?? []).join('\n'), /wrap_rs: runs as rs/);
  // `fsllm run` of the same file notes the section and points at `fsllm hpo`.
  const { ignored } = await loadRunConfig(cfg, [`model.path=${STORIES_BIN}`]);
  assert.ok(ignored.includes('hpo: ignored by fsllm run (run the search with `fsllm hpo --cfg FILE`, which reads this section)'), ignored.join('\n'));
});

load('should let the space file beat the FS-LLM section, and flags beat both', async ({ dir }) => {
  const space = path.join(dir, 'space.yaml');
  writeFileSync(space, 'scheduler: sha\nbudgets: [1, 3]\neta: 2\nobjective: test.loss\nspace:\n  train.optimizer.lr: [1.0e-3, 1.0e-2]\n');
  const cfg = path.join(dir, 'fs2.yaml');
  writeFileSync(cfg, `${readFileSync(GSM_YAML, 'utf8')}hpo:\n  scheduler: rs\n  sha: { budgets: [5, 10] }\n`);
  const fromFile = await loadHpoSettings({ cfg, space });
  assert.equal([fromFile.scheduler, fromFile.budgets, fromFile.eta, fromFile.objective.name, fromFile.samples], ['sha', [1, 3], 2, 'test.loss', 16]);
  const fromFlags = await loadHpoSettings({ cfg, space, choices: { scheduler: 'grid', budgets: '2,4', eta: '4', objective: 'val.loss', direction: 'max', workers: '3', out: 'x' } });
  assert.equal([fromFlags.scheduler, fromFlags.budgets, fromFlags.eta, fromFlags.objective.direction, fromFlags.workers, fromFlags.out], ['grid', [2, 4], 4, 'max', 3, 'x']);
});

load('should default to grid (or rs with samples), val.loss and eta 3 for a config of ours', async ({ dir }) => {
  const cfg = path.join(dir, 'ours.yaml');
  const space = path.join(dir, 'bare.yaml');
  const s = await loadHpoSettings({ cfg, space });
  assert.equal([s.scheduler, s.objective.name, s.objective.direction, s.eta, s.seed, s.workers, s.out], ['grid', 'val.loss', 'min', 3, 0, 1, 'runs/hpo']);
  assert.is((await loadHpoSettings({ cfg, space, choices: { samples: '4' } })).scheduler, 'rs');
});

load('should refuse a missing space, bad settings and hpo.* keys with a config of ours', async ({ dir }) => {
  const cfg = path.join(dir, 'ours.yaml');
  const space = path.join(dir, 'bad.yaml');
  writeFileSync(space, 'scheduler: sha\nworkerz: 2\n');
  await fails(() => loadHpoSettings({ cfg }), 'ERR_FSLLM_INVALID_ARG', /Expected a search space file \(or hpo\.ss in an FS-LLM config\) for --space/);
  await fails(() => loadHpoSettings({ cfg, space }), 'ERR_FSLLM_CONFIG', /workerz: unknown setting/, /space: missing: list the searched options under space:/);
  await fails(() => loadHpoSettings({ cfg, space: path.join(dir, 'bare.yaml'), overrides: ['hpo.scheduler=sha'] }), 'ERR_FSLLM_CONFIG', /hpo\.scheduler: hpo\.\* keys are FS-LLM's/);
  await fails(() => loadHpoSettings({ cfg, space: path.join(dir, 'bare.yaml'), choices: { scheduler: 'bohb' } }), 'ERR_FSLLM_INVALID_ARG', /for scheduler/);
  await fails(() => loadHpoSettings({ cfg, space: path.join(dir, 'bare.yaml'), choices: { eta: '1' } }), 'ERR_FSLLM_INVALID_ARG', /Expected a number > 1 .* for eta/);
  await fails(() => loadHpoSettings({ cfg, space: path.join(dir, 'missing.yaml') }), 'ERR_FSLLM_CONFIG', /search space .*missing\.yaml.*cannot read the file \(ENOENT\)/s);
});

load.run();
