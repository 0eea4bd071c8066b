import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { OPTION_DOCS, OPTION_KEYS, resolveOptions } from '../../../lib/config/index.js';
import { MINIMAL, tempDir, throws } from './_support.js';

const resolve = suite('resolveOptions');

resolve('should fill every default from the minimal options', () => {
  const o = resolveOptions(MINIMAL);
  assert.equal(o.model, { path: './m', device: 'cpu', baseDtype: 'fp32' });
  assert.equal(o.data, { type: 'gsm8k', splitter: 'iid', alpha: 0.5, splits: [0.8, 0.1, 0.1], tokLen: 128, subsample: 1 });
  assert.equal(o.federate, { mode: 'standalone', scenario: 'fed', clientNum: 3, totalRounds: 10, weighting: 'samples', seed: 0, clientProcesses: false, deadlineSeconds: 0, maxRetries: 2 });
  assert.equal(o.adapter, { method: 'lora', r: 8, alpha: 16, dropout: 0.05, targets: ['q_proj', 'v_proj'], rslora: false });
  assert.equal(o.train, {
    localSteps: 10, batchSize: 4, gradAccum: 1, optimizer: { type: 'adamw', lr: 3e-4 },
    scheduler: { type: 'constant', warmupSteps: 0 }, maxGradNorm: 0, checkpointActivations: false, dataParallel: { processes: 1, backend: 'gloo', timeoutSeconds: 600 }, precision: 'fp32', fedprox: { mu: 0 },
    keepOptimizerState: false, pack: true,
  });
  assert.equal(o.eval, { every: 1, splits: ['val', 'test'], batchSize: 8, bestKey: 'val_loss', earlyStop: { patience: 0, delta: 0 }, tasks: [], tasksEvery: 1 });
  assert.equal(o.output, { dir: 'runs/fsllm', checkpointEvery: 1, resume: false, report: true });
});

resolve('should pick the splitter and client count from the dataset', () => {
  const dolly = resolveOptions({ ...MINIMAL, data: { type: 'dolly-15k' } });
  assert.is(dolly.data.splitter, 'meta');
  assert.is(dolly.federate.clientNum, undefined, 'meta: the categories decide');
  assert.is(resolveOptions({ ...MINIMAL, data: { type: 'codealpaca' } }).data.splitter, 'meta');
  const lda = resolveOptions({ ...MINIMAL, data: { type: 'dolly-15k', splitter: 'dirichlet' } });
  assert.is(lda.federate.clientNum, 3);
});

resolve('should keep localEpochs alone and default bestKey to test_loss without val', () => {
  const o = resolveOptions({ ...MINIMAL, train: { localEpochs: 2 }, eval: { splits: ['test'] } });
  assert.is(o.train.localEpochs, 2);
  assert.not.ok('localSteps' in o.train);
  assert.is(o.eval.bestKey, 'test_loss');
  assert.is(resolveOptions({ ...MINIMAL, data: { type: 'gsm8k', splits: [0.9, 0, 0.1] } }).eval.bestKey, 'test_loss');
});

resolve('should accept its own output again unchanged', () => {
  const once = resolveOptions({ ...MINIMAL, data: { type: 'dolly-15k' }, train: { localEpochs: 1 } });
  assert.equal(resolveOptions(once), once);
});

resolve('should not share default arrays between results', () => {
  const a = resolveOptions(MINIMAL);
  a.adapter.targets.push('o_proj');
  a.data.splits[0] = 0;
  const b = resolveOptions(MINIMAL);
  assert.equal(b.adapter.targets, ['q_proj', 'v_proj']);
  assert.equal(b.data.splits, [0.8, 0.1, 0.1]);
});

resolve('should take eval tasks, a task metric as bestKey, and default tasksEvery to every', () => {
  const tasks = [{ type: 'gsm8k', limit: 20 }, { type: 'humaneval', suite: 'humaneval-x', language: 'cpp', samples: 5, k: [1, 5] }];
  const o = resolveOptions({ ...MINIMAL, eval: { every: 2, bestKey: 'humaneval-x:cpp.pass@5', tasks } });
  assert.equal(o.eval.tasks, tasks);
  assert.is(o.eval.bestKey, 'humaneval-x:cpp.pass@5');
  assert.is(o.eval.tasksEvery, 2);
  assert.equal(resolveOptions(MINIMAL).eval.tasks, []);
});

resolve.run();

// ---

const bad = suite('resolveOptions :: bad values');

const cases: Array<[string, unknown, RegExp]> = [
  ['lr as a word', { train: { optimizer: { lr: 'fast' } } }, /train\.optimizer\.lr: expected a positive number, got "fast" \(set a number such as 3e-4\)/],
  ['negative lr', { train: { optimizer: { lr: -1 } } }, /train\.optimizer\.lr: expected a positive number, got -1/],
  ['fractional clientNum', { federate: { clientNum: 2.5 } }, /federate\.clientNum: expected an integer ≥ 1, got 2\.5 \(set an integer such as 8\)/],
  ['zero rounds', { federate: { totalRounds: 0 } }, /federate\.totalRounds: expected an integer ≥ 1, got 0/],
  ['sampleRate above 1', { federate: { sampleRate: 1.5 } }, /federate\.sampleRate: expected a number in \(0, 1\], got 1\.5/],
  ['dropout 1', { adapter: { dropout: 1 } }, /adapter\.dropout: expected a number in \[0, 1\), got 1/],
  ['tokLen too small', { data: { type: 'gsm8k', tokLen: 4 } }, /data\.tokLen: expected an integer ≥ 8, got 4/],
  ['splits not summing to 1', { data: { type: 'gsm8k', splits: [0.5, 0.5, 0.5] } }, /data\.splits: expected three shares \[train, val, test\] summing to 1, got \[0\.5,0\.5,0\.5\] \(set e\.g\. \[0\.8, 0\.1, 0\.1\]\)/],
  ['a negative share', { data: { type: 'gsm8k', splits: [1.1, -0.1, 0] } }, /data\.splits\[1\]: expected a number in \[0, 1\], got -0\.1/],
  ['misspelt enum', { train: { optimizer: { type: 'adam' } } }, /train\.optimizer\.type: expected one of "adamw", "sgd", got "adam" \(did you mean "adamw"\?\)/],
  ['unknown dataset', { data: { type: 'mnist' } }, /data\.type: expected one of "dolly-15k", .*got "mnist" \(use one of/],
  ['non-string target', { adapter: { targets: ['q_proj', 3] } }, /adapter\.targets\[1\]: expected a non-empty string, got 3/],
  ['empty targets', { adapter: { targets: [] } }, /adapter\.targets: expected a non-empty list of module names, got \[\]/],
  ['boolean as string', { output: { resume: 'yes' } }, /output\.resume: expected true or false, got "yes" \(set true or false\)/],
  ['section as number', { train: 5 }, /train: expected a mapping of options, got 5 \(options: localSteps, localEpochs/],
  ['eval split name', { eval: { splits: ['train'] } }, /eval\.splits\[0\]: expected one of "val", "test", got "train"/],
  ['device name', { model: { path: './m', device: 'gpu' } }, /model\.device: expected "cpu", "cuda" or "cuda:N", got "gpu" \(set "cpu", or "cuda" with a CUDA build of libtorch\)/],
  ['base dtype', { model: { path: './m', baseDtype: 'int4' } }, /model\.baseDtype: expected one of "fp32", "bf16", "fp16", "int8", "q4", got "int4"/],
  ['port above 65535', { distribute: { port: 70000 } }, /distribute\.port: expected a TCP port in \[0, 65535\], got 70000 \(set a port such as 50051, or 0 to let the server pick a free one\)/],
  ['negative port', { distribute: { port: -1 } }, /distribute\.port: expected a TCP port in \[0, 65535\], got -1/],
  ['adapter rank as a word', { adapter: { r: 'eight' } }, /adapter\.r: expected an integer ≥ 1, got "eight" \(set an integer such as 8\)/],
  ['unknown eval task', { eval: { tasks: [{ type: 'hellaswag' }] } }, /eval\.tasks\[0\]\.type: expected a task \{ type: "gsm8k" \| "humaneval" \| "mmlu" \| "rouge", \.\.\. \}, got \{"type":"hellaswag"\}/],
  ['gsm8k shots above 8', { eval: { tasks: [{ type: 'gsm8k', shots: 9 }] } }, /eval\.tasks\[0\]\.shots: expected an integer in \[0, 8\], got 9/],
  ['an unknown task option', { eval: { tasks: [{ type: 'mmlu', samples: 3 }] } }, /eval\.tasks\[0\]\.samples: unknown option \(options here: type, shots, limit\)/],
  ['pass@k above the samples', { eval: { tasks: [{ type: 'humaneval', samples: 2, k: [1, 5] }] } }, /eval\.tasks\.0\.k: pass@5 needs at least 5 samples per task, and samples is 2/],
  ['bestKey of a task not asked for', { eval: { bestKey: 'mmlu.accuracy', tasks: [{ type: 'gsm8k' }] } }, /eval\.bestKey: "mmlu\.accuracy" is not a metric of a task in eval\.tasks \(use one of gsm8k\.accuracy/],
  ['tasksEvery off the evaluation rounds', { eval: { every: 2, tasksEvery: 3, tasks: [{ type: 'gsm8k' }] } }, /eval\.tasksEvery: 3 is not a multiple of eval\.every \(2\)/],
];
for (const [name, patch, line] of cases) {
  bad(`should name the path and the fix :: ${name}`, () => {
    throws(() => resolveOptions({ ...MINIMAL, ...(patch as object) }), [line]);
  });
}

bad('should accept port 0 (any free port) and 65535', () => {
  assert.is(resolveOptions({ ...MINIMAL, distribute: { port: 0 } }).distribute.port, 0);
  assert.is(resolveOptions({ ...MINIMAL, distribute: { port: 65535 } }).distribute.port, 65535);
});

bad('should never show null or undefined for a value the user wrote', () => {
  const e = throws(() => resolveOptions({ ...MINIMAL, adapter: { r: 'eight', alpha: Number.NaN, dropout: 'x' }, train: { optimizer: { lr: Infinity } } }), [
    /adapter\.r: .*got "eight"/, /adapter\.alpha: .*got NaN/, /adapter\.dropout: .*got "x"/, /train\.optimizer\.lr: .*got Infinity/,
  ]);
  assert.not.match(e.message, /\b(null|undefined)\b/);
});

bad('should report missing required options', () => {
  throws(() => resolveOptions({ model: {}, data: {} }), [
    /model\.path: required option is missing \(set the path of a model folder or file/,
    /data\.type: required option is missing/,
  ]);
  throws(() => resolveOptions({}), [/model: required option is missing/, /data: required option is missing/]);
  throws(() => resolveOptions('run.yaml'), [/\(top level\): expected a mapping of options, got "run\.yaml"/]);
});

bad('should list every problem in one error, and attach them as issues', () => {
  const e = throws(() => resolveOptions({ model: { path: 1 }, data: { type: 'gsm8k', tokLen: 0 }, train: { batchSize: 0 } }), [
    /^Invalid FedTrainer options \(3 problems\):/,
  ]);
  assert.equal(e.issues.map((i) => i.path), ['model.path', 'data.tokLen', 'train.batchSize']);
  assert.match(e.issues[2]?.message ?? '', /^expected an integer ≥ 1, got 0/);
  assert.not.match(e.message, /"code"|invalid_type|\[\s*\{/, 'no raw zod output');
});

bad.run();

// ---

const keys = suite('resolveOptions :: unknown keys');

keys('should suggest the nearest key of the same object', () => {
  throws(() => resolveOptions({ ...MINIMAL, federate: { clientnum: 4 } }), [/federate\.clientnum: unknown option; did you mean federate\.clientNum\?/]);
  throws(() => resolveOptions({ ...MINIMAL, federate: { client_num: 4 } }), [/federate\.client_num: unknown option; did you mean federate\.clientNum\?/]);
  throws(() => resolveOptions({ ...MINIMAL, train: { optimizer: { learningRate: 1 } } }), [/train\.optimizer\.learningRate: unknown option/]);
  throws(() => resolveOptions({ ...MINIMAL, adapter: { rank: 8 } }), [/adapter\.rank: unknown option/]);
  throws(() => resolveOptions({ ...MINIMAL, output: { dri: 'x' } }), [/output\.dri: unknown option; did you mean output\.dir\?/]);
  throws(() => resolveOptions({ ...MINIMAL, federate: { rounds: 3 } }), [/federate\.rounds: unknown option; did you mean federate\.totalRounds\?/]);
  throws(() => resolveOptions({ ...MINIMAL, train: { batch_size: 3 } }), [/train\.batch_size: unknown option; did you mean train\.batchSize\?/]);
  throws(() => resolveOptions({ ...MINIMAL, train: { optimizer: { learning_rate: 1 } } }), [/train\.optimizer\.learning_rate: unknown option; did you mean train\.optimizer\.lr\?/]);
});

keys('should point to the right section for a key in the wrong place', () => {
  throws(() => resolveOptions({ ...MINIMAL, train: { lr: 1e-3 } }), [/train\.lr: unknown option; did you mean train\.optimizer\.lr\?/]);
});

keys('should list the valid keys when nothing is close', () => {
  throws(() => resolveOptions({ ...MINIMAL, zzzzzz: 1 }), [/zzzzzz: unknown option \(options here: model, data, federate, adapter, train, eval, output, offsite, distribute, comm, aggregator, personalization\)/]);
});

keys.run();

// ---

const cross = suite('resolveOptions :: rules across fields');

cross('should reject sampleClients with sampleRate', () => {
  throws(() => resolveOptions({ ...MINIMAL, federate: { sampleClients: 2, sampleRate: 0.5 } }),
    [/federate\.sampleRate: cannot be used together with federate\.sampleClients \(set one of them\)/]);
});

cross('should reject localSteps with localEpochs', () => {
  throws(() => resolveOptions({ ...MINIMAL, train: { localSteps: 5, localEpochs: 1 } }),
    [/train\.localEpochs: cannot be used together with train\.localSteps/]);
});

cross('should require data.file for type file, and only then', () => {
  throws(() => resolveOptions({ ...MINIMAL, data: { type: 'file' } }), [/data\.file: required when data\.type is "file" \(set the path of a \.json or \.jsonl file\)/]);
  throws(() => resolveOptions({ ...MINIMAL, data: { type: 'gsm8k', file: 'x.jsonl' } }), [/data\.file: only used when data\.type is "file"/]);
  assert.is(resolveOptions({ ...MINIMAL, data: { type: 'file', file: 'x.jsonl' } }).data.file, 'x.jsonl');
});

cross('should check sampling, warm-up, optimizer keys, meta splits and the best key', () => {
  throws(() => resolveOptions({ ...MINIMAL, federate: { clientNum: 3, sampleClients: 4 } }), [/federate\.sampleClients: 4 is more than federate\.clientNum 3/]);
  throws(() => resolveOptions({ ...MINIMAL, train: { scheduler: { warmupSteps: 10, warmupRatio: 0.1 } } }), [/train\.scheduler\.warmupRatio: cannot be used together/]);
  throws(() => resolveOptions({ ...MINIMAL, train: { optimizer: { momentum: 0.9 } } }), [/train\.optimizer\.momentum: only used by the sgd optimizer \(remove it, or set train\.optimizer\.type: sgd\)/]);
  throws(() => resolveOptions({ ...MINIMAL, train: { optimizer: { type: 'sgd', beta1: 0.9 } } }), [/train\.optimizer\.beta1: only used by the adamw optimizer/]);
  throws(() => resolveOptions({ ...MINIMAL, data: { type: 'gsm8k', splitter: 'meta' } }), [/data\.splitter: "meta" splits by category, and gsm8k has none/]);
  throws(() => resolveOptions({ ...MINIMAL, eval: { splits: ['test'], bestKey: 'val_loss' } }), [/eval\.bestKey: "val_loss" needs "val" in eval\.splits/]);
  throws(() => resolveOptions({ ...MINIMAL, data: { type: 'gsm8k', splits: [0.9, 0, 0.1] }, eval: { bestKey: 'val_loss' } }), [/eval\.bestKey: "val_loss" needs a val split, but its share in data\.splits is 0/]);
});

cross.run();

// ---

const files = suite<{ dir: string; pem: string }>('resolveOptions :: files');
files.before(async (ctx) => {
  ctx.dir = await tempDir();
  ctx.pem = path.join(ctx.dir, 'server.pem');
  await fs.writeFile(ctx.pem, '-----BEGIN CERTIFICATE-----\n');
});
files.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

const distributed = (tls: object) => ({ ...MINIMAL, federate: { mode: 'distributed' }, distribute: { tls } });

files('should name the TLS option and the path of a missing file', ({ dir, pem }) => {
  const missing = path.join(dir, 'nope.pem');
  const e = throws(() => resolveOptions(distributed({ cert: pem, key: missing, ca: dir })), [
    new RegExp(`distribute\\.tls\\.key: file "${missing}" does not exist \\(set the path of a PEM private key\\)`),
    new RegExp(`distribute\\.tls\\.ca: "${dir}" is a folder \\(set the path of a PEM CA certificate inside it\\)`),
  ]);
  assert.equal(e.issues.map((i) => i.path), ['distribute.tls.key', 'distribute.tls.ca']);
});

files('should show where a relative path points', () => {
  throws(() => resolveOptions(distributed({ cert: 'certs/none.pem' })),
    [new RegExp(`distribute\\.tls\\.cert: file "certs/none\\.pem" \\(${path.resolve('certs/none.pem')}\\) does not exist`)]);
});

files('should accept readable files, and not look at them outside distributed mode', ({ pem }) => {
  assert.is(resolveOptions(distributed({ cert: pem, key: pem })).distribute.tls?.cert, pem);
  assert.is(resolveOptions({ ...MINIMAL, distribute: { tls: { cert: '/no/such.pem' } } }).federate.mode, 'standalone');
});

files.run();

// ---

const docs = suite('OPTION_KEYS');

docs('should list every option as a dotted key', () => {
  for (const k of ['model.path', 'data.splits', 'federate.clientNum', 'adapter.targets', 'train.optimizer.lr', 'train.fedprox.mu', 'eval.earlyStop.patience', 'output.resume']) {
    assert.ok(OPTION_KEYS.includes(k), k);
  }
  assert.is(new Set(OPTION_KEYS).size, OPTION_KEYS.length);
  assert.not.ok(OPTION_KEYS.includes('train.optimizer'), 'leaves only');
});

docs('should carry what each option takes and its default', () => {
  const lr = OPTION_DOCS.find((d) => d.key === 'train.optimizer.lr');
  assert.equal(lr, { key: 'train.optimizer.lr', expected: 'a positive number', defaultValue: 3e-4 });
  assert.is(OPTION_DOCS.find((d) => d.key === 'model.path')?.defaultValue, undefined);
});

docs.run();
