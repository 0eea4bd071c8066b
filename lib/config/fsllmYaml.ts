/**
 * FS-LLM configs as users bring them: `fromFsllmConfig` translates a parsed FS-LLM YAML (snake_case
 * keys, `llm.adapter.args`, `train.local_update_steps`, ...) into FedTrainerOptions, applying
 * FS-LLM's own defaults where the file is silent so the run means what it meant there.
 */
import path from 'node:path';

import { configError, type ConfigIssue } from './configError.js';
import {
  accept, applyRules, FsContext, isRulePath, notEmpty, noteIf, plugin, ruleKeys, isTrue, to,
  type Rule, type Rules,
} from './fsllmContext.js';
import { aggregationRules } from './fsllmAggregationRules.js';
import { flRules } from './fsllmRules.js';
import { trainRules } from './fsllmTrainRules.js';
import { getPath, isPlainObject, type PlainObject } from './objectPath.js';
import type { FedTrainerOptions } from './types.js';

const outdir: Rule = (v, c, at) => {
  const exp = c.root.expname;
  c.set('output.dir', typeof v === 'string' && typeof exp === 'string' && exp !== '' ? path.join(v, exp) : v, at.path);
};

const expname: Rule = (v, c, at) => {
  if (c.root.outdir !== undefined || typeof v !== 'string' || v === '') return;
  c.set('output.dir', path.join('exp', v), at.path);   // FS-LLM's default outdir is 'exp'
};

const FS_RULES: Rules = {
  ...flRules,
  ...trainRules,
  ...aggregationRules,
  seed: to('federate.seed'),
  outdir,
  expname,
  use_gpu: noteIf(isTrue, 'ignored (runs on model.device, "cpu" unless set; "cuda" needs a CUDA libtorch build)'),
  ...Object.fromEntries(['device', 'backend', 'verbose', 'print_decimal_digits', 'expname_tag', 'check_completeness'].map((k) => [k, accept])),
  criterion: { type: noteIf((v) => v !== 'CrossEntropyLoss', 'ignored (the loss is causal-LM cross-entropy)') },
  regularizer: noteIf((v) => isPlainObject(v) && notEmpty(v.type), 'ignored (no regularizer plugins)'),
  trainer: noteIf((v) => isPlainObject(v) && v.type !== undefined && v.type !== 'llmtrainer', 'ignored (there is one LLM trainer)'),
  wandb: noteIf((v) => isPlainObject(v) && v.use === true, 'ignored (metrics go to output.dir/metrics.jsonl)'),
  hpo: noteIf(notEmpty, 'ignored by fsllm run (run the search with `fsllm hpo --cfg FILE`, which reads this section)'),
  distribute: plugin("FS-LLM's gRPC settings (distribute.*)"),
  fedswa: plugin('FedSWA'),
  nbafl: plugin('NbAFL differential privacy'),
  asyn: plugin('asynchronous FL'),
  quantization: (v, c, at) => {
    const m = isPlainObject(v) ? v.method : undefined;
    if (m !== undefined && m !== 'none') c.unsupported(`${at.path}.method`, 'FS-LLM message quantisation is not mapped (set none; our transport has its own codecs)');
  },
  finetune: (v, c, at) => {
    if (isPlainObject(v) && v.before_eval === true) c.unsupported(`${at.path}.before_eval`, 'fine-tuning before evaluation is not available (set false)');
  },
};

/** Every FS-LLM key we understand, dotted (`federate.client_num`), for help output. */
export const FSLLM_KEYS: readonly string[] = ruleKeys(FS_RULES);

/** @internal True when dotted `path` is an FS-LLM key (or section) we understand. */
export function isFsllmPath(p: string): boolean {
  return isRulePath(FS_RULES, p);
}

/** Sections only FS-LLM configs have; any one of them marks a document as FS-LLM style. */
const FS_ONLY = ['llm', 'dataloader', 'grad', 'early_stop', 'fedprox', 'outdir', 'use_gpu', 'device', 'expname', 'criterion', 'trainer', 'wandb', 'seed'];

/**
 * True when `doc` reads as an FS-LLM config: an FS-only section, `model.type`, `data.type: X@llm`,
 * or, when it has no `model.path` of ours, snake_case keys anywhere. (A file of ours with one
 * snake_case typo stays ours, so the typo gets "did you mean" instead of FS-LLM's defaults.)
 */
export function looksLikeFsllm(doc: unknown): boolean {
  if (!isPlainObject(doc)) return false;
  if (FS_ONLY.some((k) => Object.hasOwn(doc, k))) return true;
  if (getPath(doc, 'model.type') !== undefined) return true;
  const type = getPath(doc, 'data.type');
  if (typeof type === 'string' && type.includes('@')) return true;
  if (getPath(doc, 'model.path') !== undefined) return false;
  const snake = (o: unknown): boolean => isPlainObject(o) && Object.entries(o).some(([k, v]) => /[a-z]_[a-z]/.test(k) || snake(v));
  return snake(doc);
}

/** FS-LLM defaults that differ from ours, applied when the file leaves the key out (reference §1.3). */
const FS_DEFAULTS: ReadonlyArray<[fsKey: string, ourPath: string, value: unknown]> = [
  ['federate.total_round_num', 'federate.totalRounds', 50],
  ['train.optimizer.type', 'train.optimizer.type', 'sgd'],
  ['train.optimizer.lr', 'train.optimizer.lr', 0.1],
  ['dataloader.batch_size', 'train.batchSize', 64],
  ['early_stop.patience', 'eval.earlyStop.patience', 5],
];

function applyFsDefaults(c: FsContext): void {
  const used: string[] = [];
  for (const [fsKey, ours, value] of FS_DEFAULTS) {
    if (getPath(c.out, ours) !== undefined || c.covered.has(ours)) continue;
    c.set(ours, value, fsKey);
    used.push(`${fsKey}=${String(value)}`);
  }
  if (getPath(c.out, 'train.localSteps') === undefined && getPath(c.out, 'train.localEpochs') === undefined) {
    const epochs = getPath(c.root, 'train.batch_or_epoch') === 'epoch';
    c.set(epochs ? 'train.localEpochs' : 'train.localSteps', 1, 'train.local_update_steps');
    used.push('train.local_update_steps=1');
  }
  if (used.length > 0) c.note('', `FS-LLM defaults for keys the file leaves out: ${used.join(', ')}`);
}

function finishFull(c: FsContext): void {
  if (getPath(c.out, 'model.path') === undefined && !c.covered.has('model')) {
    c.bad('model.type', 'required option is missing (set e.g. "gpt2@huggingface_llm", or model.path)', 'model');
  }
  if (getPath(c.out, 'data.type') === undefined && !c.covered.has('data')) {
    c.bad('data.type', 'required option is missing (set e.g. "gsm8k@llm")', 'data');
  }
  if (getPath(c.root, 'llm.adapter.use') !== true && c.root.adapter === undefined) {
    c.note('llm.adapter.use', 'not true, so FS-LLM would fine-tune the whole model, which is not available: training a LoRA adapter with our defaults (r 8, alpha 16, dropout 0.05, targets q_proj, v_proj) instead');
  }
  applyFsDefaults(c);
}

/** @internal The full result of a translation, problems included. */
export interface FsllmTranslation {
  options: PlainObject;
  ignored: string[];
  issues: ConfigIssue[];
  /** Our dotted path → the FS-LLM path it came from. */
  origins: Map<string, string>;
  /** Our paths whose problems the translation already reported. */
  covered: Set<string>;
}

/**
 * @internal Translates `doc`. With `partial` (override keys on their own), FS-LLM defaults and
 * required keys are skipped.
 */
export function translateFsllm(doc: PlainObject, partial: boolean): FsllmTranslation {
  const c = new FsContext(doc, partial);
  applyRules(doc, FS_RULES, '', c);
  if (!partial) finishFull(c);
  return { options: c.out, ignored: c.notes, issues: c.issues, origins: c.origins, covered: c.covered };
}

/**
 * Translates a parsed FS-LLM config into our options. The result is not validated yet: pass it
 * to `resolveOptions` (or use `loadRunConfig`, which does both and names FS-LLM keys in errors).
 * @returns the options, and a human-readable note for every key that has no effect here.
 * @throws FsllmError `ERR_FSLLM_CONFIG` for unknown keys or values that cannot be translated,
 *   `ERR_FSLLM_UNSUPPORTED` when every problem is a valid FS-LLM feature we do not have
 *   (e.g. offsite tuning, adapter methods other than LoRA).
 * @example
 * const { options, ignored } = fromFsllmConfig(YAML.parse(text));
 * const resolved = resolveOptions(options);
 */
export function fromFsllmConfig(obj: unknown): { options: FedTrainerOptions; ignored: string[] } {
  if (!isPlainObject(obj)) throw configError([{ path: '', message: 'expected a mapping of FS-LLM options' }], 'FS-LLM config');
  const t = translateFsllm(obj, false);
  if (t.issues.length > 0) throw configError(t.issues, 'FS-LLM config');
  return { options: t.options as unknown as FedTrainerOptions, ignored: t.ignored };
}
