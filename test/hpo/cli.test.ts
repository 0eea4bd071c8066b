// `fsllm hpo` as a user runs it, a real process: Ctrl-C stops the running trial's process group and the same
// command resumes (finished trials read back, the interrupted one continued from its checkpoint); an FS-LLM
// config with hpo.* keys and an FS-LLM space file; usage errors.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CLI, fsllm, fsllmFails } from '../cli/_cli.js';
import { FIXTURES, REPO, SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir, tinyRunConfig } from './_support.js';

const exec = promisify(execFile);

/** Command lines of live processes that write into `folder` (trial runs name it in output.dir=...). */
async function processesUsing(folder: string): Promise<string[]> {
  const { stdout } = await exec('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((l) => l.includes(`output.dir=${folder}`));
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) assert.unreachable(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const cli = suite<{ dir: string }>('fsllm hpo');
cli.before((ctx) => {
  ctx.dir = tempDir();
});
cli.after((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

cli('should stop its trials on Ctrl-C and resume when run again', async ({ dir }) => {
  const cfg = tinyRunConfig(dir);
  const space = path.join(dir, 'space.yaml');
  writeFileSync(space, 'train.optimizer.lr: [1.0e-2, 1.0e-3]\n');
  const out = path.join(dir, 'search');
  const args = ['hpo', '--cfg', cfg, '--space', space, '--out', out, 'federate.totalRounds=8'];
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // t0 finishes; t1 checkpoints its first round; then Ctrl-C.
  await waitFor('t1 to checkpoint a round', () => existsSync(path.join(out, 'trials', 't1', 'checkpoint.json')));
  child.kill('SIGINT');
  assert.is(await exited, 1, stdout + stderr);
  assert.match(stdout, /stopping the running trials; run the same command again to resume/);
  assert.match(stderr, /ERR_FSLLM_ABORTED: the search was aborted; run it again to resume/);
  assert.equal(await processesUsing(out), [], 'no trial process is left');
  assert.is(readFileSync(path.join(out, 'trials.jsonl'), 'utf8').trim().split('\n').length, 1, 't0 finished, t1 did not');

  const { stdout: again } = await fsllm(args, 120_000);
  assert.match(again, /resuming 2 trials/);
  assert.match(again, /t0: val\.loss [\d.]+ after 8 rounds \(finished earlier, from trials\.jsonl\)/);
  assert.match(again, /best t0: val\.loss [\d.]+ after 8 rounds with train\.optimizer\.lr=0\.01/);
  // The second run of t1 continued from its checkpoint: its log's last part starts after round 1.
  const log = readFileSync(path.join(out, 'trials', 't1', 'trial.log'), 'utf8').split('\n$ node ');
  assert.is(log.length, 3, 'two runs of t1');
  assert.not.match(log[2]!, /round 1\/8/);
  assert.match(log[2]!, /round 8\/8/);
  const best = JSON.parse(readFileSync(path.join(out, 'best.json'), 'utf8'));
  assert.is(best.best.id, 't0');
  assert.is(best.totalRounds, 16);
});

cli('should leave no trial running when the search itself is SIGKILLed', async ({ dir }) => {
  const cfg = tinyRunConfig(dir);
  const space = path.join(dir, 'space-kill.yaml');
  writeFileSync(space, 'train.optimizer.lr: [1.0e-2, 1.0e-3]\n');
  const out = path.join(dir, 'killed');
  const child = spawn(process.execPath, [CLI, 'hpo', '--cfg', cfg, '--space', space, '--out', out, 'federate.totalRounds=500'], { cwd: REPO, stdio: 'ignore' });
  const exited = new Promise<unknown>((resolve) => child.once('exit', resolve));
  await waitFor('the first trial to checkpoint a round', () => existsSync(path.join(out, 'trials', 't0', 'checkpoint.json')));
  assert.is((await processesUsing(out)).length, 1, 'one trial running');
  child.kill('SIGKILL');
  await exited;
  // The trial sees its stdin (a pipe from the search) close and stops between steps.
  const until = Date.now() + 30_000;
  while ((await processesUsing(out)).length > 0 && Date.now() < until) await sleep(200);
  assert.equal(await processesUsing(out), [], 'the trial stopped with the search');
  assert.match(readFileSync(path.join(out, 'trials', 't0', 'trial.log'), 'utf8'), /ERR_FSLLM_ABORTED/);
});

cli('should run an FS-LLM config\'s hpo section with an FS-LLM space file (wrap_rs as rs)', async ({ dir }) => {
  const ss = path.join(dir, 'fs_ss.yaml');
  writeFileSync(ss, 'train.optimizer.lr:\n  type: float\n  lower: 0.001\n  upper: 0.05\n  log: True\ntrain.local_update_steps:\n  type: cate\n  choices: [1, 2]\n');
  const out = path.join(dir, 'fs-search');
  // The FS-LLM LLaMA-7B GSM8K config, shrunk to stories260K and one round of small steps.
  const { stdout } = await fsllm(['hpo', '--cfg', path.join(FIXTURES, 'config/gsm_federate.yaml'),
    'hpo.scheduler=wrap_rs', 'hpo.init_cand_num=2', `hpo.ss=${ss}`, `hpo.working_folder=${out}`, 'hpo.metric=client_summarized_weighted_avg.val_loss',
    `model.path=${STORIES_BIN}`, `data.root=${SAMPLE_DATASETS}`, 'data.subsample=0.5', 'data.splits=[0.8,0.1,0.1]', 'llm.tok_len=256',
    'federate.total_round_num=1', 'dataloader.batch_size=2', 'train.is_enable_half=false', 'eval.freq=1'], 120_000);
  assert.match(stdout, /fsllm hpo: wrap_rs over train\.optimizer\.lr, train\.local_update_steps/);
  assert.match(stdout, /note: hpo\.scheduler wrap_rs: runs as rs/);
  assert.match(stdout, /best t\d: client_summarized_weighted_avg\.val_loss [\d.]+ after 1 round with/);
  const plan = JSON.parse(readFileSync(path.join(out, 'hpo.json'), 'utf8'));
  assert.is(plan.trials.length, 2);
  for (const t of plan.trials) {
    // Each trial's FS-LLM keys were translated with the whole file: local_update_steps is our localSteps.
    const config = JSON.parse(readFileSync(path.join(out, 'trials', t.id, 'config.json'), 'utf8'));
    assert.is(config.train.localSteps, t.config['train.local_update_steps']);
    assert.is(config.train.optimizer.lr, t.config['train.optimizer.lr']);
    assert.is(config.federate.totalRounds, 1);
  }
});

cli('should refuse a missing --cfg, a stray argument and an unsupported FS-LLM scheduler', async ({ dir }) => {
  assert.match(await fsllmFails(['hpo', '--space', 'x.yaml']), /ERR_FSLLM_INVALID_ARG: Expected a run config file \(YAML or JSON\) for --cfg/);
  assert.match(await fsllmFails(['hpo', '--cfg', 'a.yaml', 'stray']), /Expected a --flag or key=value for argument stray/);
  const gsm = path.join(FIXTURES, 'config/gsm_federate.yaml');
  assert.match(await fsllmFails(['hpo', '--cfg', gsm, 'hpo.scheduler=bo_gp', `--out=${path.join(dir, 'x')}`]), /ERR_FSLLM_UNSUPPORTED: .*\n {2}hpo\.scheduler: "bo_gp" is not available/);
  const { stdout } = await fsllm(['hpo', '--help']);
  assert.match(stdout, /fsllm hpo --cfg FILE --space FILE/);
});

cli.run();
