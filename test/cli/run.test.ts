// `fsllm run` as a user runs it: a real FS-LLM YAML (with key=value overrides), a real process, the
// output folder, and report.html opened in headless Chromium.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { chromiumRequirement, CHROMIUM_MISSING, dumpDom, findChromium } from '../helpers/chromium.js';
import { when } from '../helpers/requirements.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
const gsmYaml = path.join(root, 'test/fixtures/config/gsm_federate.yaml');
const out = mkdtempSync(path.join(os.tmpdir(), 'fsllm-run-'));

async function fsllm(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { cwd: root, timeout: 300_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const run = suite('fsllm run');
let runDir = '';
run.after(() => rmSync(out, { recursive: true, force: true }));

// The FS-LLM LLaMA-7B GSM8K config, shrunk by overrides to stories260K and a few rounds.
const shrink = [
  `model.path=${STORIES_BIN}`, `data.root=${SAMPLE_DATASETS}`, 'data.subsample=0.75', 'data.splits=[0.8,0.1,0.1]',
  'llm.tok_len=256', 'federate.total_round_num=2', 'train.local_update_steps=3', 'dataloader.batch_size=2',
  'train.is_enable_half=false', 'eval.freq=1', `outdir=${out}`,
];

run('runs an FS-LLM YAML with overrides and writes the whole output folder', async () => {
  const { stdout, stderr, code } = await fsllm(['run', '--cfg', gsmYaml, ...shrink]);
  assert.is(code, 0, stderr);
  assert.match(stdout, /FS-LLM config/);
  // The closing line names each figure: val and test loss once each, perplexity not repeated as a loss.
  const closing = /done after 2 rounds \(completed\): (.+)/.exec(stdout);
  assert.ok(closing, stdout);
  assert.match(closing![1]!, /^val loss \d+\.\d{4}, test loss \d+\.\d{4}$/);
  // Not a TTY: plain progress lines per round on stderr.
  assert.match(stderr, /round 1\/2 {2}train loss \d+\.\d+ {2}val loss/);
  assert.match(stderr, /round 2\/2 /);
  const dir = /wrote (.+) \(metrics/.exec(stdout)![1]!;
  runDir = dir;
  for (const f of ['config.json', 'metrics.jsonl', 'cost.json', 'report.html', 'adapter/adapter_config.json']) assert.ok(existsSync(path.join(dir, f)), f);
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.is(config.federate.clientNum, 3);
  assert.is(config.adapter.r, 8);
  assert.is(config.adapter.alpha, 16);
  assert.is(config.train.optimizer.lr, 0.0003);
  assert.is(config.data.tokLen, 256);
  const peft = JSON.parse(readFileSync(path.join(dir, 'adapter/adapter_config.json'), 'utf8'));
  assert.is(peft.r, 8);
  assert.is(peft.lora_alpha, 16);
});

when(chromiumRequirement(), run)('report.html of that run renders its charts in headless Chromium', async () => {
  const binary = findChromium();
  if (!binary) assert.unreachable(CHROMIUM_MISSING); // only under CI, which must have installed it
  const report = path.join(runDir, 'report.html');
  assert.ok(existsSync(report), 'the run of the first test wrote a report');
  const dom = await dumpDom(binary!, report);
  assert.ok((dom.match(/<svg/g) ?? []).length >= 3, 'training, eval and bytes charts');
  assert.match(dom, /client 1/);
  assert.match(dom, /mean \(sample-weighted\)/);
});

run('FS-LLM robust aggregation and Ditto keys: the clients Krum kept and the personal adapters\' losses are shown', async () => {
  const fsKeys = ['aggregator.robust_rule=krum', 'aggregator.byzantine_node_num=0', 'aggregator.BFT_args.krum_agg_num=2', 'federate.method=Ditto', 'personalization.regular_weight=0.1'];
  const { stdout, stderr, code } = await fsllm(['run', '--cfg', gsmYaml, ...shrink, ...fsKeys, 'eval.freq=2']);
  assert.is(code, 0, stderr);
  assert.match(stderr, /round 1: Krum kept clients \d, \d \(left out \d\)/);
  assert.match(stdout, /done after 2 rounds \(completed\): val loss \d+\.\d{4}, test loss \d+\.\d{4}, personal val loss \d+\.\d{4}, personal test loss \d+\.\d{4}/);
  const config = JSON.parse(readFileSync(path.join(/wrote (.+) \(metrics/.exec(stdout)![1]!, 'config.json'), 'utf8'));
  assert.equal([config.aggregator.rule, config.aggregator.krumSelect, config.personalization.method], ['multiKrum', 2, 'ditto']);
});

run('a misspelt key fails with the nearest valid one and exit code 1', async () => {
  const { stderr, code } = await fsllm(['run', '--cfg', gsmYaml, ...shrink, 'federate.clinet_num=3']);
  assert.is(code, 1);
  assert.match(stderr, /ERR_FSLLM_CONFIG/);
  assert.match(stderr, /did you mean federate\.client_num/);
});

run('a missing --cfg is a usage error', async () => {
  const { stderr, code } = await fsllm(['run']);
  assert.is(code, 1);
  assert.match(stderr, /--cfg/);
});

run.run();
