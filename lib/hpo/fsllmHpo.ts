/**
 * FS-LLM's `hpo:` section (federatedscope/core/configs/cfg_hpo.py) as search settings: the scheduler
 * (`rs`, `sha`, `wrap_rs`, `wrap_sha`; the model-based ones are refused), `num_workers`, `init_cand_num`,
 * `sha.budgets`, `sha.elim_rate`, `metric` and `larger_better`, `ss` (a ConfigSpace-style space file, read
 * by searchSpace.ts) and `working_folder`. FS-LLM's defaults apply to what the section leaves out, as for
 * the rest of an FS-LLM config. The space's keys stay FS-LLM keys: each trial's `fsllm run` translates them
 * with the whole file, which is what they meant in FS-LLM.
 */
import { configError, show, type ConfigIssue } from '../config/configError.js';
import { nearestKey } from '../config/nearestKey.js';
import { isPlainObject } from '../config/objectPath.js';
import { parseObjective } from './objective.js';
import type { HpoScheduler, Objective } from './types.js';

/** Settings an FS-LLM `hpo:` section gives; absent fields are left to the space file, the flags and our defaults. */
export interface FsllmHpoSettings {
  scheduler?: HpoScheduler;
  workers?: number;
  samples?: number;
  budgets?: number[];
  eta?: number;
  objective?: Objective;
  /** `hpo.ss`: the search space file. */
  spaceFile?: string;
  /** `hpo.working_folder`. */
  out?: string;
  notes: string[];
}

const OURS: readonly HpoScheduler[] = ['rs', 'sha', 'wrap_rs', 'wrap_sha', 'grid'];
/** FS-LLM schedulers that need a model of the objective (BO, BOHB, Hyperband, PBT, ...), not available here. */
const MODEL_BASED = ['bo_kde', 'bohb', 'hb', 'bo_gp', 'bo_rf', 'pbt', 'multi', 'wrap_bo_kde', 'wrap_bohb', 'wrap_hb', 'wrap_bo_gp', 'wrap_bo_rf', 'bruteforce'];
/** Sections read only by schedulers or tools we do not run; accepted without effect. */
const SILENT = ['log_scale', 'plot_interval', 'trial_index', 'init_strategy', 'pbt', 'table', 'fts', 'pfedhpo', 'diagnosis'];
const KEYS = ['scheduler', 'num_workers', 'init_cand_num', 'larger_better', 'metric', 'ss', 'working_folder', 'sha', 'fedex', ...SILENT];

/** FS-LLM metric prefixes → which records of ours hold the same figure. */
const PREFIXES: Readonly<Record<string, 'global' | 'mean'>> = {
  client_summarized_weighted_avg: 'global',   // FS-LLM weights clients by sample count; ours pools tokens
  server_global_eval: 'global',
  client_summarized_avg: 'mean',
};
const METRICS: Readonly<Record<string, string>> = { val_loss: 'val.loss', val_avg_loss: 'val.loss', test_loss: 'test.loss', test_avg_loss: 'test.loss' };

/**
 * Maps an FS-LLM `hpo.metric` (e.g. `client_summarized_weighted_avg.val_loss`) to our objective; a name of
 * ours (`val.loss`, `gsm8k.accuracy`) is taken as it is. FS-LLM's `val_loss` (a sum over examples) and
 * `val_avg_loss` rank configurations alike on the same data, and both read as our mean loss.
 * @returns the objective, or a message saying what is wrong.
 */
export function fsllmObjective(metric: string, largerBetter?: boolean): Objective | string {
  const direction = largerBetter === undefined ? undefined : largerBetter ? 'max' : 'min';
  const dot = metric.indexOf('.');
  const prefix = dot < 0 ? '' : metric.slice(0, dot);
  if (!prefix.startsWith('client_summarized') && !prefix.startsWith('server_global')) {
    try {
      return parseObjective(metric, { direction });
    } catch (error) {
      return (error as Error).message;
    }
  }
  const target = PREFIXES[prefix];
  const name = METRICS[metric.slice(dot + 1)];
  if (!target) return `FS-LLM metric group ${show(prefix)} has no counterpart (use client_summarized_weighted_avg, client_summarized_avg or server_global_eval)`;
  if (!name) {
    return `FS-LLM metric ${show(metric.slice(dot + 1))} is not recorded here (use val_loss or test_loss; for a task score set eval.tasks and a metric such as gsm8k.accuracy)`;
  }
  return { ...parseObjective(name, { direction, target }), name: metric };
}

function positiveInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

function scheduler(v: unknown, issues: ConfigIssue[]): HpoScheduler | undefined {
  if (typeof v === 'string' && (OURS as readonly string[]).includes(v)) return v as HpoScheduler;
  if (typeof v === 'string' && MODEL_BASED.includes(v)) {
    issues.push({ path: 'hpo.scheduler', message: `${show(v)} is not available (use rs, sha, wrap_rs or wrap_sha)`, unsupported: true });
    return undefined;
  }
  const near = typeof v === 'string' ? nearestKey(v, OURS) : undefined;
  issues.push({ path: 'hpo.scheduler', message: `expected one of "rs", "sha", "wrap_rs", "wrap_sha", got ${show(v)}${near ? ` (did you mean "${near}"?)` : ''}` });
  return undefined;
}

function sha(v: unknown, out: FsllmHpoSettings, issues: ConfigIssue[]): void {
  if (v === null || v === undefined) return;
  if (!isPlainObject(v)) return void issues.push({ path: 'hpo.sha', message: `expected a mapping (budgets, elim_rate), got ${show(v)}` });
  for (const [k, x] of Object.entries(v)) {
    if (k === 'budgets') {
      if (Array.isArray(x) && x.length === 0) continue;   // FS-LLM's default: budgets follow the run's rounds
      if (Array.isArray(x) && x.every((b, i) => positiveInt(b, 1) && (i === 0 || b > (x[i - 1] as number)))) out.budgets = x as number[];
      else issues.push({ path: 'hpo.sha.budgets', message: `expected rounds per rung, strictly increasing (e.g. [2, 4, 8]), got ${show(x)}` });
    } else if (k === 'elim_rate') {
      if (typeof x === 'number' && x > 1) out.eta = x;
      else issues.push({ path: 'hpo.sha.elim_rate', message: `expected a number > 1 (e.g. 3), got ${show(x)}` });
    } else if (k === 'elim_round_num') {
      const budgets = v.budgets;
      if (Array.isArray(budgets) && budgets.length > 0 && budgets.length !== x) out.notes.push(`hpo.sha.elim_round_num: ignored (the rungs are the ${budgets.length} budgets of hpo.sha.budgets)`);
    } else if (k !== 'iter') {
      issues.push({ path: `hpo.sha.${k}`, message: `unknown option (hpo.sha options: budgets, elim_rate, elim_round_num, iter)` });
    }
  }
}

/**
 * Reads an FS-LLM `hpo:` section, with FS-LLM's defaults for what it leaves out (scheduler rs, 16 starting
 * configurations, elim_rate 3, metric client_summarized_weighted_avg.val_loss, smaller is better).
 * @throws `ERR_FSLLM_CONFIG` listing every problem (unknown keys name the nearest), `ERR_FSLLM_UNSUPPORTED`
 *   when every problem is a scheduler we do not have (bo_gp, bohb, hb, pbt, ...).
 */
export function fsllmHpoSettings(section: unknown, what: string): FsllmHpoSettings {
  if (!isPlainObject(section)) throw configError([{ path: 'hpo', message: `expected a mapping of FS-LLM hpo options, got ${show(section)}` }], what);
  const out: FsllmHpoSettings = { notes: [] };
  const issues: ConfigIssue[] = [];
  for (const [k, v] of Object.entries(section)) {
    const at = `hpo.${k}`;
    if (k === 'scheduler') out.scheduler = scheduler(v, issues);
    else if (k === 'num_workers') {
      if (positiveInt(v, 0)) out.workers = Math.max(1, v);   // FS-LLM's 0: trials one after another
      else issues.push({ path: at, message: `expected an integer ≥ 0, got ${show(v)}` });
    } else if (k === 'init_cand_num') {
      if (positiveInt(v, 1)) out.samples = v;
      else issues.push({ path: at, message: `expected an integer ≥ 1 (configurations drawn), got ${show(v)}` });
    } else if (k === 'ss') {
      if (typeof v === 'string' && v !== '') out.spaceFile = v;
      else if (v !== '' && v !== null) issues.push({ path: at, message: `expected the path of a search space YAML, got ${show(v)}` });
    } else if (k === 'working_folder') {
      if (typeof v === 'string' && v !== '') out.out = v;
      else issues.push({ path: at, message: `expected a folder, got ${show(v)}` });
    } else if (k === 'sha') sha(v, out, issues);
    else if (k === 'fedex') {
      if (isPlainObject(v) && v.use === true) out.notes.push('hpo.fedex.use: ignored (FedEx, per-client exploration inside a run, is not run; wrap_rs and wrap_sha search the whole space as rs and sha)');
    } else if (k !== 'metric' && k !== 'larger_better' && !SILENT.includes(k)) {
      const near = nearestKey(k, KEYS);
      issues.push({ path: at, message: `unknown option${near ? `; did you mean hpo.${near}?` : ` (hpo options: ${KEYS.slice(0, 9).join(', ')}, ...)`}` });
    }
  }
  const larger = section.larger_better;
  if (larger !== undefined && typeof larger !== 'boolean') issues.push({ path: 'hpo.larger_better', message: `expected true or false, got ${show(larger)}` });
  const metric = section.metric ?? 'client_summarized_weighted_avg.val_loss';
  if (typeof metric !== 'string') issues.push({ path: 'hpo.metric', message: `expected a metric name, got ${show(metric)}` });
  else {
    const objective = fsllmObjective(metric, typeof larger === 'boolean' ? larger : undefined);
    if (typeof objective === 'string') issues.push({ path: 'hpo.metric', message: objective });
    else out.objective = objective;
  }
  if (issues.length > 0) throw configError(issues, what);
  // FS-LLM's defaults for the rest of the section.
  out.scheduler ??= 'rs';
  if (out.scheduler !== 'grid') out.samples ??= 16;
  out.eta ??= 3;
  if (out.scheduler.startsWith('wrap_')) out.notes.push(`hpo.scheduler ${out.scheduler}: runs as ${out.scheduler.slice(5)} (FedEx, which FS-LLM wraps inside each trial, is not run)`);
  return out;
}
