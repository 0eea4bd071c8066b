/**
 * The objective of a search: which `eval` record of a trial's `metrics.jsonl` judges it, and whether lower or
 * higher is better. The value is the one of the trial's last evaluated round (a run always evaluates its last
 * round), so a trial is judged by the model it ends with, as FS-LLM's HPO judges the final results.
 */
import { invalidArg } from '../errors/index.js';
import type { EvalRecord, RunRecord } from '../report/records.js';
import type { Objective } from './types.js';

/** Losses and perplexities are minimised; every other metric (accuracy, pass@k, ROUGE) maximised. */
export function defaultDirection(metric: string): 'min' | 'max' {
  return /(^|[._])(loss|perplexity|ppl|error)$/i.test(metric) ? 'min' : 'max';
}

/**
 * Reads an objective name: `val.loss` / `test.perplexity` (a split, then the metric), `val_loss` / `test_loss`
 * (eval.bestKey's spelling), or a task metric such as `gsm8k.accuracy` or `humaneval.pass@1` (any split). A
 * `@Variant` suffix picks one model of a run with several (`val.loss@AdapFu`).
 * @throws `ERR_FSLLM_INVALID_ARG` for an empty name or a direction other than min and max.
 */
export function parseObjective(name: unknown, options: { direction?: unknown; target?: 'global' | 'mean' } = {}): Objective {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_@:-]+)*$/.test(name)) {
    throw invalidArg('objective', 'a metric such as "val.loss", "test.loss" or "gsm8k.accuracy"', name);
  }
  const at = name.match(/^(.*\.[^.@]+)@([A-Za-z][\w-]*)$/);
  const base = at ? at[1]! : name;
  const variant = at ? at[2] : undefined;
  let split: 'val' | 'test' | undefined;
  let metric = base;
  const snake = /^(val|test)_loss$/.exec(base);
  if (snake) {
    split = snake[1] as 'val' | 'test';
    metric = 'loss';
  } else if (/^(val|test)\./.test(base)) {
    split = base.startsWith('val.') ? 'val' : 'test';
    metric = base.slice(split.length + 1);
  }
  const direction = options.direction ?? defaultDirection(metric);
  if (direction !== 'min' && direction !== 'max') throw invalidArg('direction', '"min" or "max"', direction);
  return { name, metric, ...(split ? { split } : {}), target: options.target ?? 'global', ...(variant ? { variant } : {}), direction };
}

/** True when `r` is a measured record of the objective. */
function matches(r: EvalRecord, o: Objective): boolean {
  return r.target === o.target && r.metric === o.metric && (o.split === undefined || r.split === o.split)
    && (r.variant ?? undefined) === o.variant && r.count > 0;
}

/** The value at the last round that evaluated the objective; NaN (or a non-finite value) means diverged. */
export interface ObjectiveReading {
  value: number;
  round: number;
}

/**
 * The objective's value at the last round that measured it, or null when no record measures it.
 * `metrics.jsonl` writes NaN as null; that reads as NaN here.
 */
export function readObjective(records: readonly RunRecord[], o: Objective): ObjectiveReading | null {
  let last: EvalRecord | undefined;
  for (const r of records) {
    if (r.kind === 'eval' && matches(r, o) && (!last || r.round >= last.round)) last = r;
  }
  if (!last) return null;
  const value = last.value === null ? NaN : last.value;
  return { value, round: last.round };
}

/** The objectives a trial's records could have used, in our spelling, for the error when the chosen one is absent. */
export function recordedObjectives(records: readonly RunRecord[]): string[] {
  const names = new Set<string>();
  for (const r of records) {
    if (r.kind !== 'eval' || r.target !== 'global' || r.count === 0) continue;
    const name = r.metric.includes('.') ? r.metric : `${r.split}.${r.metric}`;
    names.add(r.variant ? `${name}@${r.variant}` : name);
  }
  return [...names].sort();
}

/** Orders values best first under `direction`; non-finite values and nulls last. */
export function compareValues(a: number | null, b: number | null, direction: 'min' | 'max'): number {
  const fa = a !== null && Number.isFinite(a);
  const fb = b !== null && Number.isFinite(b);
  if (!fa || !fb) return fa === fb ? 0 : fa ? -1 : 1;
  return direction === 'min' ? a! - b! : b! - a!;
}

/** `val.loss, lower is better` for the report. */
export function describeObjective(o: Objective): string {
  return `${o.name}${o.target === 'mean' ? ' (mean over clients)' : ''}, ${o.direction === 'min' ? 'lower' : 'higher'} is better`;
}

