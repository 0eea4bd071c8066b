import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { loadRunConfig, parseOverrides } from '../../../lib/config/index.js';
import { FIXTURES, rejects, tempDir } from './_support.js';

const NATIVE_YAML = `# our own vocabulary
model:
  path: ./models/stories260K
data:
  type: dolly-15k
  splitter: dirichlet
federate:
  clientNum: 4
  sampleRate: 0.5
train:
  localSteps: 5
`;

const load = suite<{ dir: string; native: string }>('loadRunConfig');
load.before(async (ctx) => {
  ctx.dir = await tempDir();
  ctx.native = path.join(ctx.dir, 'native.yaml');
  await fs.writeFile(ctx.native, NATIVE_YAML);
});
load.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

load('should read our own YAML as native', async ({ native }) => {
  const r = await loadRunConfig(native);
  assert.is(r.source, 'native');
  assert.equal(r.ignored, []);
  assert.equal([r.options.model.path, r.options.data.splitter, r.options.federate.clientNum, r.options.federate.sampleRate, r.options.train.localSteps],
    ['./models/stories260K', 'dirichlet', 4, 0.5, 5]);
});

load('should read JSON', async ({ dir }) => {
  const file = path.join(dir, 'run.json');
  await fs.writeFile(file, JSON.stringify({ model: { path: 'm' }, data: { type: 'gsm8k' }, eval: { every: 0 } }, null, 2));
  const r = await loadRunConfig(file);
  assert.equal([r.source, r.options.eval.every, r.options.federate.clientNum], ['native', 0, 3]);
});

load('should read an FS-LLM fixture unchanged', async () => {
  const r = await loadRunConfig(path.join(FIXTURES, 'dolly_meta_federate.yaml'));
  assert.is(r.source, 'fsllm');
  assert.equal([r.options.federate.clientNum, r.options.data.splitter, r.options.adapter.alpha, r.options.train.localSteps], [8, 'meta', 64, 30]);
  assert.ok(r.ignored.length > 0);
});

load('should apply overrides in our vocabulary to our file', async ({ native }) => {
  const r = await loadRunConfig(native, ['train.optimizer.lr=1e-3', 'adapter.targets=[q_proj,v_proj,o_proj]', 'output.resume=true', 'train.localEpochs=2']);
  assert.is(r.options.train.optimizer.lr, 1e-3);
  assert.equal(r.options.adapter.targets, ['q_proj', 'v_proj', 'o_proj']);
  assert.is(r.options.output.resume, true);
  assert.equal([r.options.train.localEpochs, r.options.train.localSteps], [2, undefined], 'setting one of a pair clears the other');
});

load('should apply FS-LLM overrides to our file', async ({ native }) => {
  const r = await loadRunConfig(native, ['federate.client_num=6', 'federate.sample_client_num=2', 'llm.tok_len=256', 'train.local_update_steps=3', 'train.batch_or_epoch=epoch']);
  assert.equal([r.options.federate.clientNum, r.options.federate.sampleClients, r.options.federate.sampleRate], [6, 2, undefined]);
  assert.equal([r.options.data.tokLen, r.options.train.localEpochs, r.options.train.localSteps], [256, 3, undefined]);
});

load('should apply overrides in both vocabularies to an FS-LLM file', async () => {
  const r = await loadRunConfig(path.join(FIXTURES, 'gsm_federate.yaml'), [
    'federate.client_num=4', 'federate.total_round_num=2', 'train.optimizer.lr=1e-3', 'adapter.targets=[q_proj]', 'train.localEpochs=1', 'federate.totalRounds=3',
  ]);
  assert.equal([r.options.federate.clientNum, r.options.train.optimizer.lr, r.options.adapter.targets], [4, 1e-3, ['q_proj']]);
  assert.equal([r.options.train.localEpochs, r.options.train.localSteps], [1, undefined]);
  assert.is(r.options.federate.totalRounds, 3, 'our key wins over the FS-LLM key');
});

load('should remove an option for a null or empty value', async ({ native }) => {
  const r = await loadRunConfig(native, ['federate.sampleRate=null', 'train.localSteps=']);
  assert.equal([r.options.federate.sampleRate, r.options.train.localSteps], [undefined, 10]);
});

load('should name the FS-LLM key when its value is invalid', async ({ dir, native }) => {
  const file = path.join(dir, 'fs.yaml');
  await fs.writeFile(file, 'model:\n  type: gpt2@huggingface_llm\ndata:\n  type: gsm8k@llm\nfederate:\n  client_num: 0.5\nllm:\n  tok_len: 4\n');
  const e = await rejects(() => loadRunConfig(file), [
    /^Invalid config file .*fs\.yaml \(2 problems\):/,
    /federate\.client_num: expected an integer ≥ 1, got 0\.5/,
    /llm\.tok_len: expected an integer ≥ 8, got 4/,
  ]);
  assert.is(e.path, file);
  await rejects(() => loadRunConfig(native, ['federate.client_num=abc']), [/federate\.client_num: expected an integer ≥ 1, got "abc"/]);
});

load('should reject unknown and malformed overrides with a suggestion', async ({ native }) => {
  await rejects(() => loadRunConfig(native, ['federate.clientnum=3', 'train.optimizer.lrr=1', 'lr']), [
    /federate\.clientnum: unknown option; did you mean federate\.clientNum\?/,
    /train\.optimizer\.lrr: unknown option; did you mean train\.optimizer\.lr\?/,
    /lr: override "lr" is not key=value/,
  ]);
  await rejects(() => loadRunConfig(path.join(FIXTURES, 'gsm_federate.yaml'), ['federate.client_nun=3']),
    [/federate\.client_nun: unknown option; did you mean federate\.client_num\?/]);
  await rejects(() => loadRunConfig(native, ['federate.rounds=3', 'train.lr=1e-3']), [
    /federate\.rounds: unknown option; did you mean federate\.totalRounds\?/,
    /train\.lr: unknown option; did you mean train\.optimizer\.lr\?/,
  ]);
});

load('should refuse a missing TLS file of a distributed run before it starts', async ({ dir, native }) => {
  const cert = path.join(dir, 'missing-cert.pem');
  await rejects(() => loadRunConfig(native, ['federate.mode=distributed', `distribute.tls.cert=${cert}`]),
    [new RegExp(`distribute\\.tls\\.cert: file "${cert}" does not exist`)]);
});

load('should report a YAML syntax error with file and line', async ({ dir }) => {
  const file = path.join(dir, 'bad.yaml');
  await fs.writeFile(file, 'model:\n  path: m\ndata: [gsm8k\ntrain:\n  localSteps: 3\n');
  const e = await rejects(() => loadRunConfig(file), [/bad\.yaml:4:1: invalid YAML: /]);
  assert.is(e.path, file);
  const dup = path.join(dir, 'dup.yaml');
  await fs.writeFile(dup, 'model:\n  path: m\nmodel:\n  path: n\n');
  await rejects(() => loadRunConfig(dup), [/dup\.yaml:3:1: invalid YAML: Map keys must be unique/]);
});

load('should treat a snake_case typo in our file as a typo', async ({ dir }) => {
  const file = path.join(dir, 'typo.yaml');
  await fs.writeFile(file, 'model:\n  path: m\ndata:\n  type: gsm8k\nfederate:\n  client_num: 3\n');
  await rejects(() => loadRunConfig(file), [/federate\.client_num: unknown option; did you mean federate\.clientNum\?/]);
});

load('should reject a missing file, an empty file and a non-mapping', async ({ dir }) => {
  await rejects(() => loadRunConfig(path.join(dir, 'nope.yaml')), [/nope\.yaml: cannot read the file \(ENOENT\)/]);
  const empty = path.join(dir, 'empty.yaml');
  await fs.writeFile(empty, '# nothing\n');
  await rejects(() => loadRunConfig(empty), [/expected a mapping of options, got an empty document/]);
  const list = path.join(dir, 'list.yaml');
  await fs.writeFile(list, '- a\n- b\n');
  await rejects(() => loadRunConfig(list), [/expected a mapping of options, got object/]);
});

load('should refuse an unsupported FS-LLM feature with ERR_FSLLM_UNSUPPORTED', async () => {
  await rejects(() => loadRunConfig(path.join(FIXTURES, 'offsite_gsm_fed.yaml'), ['llm.offsite_tuning.strategy=pruning']), [/only "drop_layer" exists/], 'ERR_FSLLM_UNSUPPORTED');
  const r = await loadRunConfig(path.join(FIXTURES, 'offsite_gsm_fed.yaml'));
  assert.is(r.options.train.localSteps, 30);
  assert.is(r.options.offsite?.algorithm, 'fedot');
  assert.is(r.options.offsite?.align.reprWeight, 0.9);
  const plain = await loadRunConfig(path.join(FIXTURES, 'offsite_gsm_fed.yaml'), ['llm.offsite_tuning.use=false']);
  assert.is(plain.options.offsite, undefined);
});

load.run();

// ---

const parse = suite('parseOverrides');

parse('should read values as YAML scalars and flow sequences', () => {
  const { overrides, issues } = parseOverrides(['a.b=1e-3', 'c=true', 'd=[x, y]', 'e=hello', 'f="3"', 'g=-1', 'h=']);
  assert.equal(issues, []);
  assert.equal(overrides.map((o) => o.value), [1e-3, true, ['x', 'y'], 'hello', '3', -1, null]);
});

parse('should turn malformed entries into issues', () => {
  const { overrides, issues } = parseOverrides(['=3', 'a..b=1', 'x=[1, 2']);
  assert.is(overrides.length, 0);
  assert.is(issues.length, 3);
  assert.match(issues[2]?.message ?? '', /is not a YAML value/);
});

parse.run();
