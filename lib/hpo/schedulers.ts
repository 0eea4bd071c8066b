/**
 * What each scheduler runs: the starting configurations (grid, random draws) and, for successive halving,
 * the rungs: every trial gets the first budget of rounds, then the best ceil(n / eta) continue from their own
 * checkpoint to the next budget, and so on (Jamieson & Talwalkar 2016, "Non-stochastic best arm
 * identification and hyperparameter optimization", Alg. 1; FS-LLM's SuccessiveHalvingAlgo keeps the same
 * ceil(n / elim_rate)). Pure arithmetic: no processes here.
 */
import { invalidArg } from '../errors/index.js';
import { compareValues } from './objective.js';
import { gridConfigs, sampleConfigs } from './sampling.js';
import type { HpoScheduler, HpoSettings, TrialConfig, TrialRecord } from './types.js';

/**
 * FS-LLM's `wrap_rs` / `wrap_sha` run FedEx inside every trial (clients explore client-side values of
 * `hpo.fedex.ss` round by round); here they are the plain rs / sha over the whole space.
 */
export function baseScheduler(s: HpoScheduler): 'grid' | 'rs' | 'sha' {
  return s === 'wrap_rs' ? 'rs' : s === 'wrap_sha' ? 'sha' : s;
}

/** How many trials a rung of `n` keeps: ceil(n / eta), at least one. */
export function keepCount(n: number, eta: number): number {
  return Math.max(1, Math.ceil(n / eta));
}

/** Trials per rung for `n` starting configurations over `rungs` rungs. */
export function rungCounts(n: number, rungs: number, eta: number): number[] {
  const counts: number[] = [];
  for (let i = 0, c = n; i < rungs; i++, c = keepCount(c, eta)) counts.push(c);
  return counts;
}

/**
 * Rounds a successive-halving search trains in all: each rung's trials train from the previous budget to
 * theirs (a promoted trial continues from its checkpoint).
 */
export function shaTotalRounds(n: number, budgets: readonly number[], eta: number): number {
  const counts = rungCounts(n, budgets.length, eta);
  return budgets.reduce((sum, b, i) => sum + counts[i]! * (b - (i === 0 ? 0 : budgets[i - 1]!)), 0);
}

/**
 * Budgets when none are given (FS-LLM's empty `hpo.sha.budgets`): enough rungs to halve `n` down to one,
 * the last at the run's `totalRounds`, each earlier one eta times fewer (at least one round; repeats dropped).
 * @example defaultBudgets(27, 16, 3) // [1, 3, 9, 27]
 */
export function defaultBudgets(totalRounds: number, n: number, eta: number): number[] {
  let rungs = 1;
  for (let c = n; c > 1; c = keepCount(c, eta)) rungs++;
  const budgets = Array.from({ length: rungs }, (_, i) => Math.max(1, Math.round(totalRounds / eta ** (rungs - 1 - i))));
  return [...new Set(budgets)];
}

/** @throws `ERR_FSLLM_INVALID_ARG` unless `budgets` are integers ≥ 1, strictly increasing. */
export function checkBudgets(budgets: unknown, name = 'budgets'): readonly number[] {
  const ok = Array.isArray(budgets) && budgets.length > 0 && budgets.every((b, i) => Number.isInteger(b) && b >= 1 && (i === 0 || b > budgets[i - 1]));
  if (!ok) throw invalidArg(name, 'a non-empty list of round counts, strictly increasing, e.g. [2, 4, 8]', budgets);
  return budgets as number[];
}

/**
 * The configurations a search starts from: the grid for `grid` (and for `sha` without `samples`), else
 * `samples` seeded random draws.
 * @throws `ERR_FSLLM_CONFIG` when a grid is needed and a range has no grid count; `ERR_FSLLM_INVALID_ARG`
 *   when rs has no sample count.
 */
export function startingConfigs(s: Pick<HpoSettings, 'space' | 'scheduler' | 'samples' | 'seed'>, what: string): TrialConfig[] {
  const kind = baseScheduler(s.scheduler);
  if (kind === 'grid' || (kind === 'sha' && s.samples === undefined)) return gridConfigs(s.space, what);
  if (s.samples === undefined) throw invalidArg('samples', 'the number of random configurations for rs (e.g. samples: 16)', s.samples);
  return sampleConfigs(s.space, s.samples, s.seed);
}

/**
 * The records of one rung, best first: finished (`ok`) by value under `direction`, then diverged, then
 * failed; ties keep the trial order (ids), so promotion is deterministic.
 */
export function rankRecords(records: readonly TrialRecord[], direction: 'min' | 'max'): TrialRecord[] {
  const order = { ok: 0, diverged: 1, failed: 2 } as const;
  return [...records].sort((a, b) => order[a.status] - order[b.status]
    || compareValues(a.value, b.value, direction)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The ids of the trials that go on to the next rung: the best `keepCount(n, eta)` that ended `ok`. */
export function promote(records: readonly TrialRecord[], eta: number, direction: 'min' | 'max'): string[] {
  return rankRecords(records, direction).slice(0, keepCount(records.length, eta)).filter((r) => r.status === 'ok').map((r) => r.id);
}
