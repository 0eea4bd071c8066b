import fs from 'node:fs';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';

import { FSLLM_KEYS, fromFsllmConfig, looksLikeFsllm, resolveOptions } from '../../../lib/config/index.js';
import { FIXTURES, throws } from './_support.js';

function fixture(name: string): Record<string, unknown> {
  return YAML.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/** A small FS-LLM config; `patch` sections replace the base ones. */
function fsConfig(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    federate: { client_num: 3, total_round_num: 5 },
    data: { type: 'gsm8k@llm', splitter: 'iid' },
    llm: { tok_len: 256, adapter: { use: true, args: [{ adapter_package: 'peft', adapter_method: 'lora', r: 4, lora_alpha: 8, lora_dropout: 0.1 }] } },
    model: { type: 'gpt2@huggingface_llm' },
    train: { local_update_steps: 3, batch_or_epoch: 'batch', optimizer: { type: 'AdamW', lr: 1e-3 } },
    dataloader: { batch_size: 2 },
    early_stop: { patience: 0 },
    ...patch,
  };
}

function translate(patch: Record<string, unknown> = {}) {
  const { options, ignored } = fromFsllmConfig(fsConfig(patch));
  return { o: resolveOptions(options), ignored };
}

// ---

const fixtures = suite('fromFsllmConfig :: real FS-LLM configs');

fixtures('should map every key of dolly_meta_federate.yaml', () => {
  const { options, ignored } = fromFsllmConfig(fixture('dolly_meta_federate.yaml'));
  const o = resolveOptions(options);
  // is_enable_half: FS-LLM casts the model to fp16; here the frozen base is stored in fp16 and training is mixed fp16.
  assert.equal(o.model, { path: 'decapoda-research/llama-7b-hf', device: 'cpu', baseDtype: 'fp16' });
  assert.equal(o.data, { type: 'dolly-15k', root: 'data/', splitter: 'meta', alpha: 0.5, splits: [0.99, 0, 0.01], tokLen: 650, subsample: 1 });
  assert.equal(o.federate, { mode: 'standalone', scenario: 'fed', clientNum: 8, totalRounds: 500, weighting: 'samples', seed: 0, clientProcesses: false, deadlineSeconds: 0, maxRetries: 2 });
  assert.equal(o.adapter, { method: 'lora', r: 8, alpha: 64, dropout: 0.1, targets: ['q_proj', 'v_proj'], rslora: false });
  assert.is(o.train.localSteps, 30);
  assert.is(o.train.batchSize, 1);
  assert.equal(o.train.optimizer, { type: 'sgd', lr: 0.005 }, 'FS-LLM default optimizer is SGD');
  assert.is(o.train.precision, 'fp16');
  assert.equal(o.eval, { every: 50, splits: ['test'], batchSize: 8, bestKey: 'test_loss', earlyStop: { patience: 0, delta: 0 }, tasks: [], tasksEvery: 50 });
  // save_to names a checkpoint file in FS-LLM: our run folder comes from outdir (absent here: our default).
  assert.equal(o.output, { dir: 'runs/fsllm', checkpointEvery: 100, resume: false, report: true });
  assert.ok(ignored.some((n) => /^use_gpu: ignored/.test(n)));
  assert.ok(ignored.some((n) => /FS-LLM defaults .*train\.optimizer\.type=sgd/.test(n)));
  assert.not.ok(ignored.some((n) => /online_aggr|share_local_model|count_flops|criterion|trainer/.test(n)), 'no notes for settings that change nothing');
});

fixtures('should map the lda splitter and its alpha (dolly_lda_federate.yaml)', () => {
  const o = resolveOptions(fromFsllmConfig(fixture('dolly_lda_federate.yaml')).options);
  assert.is(o.data.splitter, 'dirichlet');
  assert.is(o.data.alpha, 0.5);
  assert.equal(o.data.splits, [0.998, 0.001, 0.001]);
  assert.is(o.federate.clientNum, 3);
  assert.equal([o.adapter.r, o.adapter.alpha, o.adapter.dropout], [8, 16, 0.05]);
  assert.equal([o.train.localSteps, o.train.optimizer.lr, o.eval.every, o.eval.bestKey], [30, 0.0003, 50, 'val_loss']);
});

fixtures('should map gsm_federate.yaml', () => {
  const o = resolveOptions(fromFsllmConfig(fixture('gsm_federate.yaml')).options);
  assert.equal([o.data.type, o.data.splitter, o.data.tokLen, o.federate.clientNum, o.federate.totalRounds], ['gsm8k', 'iid', 1000, 3, 500]);
  assert.equal([o.train.batchSize, o.train.localSteps, o.train.optimizer.type, o.train.optimizer.lr], [1, 30, 'sgd', 0.0003]);
  assert.equal([o.output.dir, o.output.checkpointEvery], ['runs/fsllm', 100]);
});

fixtures('should run testcase.yaml (no adapter section) as LoRA, with a note', () => {
  const { options, ignored } = fromFsllmConfig(fixture('testcase.yaml'));
  const o = resolveOptions(options);
  assert.equal([o.model.path, o.data.type, o.federate.clientNum, o.federate.totalRounds], ['gpt2', 'alpaca', 1, 200]);
  assert.equal(o.train.optimizer, { type: 'sgd', lr: 0.001, weightDecay: 0 });
  assert.equal([o.train.localSteps, o.eval.every, o.eval.earlyStop.patience], [10, 10, 10]);
  assert.ok(ignored.some((n) => /^llm\.adapter\.use: not true, so FS-LLM would fine-tune the whole model/.test(n)));
});

fixtures('should map offsite tuning (offsite_gsm_fed.yaml) to FedOT, and FedBiOT when alignment repeats', () => {
  const { options, ignored } = fromFsllmConfig(fixture('offsite_gsm_fed.yaml'));
  // The file has no llm.adapter.use: FS-LLM then trains the adapter layers' full weights.
  assert.equal(options.offsite, { algorithm: 'fedot', adapterTraining: 'full', emuL: 2, emuR: 30, dropRate: 0.2, align: { use: false, stepsPerRound: 10, preSteps: 0, lmWeight: 0.1, reprWeight: 0.9 } });
  assert.ok(ignored.some((n) => n.startsWith('llm.offsite_tuning.eval_type: ignored')));
  assert.ok(ignored.some((n) => n.startsWith('llm.offsite_tuning.emu_align.restore_from: ignored')));
  const biot = fixture('offsite_gsm_fed.yaml');
  const ot = (biot.llm as Record<string, Record<string, unknown>>).offsite_tuning!;
  Object.assign(ot, { emu_l: 0, emu_r: 30 });
  Object.assign(ot.emu_align as Record<string, unknown>, { use: true, initial_only: false, train: { local_update_steps: 10, initial_update_rounds: 50, lm_loss_weight: 1.0, kd_loss_weight: 0.0 } });
  const mapped = fromFsllmConfig(biot).options.offsite!;
  assert.equal([mapped.algorithm, mapped.emuR, mapped.proxWeight, mapped.align?.klWeight, mapped.align?.preSteps, mapped.align?.stepsPerRound], ['fedbiot', 30, 1.0, 0.0, 500, 10]);
  const cos = fixture('offsite_gsm_fed.yaml');
  (((cos.llm as Record<string, Record<string, unknown>>).offsite_tuning!.emu_align) as Record<string, unknown>).sim_loss = 'cos';
  throws(() => fromFsllmConfig(cos), [/emu_align\.sim_loss: only "l2" is available/], 'ERR_FSLLM_UNSUPPORTED');
  const off = fixture('offsite_gsm_fed.yaml');
  ((off.llm as Record<string, unknown>).offsite_tuning as Record<string, unknown>).use = false;
  assert.ok(fromFsllmConfig(off).ignored.some((n) => /^llm\.offsite_tuning: ignored/.test(n)));
});

fixtures.run();

// ---

const keys = suite('fromFsllmConfig :: keys');

keys('should map federate keys', () => {
  assert.is(translate({ federate: { client_num: 4, sample_client_num: -1 } }).o.federate.sampleClients, undefined);
  assert.is(translate({ federate: { client_num: 4, sample_client_num: 2 } }).o.federate.sampleClients, 2);
  const rate = translate({ federate: { client_num: 4, sample_client_num: 2, sample_client_rate: 0.5 } });
  assert.equal([rate.o.federate.sampleRate, rate.o.federate.sampleClients], [0.5, undefined], 'the rate wins, as in FS-LLM');
  assert.is(translate({ federate: { sample_client_rate: -1 } }).o.federate.sampleRate, undefined);
  assert.is(translate({ federate: { ignore_weight: true } }).o.federate.weighting, 'uniform');
  assert.is(translate({ federate: { method: 'FedAvg' } }).o.federate.scenario, 'fed');
  assert.is(translate({ federate: { method: 'local' } }).o.federate.scenario, 'local');
  assert.is(translate({ federate: { method: 'global' } }).o.federate.scenario, 'global');
  assert.is(translate({ federate: { mode: 'distributed' } }).o.federate.mode, 'distributed');
  assert.is(translate({ federate: { client_idx_for_local_train: 2 } }).o.federate.scenario, 'local');
  assert.is(translate({ federate: { save_freq: -1 } }).o.output.checkpointEvery, 0);
  const resumed = translate({ federate: { save_to: 'ck', restore_from: 'ck' }, outdir: 'exp/a' });
  assert.equal([resumed.o.output.dir, resumed.o.output.resume], ['exp/a', true]);
  assert.ok(resumed.ignored.some((n) => n.startsWith('federate.save_to: checkpoints go to output.dir/checkpoints/')));
  const notes = translate({ federate: { online_aggr: true, use_diff: true, make_global_eval: true, merge_test_data: true, share_local_model: true } }).ignored;
  for (const k of ['online_aggr', 'use_diff', 'make_global_eval', 'merge_test_data']) assert.ok(notes.some((n) => n.startsWith(`federate.${k}: ignored`)), k);
});

keys('should map data types, splitters and the data folder', () => {
  assert.is(translate({ data: { type: 'alpaca_cleaned@llm' } }).o.data.type, 'alpaca-cleaned');
  assert.is(translate({ data: { type: 'rosetta_alpaca@llm', splitter: 'meta' } }).o.data.type, 'codealpaca');
  assert.is(translate({ data: { type: 'dolly-15k@llm' } }).o.data.type, 'dolly-15k');
  const file = translate({ data: { root: 'mydata/', type: 'qa.jsonl@llm' } }).o.data;
  assert.equal([file.type, file.file, file.root], ['file', path.join('mydata', 'qa.jsonl'), 'mydata/']);
  assert.is(translate({ data: { type: 'qa.json@llm' } }).o.data.file, path.join('data', 'qa.json'));
  const lda = translate({ data: { type: 'dolly-15k@llm', splitter: 'lda', splitter_args: [{ alpha: 0.1 }], subsample: 0.5, splits: [0.9, 0.05, 0.05] } }).o.data;
  assert.equal([lda.splitter, lda.alpha, lda.subsample, lda.splits], ['dirichlet', 0.1, 0.5, [0.9, 0.05, 0.05]]);
});

keys('should map data-parallel devices and processes onto train.dataParallel', () => {
  const dids = translate({ train: { local_update_steps: 1, data_para_dids: [0, 1, 3] } });
  assert.equal(dids.o.train.dataParallel, { processes: 3, backend: 'gloo', timeoutSeconds: 600 });
  assert.ok(dids.ignored.some((n) => /^train\.data_para_dids: each client trains as 3 data-parallel processes/.test(n)), dids.ignored.join('\n'));
  assert.is(translate({ federate: { process_num: 2 } }).o.train.dataParallel.processes, 2);
  assert.is(translate({ train: { local_update_steps: 1, data_para_dids: [0] } }).o.train.dataParallel.processes, 1);
  assert.is(translate({ federate: { process_num: 1 } }).o.train.dataParallel.processes, 1);
});

keys('should map llm, train, grad, dataloader and top-level keys', () => {
  const { o, ignored } = translate({
    llm: { tok_len: 300, grad_accum_step: 2, retry_on_nan_loss: true, cache: { model: '/hf' }, adapter: { use: true, mv_to_cpu: true,
      args: [{ adapter_package: 'peft', adapter_method: 'lora', r: 16, lora_alpha: 32, lora_dropout: 0.0, target_modules: ['q_proj', 'k_proj'] }] } },
    train: { local_update_steps: 2, batch_or_epoch: 'epoch', optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 0.001 },
      scheduler: { type: 'cosine', warmup_ratio: 0.1 }, is_enable_half: false },
    grad: { grad_clip: -1, grad_accum_count: 1 },
    dataloader: { batch_size: 8, shuffle: true, num_workers: 2, drop_last: false, pin_memory: true },
    seed: 7, outdir: 'exp', expname: 'run1',
  });
  assert.equal(o.adapter, { method: 'lora', r: 16, alpha: 32, dropout: 0, targets: ['q_proj', 'k_proj'], rslora: false });
  assert.equal([o.data.tokLen, o.train.gradAccum, o.train.localEpochs, o.train.localSteps, o.train.batchSize], [300, 2, 2, undefined, 8]);
  assert.equal(o.train.optimizer, { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.001 });
  assert.equal(o.train.scheduler, { type: 'cosine', warmupSteps: 0, warmupRatio: 0.1 });
  assert.equal([o.train.maxGradNorm, o.train.precision, o.model.baseDtype, o.federate.seed, o.output.dir], [0, 'fp32', 'fp32', 7, path.join('exp', 'run1')]);
  assert.ok(ignored.some((n) => /^llm\.retry_on_nan_loss: ignored \(we never build all-masked batches/.test(n)));
  assert.ok(ignored.some((n) => /^llm\.cache\.model: ignored/.test(n)));
  const adam = translate({ train: { local_update_steps: 1, optimizer: { type: 'Adam', lr: 1e-4, betas: [0.8, 0.99] } }, grad: { grad_clip: 1.5 } }).o.train;
  assert.equal(adam.optimizer, { type: 'adamw', lr: 1e-4, beta1: 0.8, beta2: 0.99, weightDecay: 0 }, 'torch Adam has no weight decay');
  assert.is(adam.maxGradNorm, 1.5);
});

keys('should map eval, early_stop and fedprox keys', () => {
  const { o, ignored } = translate({
    eval: { freq: 5, metrics: ['loss', 'acc'], split: ['val', 'train'], best_res_update_round_wise_key: 'val_avg_loss', count_flops: true },
    early_stop: { patience: 3, delta: 0.01, improve_indicator_mode: 'mean' },
    fedprox: { use: true, mu: 0.1 },
  });
  assert.equal([o.eval.every, o.eval.splits, o.eval.bestKey], [5, ['val'], 'val_loss']);
  assert.equal(o.eval.earlyStop, { patience: 3, delta: 0.01 });
  assert.is(o.train.fedprox.mu, 0.1);
  assert.ok(ignored.some((n) => /^eval\.metrics: "acc" ignored/.test(n)));
  assert.ok(ignored.some((n) => /^eval\.split: "train" ignored/.test(n)));
  assert.ok(ignored.some((n) => /^early_stop\.improve_indicator_mode: ignored/.test(n)));
  assert.ok(ignored.some((n) => /^eval\.count_flops: ignored \(FLOPs are not counted/.test(n)));
  assert.is(translate({ fedprox: { use: false, mu: 0.1 } }).o.train.fedprox.mu, 0);
});

keys('should apply FS-LLM defaults where the file is silent', () => {
  const { options, ignored } = fromFsllmConfig({ model: { type: 'gpt2@huggingface_llm' }, data: { type: 'gsm8k@llm' } });
  const o = resolveOptions(options);
  assert.equal([o.federate.totalRounds, o.train.localSteps, o.train.batchSize, o.train.optimizer.type, o.train.optimizer.lr, o.eval.earlyStop.patience],
    [50, 1, 64, 'sgd', 0.1, 5]);
  assert.ok(ignored.some((n) => /FS-LLM defaults for keys the file leaves out: federate\.total_round_num=50/.test(n)));
});

keys('should fill PEFT defaults for LoRA args the file leaves out', () => {
  const { o, ignored } = translate({ llm: { adapter: { use: true, args: [{ adapter_package: 'peft', adapter_method: 'lora' }] } } });
  assert.equal([o.adapter.r, o.adapter.alpha, o.adapter.dropout], [8, 8, 0]);
  assert.ok(ignored.some((n) => /^llm\.adapter\.args: PEFT defaults .*lora_alpha=8/.test(n)));
});

keys('should map the prompt-learning adapters of FS-LLM (PEFT config kwargs)', () => {
  const args = (a: Record<string, unknown>) => translate({ llm: { adapter: { use: true, args: [{ adapter_package: 'peft', ...a }] } } });
  const prompt = args({ adapter_method: 'prompt', num_virtual_tokens: 16, prompt_tuning_init: 'TEXT', prompt_tuning_init_text: 'Answer:', tokenizer_name_or_path: 'x' }).o.adapter;
  assert.equal([prompt.method, prompt.virtualTokens, prompt.init, prompt.initText], ['prompt', 16, 'text', 'Answer:']);
  const pt = args({ adapter_method: 'p-tuning', num_virtual_tokens: 10, encoder_reparameterization_type: 'LSTM', encoder_hidden_size: 128, encoder_num_layers: 2, encoder_dropout: 0.1 }).o.adapter;
  assert.equal([pt.method, pt.virtualTokens, pt.encoder, pt.encoderHiddenSize, pt.encoderLayers, pt.encoderDropout], ['p-tuning', 10, 'lstm', 128, 2, 0.1]);
  const prefix = args({ adapter_method: 'prefix', num_virtual_tokens: 8, prefix_projection: true, encoder_hidden_size: 64, token_dim: 768 }).o.adapter;
  assert.equal([prefix.method, prefix.virtualTokens, prefix.encoder, prefix.encoderHiddenSize], ['prefix', 8, 'projection', 64]);
  const { o, ignored } = args({ adapter_method: 'prefix' });
  assert.is(o.adapter.virtualTokens, 20);
  assert.ok(ignored.some((n) => /num_virtual_tokens left out: 20 virtual tokens/.test(n)));
  throws(() => fromFsllmConfig(fsConfig({ llm: { adapter: { use: true, args: [{ adapter_method: 'p-tuning', encoder_reparameterization_type: 'GRU' }] } } })),
    [/encoder_reparameterization_type: expected one of "MLP", "LSTM", got "GRU"/]);
  throws(() => fromFsllmConfig(fsConfig({ llm: { adapter: { use: true, args: [{ adapter_method: 'ia3' }] } } })),
    [/adapter_method: expected one of "lora", "prompt", "p-tuning", "prefix", got "ia3"/]);
});

keys('should let our keys pass through inside an FS-LLM config', () => {
  const { o } = translate({ adapter: { targets: ['o_proj'] }, output: { report: false } });
  assert.equal([o.adapter.targets, o.output.report], [['o_proj'], false]);
});

keys.run();

// ---

const errors = suite('fromFsllmConfig :: errors');

errors('should suggest the nearest key for a misspelt FS-LLM key', () => {
  throws(() => fromFsllmConfig(fsConfig({ federate: { client_nun: 3 } })), [/federate\.client_nun: unknown option; did you mean federate\.client_num\?/]);
  throws(() => fromFsllmConfig(fsConfig({ train: { local_update_step: 3 } })), [/train\.local_update_step: unknown option; did you mean train\.local_update_steps\?/]);
  throws(() => fromFsllmConfig(fsConfig({ eval: { frequency: 3 } })), [/eval\.frequency: unknown option; did you mean eval\.freq\?/]);
  throws(() => fromFsllmConfig(fsConfig({ dataloder: { batch_size: 1 } })), [/dataloder: unknown option; did you mean dataloader\?/]);
  throws(() => fromFsllmConfig(fsConfig({ llm: { adapter: { use: true, args: [{ adapter_method: 'lora', lora_alhpa: 8 }] } } })),
    [/llm\.adapter\.args\[0\]\.lora_alhpa: unknown option; did you mean llm\.adapter\.args\[0\]\.lora_alpha\?/]);
  throws(() => fromFsllmConfig(fsConfig({ federate: { rounds: 3 } })), [/federate\.rounds: unknown option; did you mean federate\.total_round_num\?/]);
  throws(() => fromFsllmConfig(fsConfig({ train: { optimizer: { learning_rate: 1 } } })), [/train\.optimizer\.learning_rate: unknown option; did you mean train\.optimizer\.lr\?/]);
});

errors('should reject values it cannot translate, naming the FS-LLM key', () => {
  throws(() => fromFsllmConfig(fsConfig({ data: { type: 'gsm8k@cv' } })), [/data\.type: "gsm8k@cv" is not an LLM dataset/]);
  throws(() => fromFsllmConfig(fsConfig({ data: { type: 'dolly@llm' } })), [/data\.type: unknown dataset "dolly@llm" \(did you mean "dolly-15k@llm"\?\)/]);
  throws(() => fromFsllmConfig(fsConfig({ data: { type: 'gsm8k@llm', splitter: 'ldaa' } })), [/data\.splitter: expected one of "iid", "lda", "meta", "dirichlet", got "ldaa" \(did you mean "lda"\?\)/]);
  throws(() => fromFsllmConfig(fsConfig({ federate: { method: 'fedavgg' } })), [/federate\.method: .*did you mean "FedAvg"\?/]);
  throws(() => fromFsllmConfig(fsConfig({ train: { batch_or_epoch: 'step', local_update_steps: 1 } })), [/train\.batch_or_epoch: expected one of "batch", "epoch"/]);
  throws(() => fromFsllmConfig(fsConfig({ model: { type: 'resnet@torchvision' } })), [/model\.type: "resnet@torchvision" is not an LLM/]);
  throws(() => fromFsllmConfig({ data: { type: 'gsm8k@llm' } }), [/model\.type: required option is missing/]);
});

errors('should refuse valid FS-LLM features we do not have as unsupported', () => {
  throws(() => fromFsllmConfig(fsConfig({ llm: { adapter: { use: true, args: [{ adapter_package: 'peft', adapter_method: 'prompt', modules_to_save: ['lm_head'] }] } } })),
    [/llm\.adapter\.args\[0\]\.modules_to_save: training extra whole modules is not available/], 'ERR_FSLLM_UNSUPPORTED');
  throws(() => fromFsllmConfig(fsConfig({ federate: { method: 'FedEM' } })), [/federate\.method: personalised FL method "FedEM" is not available \(use FedAvg, Ditto, pFedMe/], 'ERR_FSLLM_UNSUPPORTED');
  throws(() => fromFsllmConfig(fsConfig({ train: { optimizer: { type: 'RMSprop' } } })), [/train\.optimizer\.type: optimizer "RMSprop" is not available/], 'ERR_FSLLM_UNSUPPORTED');
  throws(() => fromFsllmConfig(fsConfig({ fedopt: { use: true, optimizer: { type: 'RMSprop' } } })), [/fedopt\.optimizer\.type: server optimizer "RMSprop" is not available \(use SGD, Adagrad or Adam/], 'ERR_FSLLM_UNSUPPORTED');
  throws(() => fromFsllmConfig(fsConfig({ aggregator: { robust_rule: 'bulyan' } })), [/aggregator\.robust_rule: Bulyan is not available/], 'ERR_FSLLM_UNSUPPORTED');
  throws(() => fromFsllmConfig(fsConfig({ data: { type: 'code_search_net@llm' } })), [/data\.type: dataset "code_search_net@llm" is not available yet/], 'ERR_FSLLM_UNSUPPORTED');
});

errors('should use ERR_FSLLM_CONFIG when unsupported and invalid problems mix', () => {
  const e = throws(() => fromFsllmConfig(fsConfig({ federate: { method: 'FedEM', client_nun: 1 } })), [/\(2 problems\)/]);
  assert.is(e.issues.length, 2);
});

errors.run();

// ---

const detect = suite('looksLikeFsllm');

detect('should tell the two vocabularies apart', () => {
  assert.ok(looksLikeFsllm(fixture('gsm_federate.yaml')));
  assert.ok(looksLikeFsllm({ federate: { client_num: 3 } }));
  assert.ok(looksLikeFsllm({ llm: {} }));
  assert.ok(looksLikeFsllm({ model: { type: 'gpt2@huggingface_llm' } }));
  assert.ok(looksLikeFsllm({ data: { type: 'gsm8k@llm' } }));
  assert.not.ok(looksLikeFsllm({ model: { path: 'm' }, data: { type: 'gsm8k', keys: { output: 'answer' } }, adapter: { targets: ['q_proj'] } }));
  assert.not.ok(looksLikeFsllm({ model: { path: 'm' }, data: { type: 'gsm8k' }, federate: { client_num: 3 } }), 'a typo in our file stays ours');
  assert.not.ok(looksLikeFsllm([]));
});

detect('should list the FS-LLM keys it understands', () => {
  for (const k of ['federate.client_num', 'llm.adapter.args', 'train.local_update_steps', 'dataloader.batch_size', 'early_stop.patience', 'seed']) {
    assert.ok(FSLLM_KEYS.includes(k), k);
  }
});

detect.run();
