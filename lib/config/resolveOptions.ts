/**
 * `resolveOptions`: validates FedTrainer options against the schema, checks the rules that span
 * several fields, fills the data-dependent defaults, and reports every problem in one error.
 */
import type { z } from 'zod';

import { aggregationCheck, fillAggregation } from './aggregationOptions.js';
import { configError, joinPath, show, type ConfigIssue } from './configError.js';
import { nearestKey } from './nearestKey.js';
import { getPath } from './objectPath.js';
import { unreadableFile } from './readableFile.js';
import { optionsSchema, type ParsedOptions } from './schema.js';
import { childKeys, helpAt, OPTION_KEYS } from './schemaKeys.js';
import type { DatasetType, ResolvedOffsite, ResolvedOptions, SplitterType } from './types.js';
import { taskMetricNames, taskName, type TaskSpec } from '../eval/taskSpec.js';
import { PROMPT_ENCODERS, type PromptMethod } from '../native/prompt.js';

/** Datasets whose records carry a category, split one client per category by default. */
const META_BY_DEFAULT: ReadonlySet<DatasetType> = new Set(['dolly-15k', 'codealpaca']);
/** Datasets without any category field. */
const NO_CATEGORY: ReadonlySet<DatasetType> = new Set(['gsm8k', 'alpaca', 'alpaca-cleaned']);

/**
 * Validates `input` and returns it with every default filled in.
 * @throws FsllmError `ERR_FSLLM_CONFIG` listing every problem as `<path>: <what is wrong> (<fix>)`;
 *   the problems are also on `error.issues` as `{ path, message }`. In distributed mode that includes
 *   distribute.tls files that do not exist or cannot be read.
 * @example
 * const o = resolveOptions({ model: { path: './models/stories260K' }, data: { type: 'gsm8k' } });
 * o.federate.clientNum; // 3
 */
export function resolveOptions(input: unknown): ResolvedOptions {
  const { options, issues } = checkOptions(input);
  if (!options) throw configError(issues, 'FedTrainer options');
  return options;
}

/** @internal Like resolveOptions, but returns the problems instead of throwing. */
export function checkOptions(input: unknown): { options?: ResolvedOptions; issues: ConfigIssue[] } {
  const parsed = optionsSchema.safeParse(input, { reportInput: true });
  const issues = parsed.success ? [] : parsed.error.issues.flatMap((issue) => describeIssue(issue, input));
  issues.push(...crossCheck(input));
  if (issues.length > 0 || !parsed.success) return { issues };
  return { options: fillDerived(parsed.data), issues };
}

// --- Messages for schema issues

/** @internal The message for an unknown key `key` in the object at dotted `parent`. */
export function unknownKeyIssue(parent: string, key: string, candidates = childKeys(parent) ?? []): ConfigIssue {
  const path = joinPath(parent, key);
  const near = nearestKey(key, candidates);
  if (near !== undefined) return { path, message: `unknown option; did you mean ${joinPath(parent, near)}?` };
  // The right name in the wrong place, e.g. `train.lr` for `train.optimizer.lr`.
  const elsewhere = OPTION_KEYS.find((k) => k.split('.').pop()?.toLowerCase() === key.toLowerCase());
  if (elsewhere !== undefined) return { path, message: `unknown option; did you mean ${elsewhere}?` };
  return { path, message: `unknown option (options here: ${candidates.join(', ')})` };
}

/** `root`: the options given, which select the option of a discriminated union (eval.tasks) on the way. */
function describeIssue(issue: z.core.$ZodIssue, root: unknown): ConfigIssue[] {
  const path = issue.path.reduce<string>((p, k) => joinPath(p, typeof k === 'number' ? k : String(k)), '');
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => unknownKeyIssue(path, k, childKeys(issue.path, root) ?? []));
  const input = issue.input;
  const help = helpAt(issue.path, root);
  if (help) {
    if (input === undefined) return [{ path, message: `required option is missing (${help.fix})` }];
    let fix = help.fix;
    if (issue.code === 'invalid_value' && typeof input === 'string') {
      const near = nearestKey(input, issue.values.map(String));
      if (near !== undefined) fix = `did you mean "${near}"?`;
    }
    return [{ path, message: `expected ${help.expected}, got ${show(input)} (${fix})` }];
  }
  if (issue.code === 'invalid_type' && issue.expected === 'object') {
    const keys = (childKeys(issue.path, root) ?? []).join(', ');
    const what = input === undefined ? 'required section is missing' : `expected a mapping of options, got ${show(input)}`;
    return [{ path, message: `${what} (options: ${keys})` }];
  }
  return [{ path, message: issue.message }];
}

// --- Rules that span fields. They read the raw input and stay silent on values the schema rejects.

/** One rule across fields: reads the raw input through `get`, reports through `push`. */
type Check = (get: (path: string) => unknown, push: (path: string, message: string) => void) => void;

const exclusive = (a: string, b: string): Check => (get, push) => {
  if (get(a) !== undefined && get(b) !== undefined) push(b, `cannot be used together with ${a} (set one of them)`);
};

const dataChecks: Check = (get, push) => {
  const type = get('data.type');
  if (type === 'file' && get('data.file') === undefined) push('data.file', 'required when data.type is "file" (set the path of a .json or .jsonl file)');
  if (typeof type === 'string' && type !== 'file' && get('data.file') !== undefined) push('data.file', 'only used when data.type is "file" (remove it, or set data.type: file)');
  if (get('data.splitter') === 'meta' && NO_CATEGORY.has(type as DatasetType)) {
    push('data.splitter', `"meta" splits by category, and ${type as string} has none (use "iid" or "dirichlet")`);
  }
};

const samplingCheck: Check = (get, push) => {
  const sample = get('federate.sampleClients');
  const clients = get('federate.clientNum');
  if (typeof sample === 'number' && typeof clients === 'number' && sample > clients) {
    push('federate.sampleClients', `${sample} is more than federate.clientNum ${clients} (sample at most ${clients})`);
  }
};

const trainChecks: Check = (get, push) => {
  const warmup = get('train.scheduler.warmupSteps');
  if (typeof warmup === 'number' && warmup > 0 && get('train.scheduler.warmupRatio') !== undefined) {
    push('train.scheduler.warmupRatio', 'cannot be used together with train.scheduler.warmupSteps > 0 (set one of them)');
  }
  const opt = get('train.optimizer.type') ?? 'adamw';
  const foreign = opt === 'adamw' ? ['momentum', 'nesterov'] : opt === 'sgd' ? ['beta1', 'beta2', 'eps'] : [];
  const other = opt === 'adamw' ? 'sgd' : 'adamw';
  for (const k of foreign.filter((k) => get(`train.optimizer.${k}`) !== undefined)) {
    push(`train.optimizer.${k}`, `only used by the ${other} optimizer (remove it, or set train.optimizer.type: ${other})`);
  }
};

const bestKeyCheck: Check = (get, push) => {
  const best = get('eval.bestKey');
  if (typeof best === 'string' && best !== 'val_loss' && best !== 'test_loss') {
    const tasks = (get('eval.tasks') ?? []) as TaskSpec[];
    const known = tasks.flatMap((t) => taskMetricNames(t).map((m) => `${taskName(t)}.${m}`));
    if (!known.includes(best)) {
      push('eval.bestKey', `"${best}" is not a metric of a task in eval.tasks (${known.length ? `use one of ${known.join(', ')}` : 'add the task to eval.tasks'}, or use val_loss / test_loss)`);
    }
    return;
  }
  if (best !== 'val_loss' && best !== 'test_loss') return;
  const split = best === 'val_loss' ? 'val' : 'test';
  const evalSplits = get('eval.splits');
  const shares = get('data.splits');
  if (Array.isArray(evalSplits) && !evalSplits.includes(split)) {
    push('eval.bestKey', `"${best}" needs "${split}" in eval.splits (add it there, or pick the other key)`);
  }
  if (Array.isArray(shares) && shares[split === 'val' ? 1 : 2] === 0) {
    push('eval.bestKey', `"${best}" needs a ${split} split, but its share in data.splits is 0 (give it a share, or pick the other key)`);
  }
};

// pass@k needs at least k samples per task (the estimator is undefined below).
const evalTaskCheck: Check = (get, push) => {
  const tasks = get('eval.tasks');
  if (!Array.isArray(tasks)) return;
  tasks.forEach((t: TaskSpec, i) => {
    if (t.type !== 'humaneval') return;
    const samples = t.samples ?? 5;
    for (const k of t.k ?? [1]) if (k > samples) push(`eval.tasks.${i}.k`, `pass@${k} needs at least ${k} samples per task, and samples is ${samples} (raise samples or lower k)`);
  });
  // Tasks are scored in evaluation rounds, so their period must land on those.
  const every = get('eval.every');
  const tasksEvery = get('eval.tasksEvery');
  if (typeof every === 'number' && typeof tasksEvery === 'number' && every > 0 && tasksEvery > 0 && tasksEvery % every !== 0) {
    push('eval.tasksEvery', `${tasksEvery} is not a multiple of eval.every (${every}): tasks are scored in evaluation rounds (set a multiple of ${every})`);
  }
};

// Prompt-learning fields fit only some methods, and closed-model tuning trains LoRA on the emulator (FedBiOT's design).
const adapterCheck: Check = (get, push) => {
  const method = get('adapter.method') ?? 'lora';
  if (typeof method !== 'string') return;
  if (method !== 'lora' && get('offsite') !== undefined) {
    push('adapter.method', `closed-model tuning (offsite) trains LoRA on the emulator; "${method}" is not available there (use lora)`);
  }
  const encoder = get('adapter.encoder');
  const allowed: readonly string[] | undefined = method === 'lora' ? [] : PROMPT_ENCODERS[method as PromptMethod];
  if (typeof encoder === 'string' && allowed && !allowed.includes(encoder)) {
    push('adapter.encoder', method === 'lora' ? 'applies to prompt-learning methods only (remove it, or set adapter.method)' : `"${encoder}" does not apply to ${method} (use ${allowed.map((e) => `"${e}"`).join(' or ')})`);
  }
  const init = get('adapter.init');
  if (init !== undefined && init !== 'random' && method !== 'prompt') push('adapter.init', `a text or vocabulary start is prompt tuning's (adapter.method is "${method}")`);
  if (init === 'text' && typeof get('adapter.initText') !== 'string') push('adapter.initText', 'init "text" needs the text (set adapter.initText)');
};

// lib/fl reads these when a distributed run starts; a missing one would otherwise surface as a bare ENOENT.
const tlsFilesCheck: Check = (get, push) => {
  if (get('federate.mode') !== 'distributed') return;
  for (const [k, what] of [['cert', 'a PEM certificate'], ['key', 'a PEM private key'], ['ca', 'a PEM CA certificate']] as const) {
    const file = get(`distribute.tls.${k}`);
    const problem = typeof file === 'string' && file !== '' ? unreadableFile(file, what) : undefined;
    if (problem !== undefined) push(`distribute.tls.${k}`, problem);
  }
};

const CHECKS: readonly Check[] = [
  exclusive('federate.sampleClients', 'federate.sampleRate'),
  exclusive('train.localSteps', 'train.localEpochs'),
  dataChecks, samplingCheck, trainChecks, bestKeyCheck, evalTaskCheck, adapterCheck, tlsFilesCheck, aggregationCheck,
];

function crossCheck(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const check of CHECKS) check((p) => getPath(raw, p), (path, message) => issues.push({ path, message }));
  return issues;
}

// --- Defaults that depend on other fields

/**
 * Per-algorithm defaults: FedBiOT re-aligns every round with representation loss + lambda·KL and a client
 * term on the merged adapter; FedOT aligns once (if at all) with FS-LLM's KD weights (0.9 repr, 0.1 LM).
 */
function fillOffsite(o: NonNullable<ParsedOptions['offsite']>, p: ParsedOptions): ResolvedOffsite {
  const biot = o.algorithm === 'fedbiot';
  const { use, tokLen, reprWeight, klWeight, lmWeight, data, ...align } = o.align;
  return {
    ...o,
    proxWeight: o.proxWeight ?? (biot ? 0.01 : 0),
    align: {
      ...align,
      use: use ?? biot,
      data: { ...data, ...(data.root === undefined && p.data.root !== undefined ? { root: p.data.root } : {}) },
      tokLen: tokLen ?? p.data.tokLen,
      reprWeight: reprWeight ?? (biot ? 1 : 0.9),
      klWeight: klWeight ?? (biot ? 0.9 : 0),
      lmWeight: lmWeight ?? (biot ? 0 : 0.1),
    },
  };
}

function fillDerived(p: ParsedOptions): ResolvedOptions {
  const splitter: SplitterType = p.data.splitter ?? (META_BY_DEFAULT.has(p.data.type) ? 'meta' : 'iid');
  // With `meta` the data decides: one client per category.
  const clientNum = p.federate.clientNum ?? (splitter === 'meta' ? undefined : 3);
  const local = p.train.localEpochs !== undefined ? { localEpochs: p.train.localEpochs } : { localSteps: p.train.localSteps ?? 10 };
  const { localSteps: _s, localEpochs: _e, ...train } = p.train;
  const valEvaluated = p.eval.splits.includes('val') && p.data.splits[1] > 0;
  const { offsite: rawOffsite, ...rest } = p;
  return {
    ...rest,
    ...(rawOffsite ? { offsite: fillOffsite(rawOffsite, p) } : {}),
    data: { ...p.data, splitter },
    federate: { ...p.federate, ...(clientNum === undefined ? {} : { clientNum }) },
    train: { ...train, ...local },
    eval: { ...p.eval, bestKey: p.eval.bestKey ?? (valEvaluated ? 'val_loss' : 'test_loss'), tasksEvery: p.eval.tasksEvery ?? p.eval.every },
    ...fillAggregation(p),
  };
}
