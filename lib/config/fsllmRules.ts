/**
 * What each FS-LLM config key means for us (FS-LLM `llm` branch, reference §1.1–1.3, 1.9, 2.3).
 * Every key is either mapped to our options, accepted with no effect (with a note when the FS-LLM
 * setting would have done something we do not do), or refused as unsupported. Keys absent here
 * are unknown and get "did you mean". FS-LLM defaults for missing keys are applied in fsllmYaml.ts.
 */
import path from 'node:path';

import { show } from './configError.js';
import {
  accept, applyRules, choice, flag, notEmpty, noteIf, plugin, isTrue, to,
  type FsContext, type Rule, type Rules,
} from './fsllmContext.js';
import { adapterArgs } from './fsllmAdapterRules.js';
import { personalizedMethod } from './fsllmAggregationRules.js';
import { nearestKey } from './nearestKey.js';
import { getPath, isPlainObject } from './objectPath.js';

// --- federate.*

const SAME_RESULT_EVAL = "ignored (the global adapter is evaluated on every client's held-out splits)";
const PFL_METHODS = ['fedem', 'fedrep', 'fedbn', 'fedsageplus', 'gcflplus', 'flitplus'];

const method: Rule = (v, c, at) => {
  const m = typeof v === 'string' ? v.toLowerCase() : '';
  if (m === 'fedavg') c.set('federate.scenario', 'fed', at.path);
  else if (m === 'local' || m === 'global') c.set('federate.scenario', m, at.path);
  else if (m === 'ditto' || m === 'pfedme') personalizedMethod(m, c, at.path);
  else if (PFL_METHODS.includes(m)) c.unsupported(at.path, `personalised FL method ${show(v)} is not available (use FedAvg, Ditto, pFedMe, local or global)`, 'federate.scenario');
  else choice(v, c, at.path, ['FedAvg', 'Ditto', 'pFedMe', 'local', 'global']);
};


const federate: Rules = {
  mode: to('federate.mode'),
  client_num: (v, c, at) => (v === 0
    ? c.note(at.path, 'is 0, so the data decides (one client per category with the meta splitter, else 3)')
    : c.set('federate.clientNum', v, at.path)),
  sample_client_num: (v, c, at) => {
    const rate = getPath(c.root, 'federate.sample_client_rate');
    if (typeof v === 'number' && v <= 0) c.set('federate.sampleClients', undefined, at.path);   // -1: every client
    else if (typeof rate === 'number' && rate > 0) c.note(at.path, 'ignored: federate.sample_client_rate is set and wins, as in FS-LLM');
    else c.set('federate.sampleClients', v, at.path);
  },
  sample_client_rate: (v, c, at) => c.set('federate.sampleRate', typeof v === 'number' && v <= 0 ? undefined : v, at.path),
  total_round_num: to('federate.totalRounds'),
  method,
  ignore_weight: flag((v, c, p) => c.set('federate.weighting', v ? 'uniform' : 'samples', p)),
  share_local_model: accept,   // standalone clients always share the one frozen base model
  online_aggr: noteIf(isTrue, 'ignored (updates are averaged once all sampled clients report; the result is the same)'),
  make_global_eval: noteIf(isTrue, SAME_RESULT_EVAL),
  merge_test_data: noteIf(isTrue, SAME_RESULT_EVAL),
  merge_val_data: noteIf(isTrue, SAME_RESULT_EVAL),
  use_diff: noteIf(isTrue, 'ignored (adapters travel whole; averaging them equals averaging their differences)'),
  save_to: (v, c, at) => {
    if (v === '' || v === null) return;
    c.note(at.path, 'checkpoints go to output.dir/checkpoints/ (from outdir); FS-LLM names one checkpoint file here');
  },
  restore_from: (v, c, at) => {
    if (v === '' || v === null) return;
    c.set('output.resume', true, at.path);
    c.note(at.path, 'resumes from the checkpoint in output.dir (from outdir), not from this file name');
  },
  save_freq: (v, c, at) => c.set('output.checkpointEvery', typeof v === 'number' && v < 0 ? 0 : v, at.path),
  client_idx_for_local_train: (v, c, at) => {
    if (v === 0) return;
    c.set('federate.scenario', 'local', at.path);
    c.note(at.path, `every client trains on its own data (scenario local); client ${show(v)} is one row of the per-client report`);
  },
  unseen_clients_rate: (v, c, at) => {
    if (typeof v === 'number' && v > 0) c.unsupported(at.path, 'unseen clients are not available yet (set 0)');
  },
  use_ss: (v, c, at) => {
    if (v === true) c.unsupported(at.path, 'secret sharing is not available (set false)');
  },
  sampler: (v, c, at) => {
    if (v !== 'uniform') c.unsupported(at.path, `client sampler ${show(v)} is not available (use "uniform")`);
  },
  process_num: (v, c, at) => {
    if (typeof v !== 'number' || v <= 1) return;
    c.set('train.dataParallel.processes', v, at.path);
    c.note(at.path, `each client trains as ${v} data-parallel processes (c10d)`);
  },
  save_client_model: noteIf(isTrue, 'ignored (only the global adapter is saved)'),
  data_weighted_aggr: accept,   // unused by FS-LLM's ClientsAvg aggregator too
  master_addr: accept,
  master_port: accept,
  join_in_info: accept,
  resource_info_file: accept,
};

// --- data.*, dataloader.*

const FS_DATASETS: Readonly<Record<string, string>> = {
  'dolly-15k': 'dolly-15k', gsm8k: 'gsm8k', alpaca: 'alpaca', alpaca_cleaned: 'alpaca-cleaned', rosetta_alpaca: 'codealpaca',
};
const OUR_DATASETS = ['dolly-15k', 'gsm8k', 'codealpaca', 'alpaca', 'alpaca-cleaned'];

const dataType: Rule = (v, c, at) => {
  if (typeof v !== 'string') return c.bad(at.path, `expected a dataset such as "gsm8k@llm", got ${show(v)}`, 'data');
  const cut = v.lastIndexOf('@');
  const [name, hub] = cut < 0 ? [v, undefined] : [v.slice(0, cut), v.slice(cut + 1)];
  const mapped = FS_DATASETS[name] ?? (OUR_DATASETS.includes(name) ? name : undefined);
  if (hub !== undefined && hub !== 'llm') {
    c.bad(at.path, `${show(v)} is not an LLM dataset (FS-LLM names end in @llm, e.g. "gsm8k@llm")`, 'data');
  } else if (mapped !== undefined) {
    c.set('data.type', mapped, at.path);
  } else if (/\.jsonl?$/.test(name)) {
    const root = typeof at.siblings.root === 'string' ? at.siblings.root : 'data';   // FS-LLM's default data.root
    c.set('data.type', 'file', at.path);
    c.set('data.file', path.join(root, name), at.path);
  } else if (name === 'code_search_net' || name === 'offsite_tuning') {
    c.unsupported(at.path, `dataset ${show(v)} is not available yet`, 'data');
  } else {
    const near = nearestKey(name, Object.keys(FS_DATASETS));
    c.bad(at.path, `unknown dataset ${show(v)} (${near !== undefined ? `did you mean "${near}@llm"?` : 'use dolly-15k@llm, gsm8k@llm, alpaca@llm, alpaca_cleaned@llm, rosetta_alpaca@llm or FILE.jsonl@llm'})`, 'data');
  }
};

const splitterArgs: Rule = (v, c, at) => {
  const args = Array.isArray(v) ? v[0] : v;
  if (args === undefined || args === null) return;
  if (!isPlainObject(args)) return c.bad(at.path, `expected [{ alpha: 0.5 }], got ${show(v)}`);
  applyRules(args, { alpha: to('data.alpha') }, `${at.path}[0]`, c);
};

const data: Rules = {
  root: to('data.root'),
  type: dataType,
  splitter: (v, c, at) => {
    const s = choice(v, c, at.path, ['iid', 'lda', 'meta', 'dirichlet']);
    if (s !== undefined) c.set('data.splitter', s === 'lda' ? 'dirichlet' : s, at.path);
  },
  splitter_args: splitterArgs,
  splits: to('data.splits'),
  subsample: to('data.subsample'),
  consistent_label_distribution: accept,
  args: noteIf(notEmpty, 'ignored (arguments of FS-LLM dataset loaders)'),
  ...Object.fromEntries(['loader', 'save_data', 'transform', 'target_transform', 'pre_transform', 'server_holds_all'].map((k) => [k, accept])),
};

const dataloader: Rules = {
  batch_size: to('train.batchSize'),
  shuffle: noteIf((v) => v === false, 'ignored (training data is always shuffled, seeded by federate.seed)'),
  num_workers: accept,
  pin_memory: accept,
  drop_last: accept,
  type: accept,
};

// --- llm.*

/** `llm.grad_accum_step` and `grad.grad_accum_count` both set train.gradAccum. */
export const gradAccum = (other: string): Rule => (v, c, at) => {
  const o = getPath(c.root, other);   // FedBiOT's LLMTrainer takes the larger of the two
  c.set('train.gradAccum', typeof v === 'number' && typeof o === 'number' ? Math.max(v, o) : v, at.path);
  if (at.path === 'grad.grad_accum_count' && v !== 1) c.note(at.path, 'accumulates gradients over micro-batches (FS-LLM\'s llm branch only multiplied the step count)');
};

/**
 * `llm.offsite_tuning.*`. FedBiOT is FS-LLM's offsite tuning with `emu_align.use` and `initial_only: false`
 * (reference §1.7); its `lm_loss_weight` is the clients' merged-adapter term and `kd_loss_weight` the
 * server's KL weight, while in FedOT's one-shot alignment they weigh the LM loss and the representation loss.
 */
function offsiteTuning(v: unknown, c: FsContext, base: string): void {
  if (!isPlainObject(v)) return;
  if (v.use !== true) {
    if (notEmpty(v)) c.note(base, 'ignored because llm.offsite_tuning.use is not true');
    return;
  }
  const align = isPlainObject(v.emu_align) ? v.emu_align : {};
  const biot = align.use === true && align.initial_only === false;
  c.set('offsite.algorithm', biot ? 'fedbiot' : 'fedot', `${base}.use`);
  // Without llm.adapter.use, FS-LLM's offsite tuning trains the adapter layers' full weights.
  const lora = getPath(c.root, 'llm.adapter.use') === true;
  c.set('offsite.adapterTraining', lora ? 'lora' : 'full', 'llm.adapter.use');
  if (v.strategy !== undefined && v.strategy !== 'drop_layer') c.unsupported(`${base}.strategy`, `only "drop_layer" exists (FS-LLM raises for ${show(v.strategy)} too)`, 'offsite');
  if (typeof v.emu_l === 'number') c.set('offsite.emuL', v.emu_l, `${base}.emu_l`);
  if (typeof v.emu_r === 'number') c.set('offsite.emuR', v.emu_r, `${base}.emu_r`);
  const kwargs = Array.isArray(v.kwargs) ? v.kwargs[0] : v.kwargs;
  // FS-LLM's model_drop_layer defaults drop_ratio to 0.5 when kwargs leave it out.
  c.set('offsite.dropRate', isPlainObject(kwargs) && typeof kwargs.drop_ratio === 'number' ? kwargs.drop_ratio : 0.5, `${base}.kwargs`);
  for (const k of ['eval_type', 'save_full_model', 'llm_generated']) {
    if (v[k] !== undefined) c.note(`${base}.${k}`, 'ignored (both emulator + adapter and full model + adapter are evaluated every time)');
  }
  if (align.use !== undefined) c.set('offsite.align.use', align.use === true, `${base}.emu_align.use`);
  if (align.sim_loss !== undefined && align.sim_loss !== 'l2') c.unsupported(`${base}.emu_align.sim_loss`, `only "l2" is available, not ${show(align.sim_loss)}`, 'offsite');
  if (align.kl_divergence !== undefined && align.kl_divergence !== 'raw') c.unsupported(`${base}.emu_align.kl_divergence`, `only "raw" (token KL) is available, not ${show(align.kl_divergence)}`, 'offsite');
  if (align.layerwise_distill === true) c.unsupported(`${base}.emu_align.layerwise_distill`, 'layer-wise distillation is not available (set it false)', 'offsite');
  for (const k of ['restore_from', 'save_to', 'exit_after_align']) {
    if (notEmpty(align[k])) c.note(`${base}.emu_align.${k}`, 'ignored (the emulator is rebuilt and aligned in every run)');
  }
  const data = isPlainObject(align.data) ? align.data : {};
  if (typeof data.root === 'string') c.set('offsite.align.data.root', data.root, `${base}.emu_align.data.root`);
  if (typeof data.type === 'string') {
    const name = data.type.replace(/@llm$/, '');
    const mapped = FS_DATASETS[name];
    if (mapped) c.set('offsite.align.data.type', mapped, `${base}.emu_align.data.type`);
    else c.unsupported(`${base}.emu_align.data.type`, `public data ${show(data.type)} is not available (use alpaca@llm)`, 'offsite');
  }
  const train = isPlainObject(align.train) ? align.train : {};
  const steps = typeof train.local_update_steps === 'number' ? train.local_update_steps : 10;
  c.set('offsite.align.stepsPerRound', steps, `${base}.emu_align.train.local_update_steps`);
  const preRounds = typeof train.initial_update_rounds === 'number' ? train.initial_update_rounds : biot ? 50 : 1;
  c.set('offsite.align.preSteps', align.use === true ? preRounds * steps : 0, `${base}.emu_align.train.initial_update_rounds`);
  if (typeof train.lm_loss_weight === 'number') c.set(biot ? 'offsite.proxWeight' : 'offsite.align.lmWeight', train.lm_loss_weight, `${base}.emu_align.train.lm_loss_weight`);
  if (typeof train.kd_loss_weight === 'number') c.set(biot ? 'offsite.align.klWeight' : 'offsite.align.reprWeight', train.kd_loss_weight, `${base}.emu_align.train.kd_loss_weight`);
  if (train.optimizer !== undefined) c.note(`${base}.emu_align.train.optimizer`, 'FS-LLM never applies it either; set offsite.align.optimizer to choose the alignment optimizer');
}

const llm: Rules = {
  tok_len: to('data.tokLen'),
  chat: accept,
  adapter: { use: accept, args: adapterArgs, mv_to_cpu: accept },
  grad_accum_step: gradAccum('grad.grad_accum_count'),
  cache: { model: noteIf(notEmpty, 'ignored (the model is read from model.path)') },
  retry_on_nan_loss: noteIf(isTrue, 'ignored (we never build all-masked batches, so that NaN cannot occur)'),
  offsite_tuning: (v, c, at) => offsiteTuning(v, c, at.path),
  deepspeed: plugin('DeepSpeed'),
  accelerator: plugin('HF Accelerate'),
  reward_coeff: accept,
};

/** FS-LLM keys of the federation, the data and the LLM sections. */
export const flRules: Rules = { federate, data, dataloader, llm };
