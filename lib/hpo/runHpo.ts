/**
 * `runHpo`: a hyper-parameter search over real federated runs. Plans the configurations (hpo.json), runs each
 * trial as an `fsllm run` process (up to `workers` at once), judges it by the objective at its last evaluated
 * round, and for successive halving promotes the best of each rung to continue from its own checkpoint.
 * Every finished trial-rung is a line of trials.jsonl; running the same search again skips those lines'
 * work and continues interrupted trials from their checkpoints.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { loadRunConfig } from '../config/loadRunConfig.js';
import type { ResolvedOptions } from '../config/types.js';
import { configError, type ConfigError } from '../config/configError.js';
import { fsllmError, invalidArg } from '../errors/index.js';
import { packageRoot } from '../native/packageRoot.js';
import { parseMetrics } from '../report/writeReport.js';
import { fileSha256, startPlan, trialIds, type HpoPlan, type PlannedTrial } from './hpoPlan.js';
import { writeSummary } from './hpoResults.js';
import { readObjective, recordedObjectives } from './objective.js';
import { baseScheduler, checkBudgets, defaultBudgets, promote, startingConfigs } from './schedulers.js';
import { TrialJournal } from './TrialJournal.js';
import { runTrialProcess } from './trialRunner.js';
import type { HpoResult, HpoSettings, TrialConfig, TrialRecord } from './types.js';

/** What a search reports as it goes. */
export type HpoEvent =
  /** The plan is made (or read back: `resumed`); `budgets` is null for grid and random search. */
  | { kind: 'plan'; trials: number; budgets: readonly number[] | null; resumed: boolean }
  | { kind: 'start'; id: string; rung: number; rounds: number; config: TrialConfig }
  /** `reused`: read back from trials.jsonl of an earlier run of the search. */
  | { kind: 'end'; record: TrialRecord; reused: boolean }
  | { kind: 'rung'; rung: number; budget: number; promoted: string[] };

/** Options of `runHpo` beside the settings. */
export interface RunHpoOptions {
  /** Stops the running trials (their process groups) and rejects with `ERR_FSLLM_ABORTED`. */
  signal?: AbortSignal;
  /** The `fsllm` CLI entry the trials run; the package's `dist/cli/main.js` by default. */
  cli?: string;
  onEvent?: (event: HpoEvent) => void;
}

/** `key=value` for each of a trial's values; values as JSON, which the override parser reads as YAML. */
export function configOverrides(config: TrialConfig): string[] {
  return Object.entries(config).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
}

function checkSettings(s: HpoSettings): void {
  if (!Number.isInteger(s.workers) || s.workers < 1) throw invalidArg('workers', 'an integer ≥ 1', s.workers);
  if (!Number.isInteger(s.seed) || s.seed < 0) throw invalidArg('seed', 'an integer ≥ 0', s.seed);
  if (!(s.eta > 1)) throw invalidArg('eta', 'a number > 1', s.eta);
  if (s.budgets !== undefined) checkBudgets(s.budgets);
  if (s.space.length === 0) throw invalidArg('space', 'at least one searched option', s.space);
  if (baseScheduler(s.scheduler) === 'sha') {
    const rounds = s.space.find((d) => d.key === 'federate.totalRounds' || d.key === 'federate.total_round_num');
    if (rounds) throw configError([{ path: rounds.key, message: 'is the fidelity of successive halving (set by budgets); remove it from the space' }], 'search space');
  }
}

/**
 * Resolves a trial's options in this process, so a bad value fails the search before any trial runs.
 * @param what names the options in the error, e.g. `trial t3 (run.yaml with train.optimizer.lr=5)`.
 */
async function resolveTrial(cfg: string, overrides: string[], what: string): Promise<ResolvedOptions> {
  try {
    return (await loadRunConfig(cfg, overrides)).options;
  } catch (error) {
    const issues = (error as Partial<ConfigError>).issues;
    if (!issues) throw error;
    throw configError(issues, what, cfg);
  }
}

interface Prepared {
  plan: HpoPlan;
  /** Overrides every trial gets after its values (checkpoints for sha). */
  extra: string[];
}

async function prepare(s: HpoSettings, cfg: string): Promise<Prepared> {
  const base = await resolveTrial(cfg, [...s.overrides], `run config ${cfg}${s.overrides.length ? ' with the key=value overrides of the search' : ''}`);
  if (base.federate.mode !== 'standalone') {
    throw fsllmError('ERR_FSLLM_UNSUPPORTED', `federate.mode ${base.federate.mode}: trials are standalone runs (set federate.mode=standalone for the search)`);
  }
  const kind = baseScheduler(s.scheduler);
  const configs = startingConfigs(s, 'search space');
  const budgets = kind === 'sha' ? s.budgets ?? defaultBudgets(base.federate.totalRounds, configs.length, s.eta) : null;
  // A promoted trial continues from the checkpoint of its last round, which a run writes unless checkpointEvery is 0.
  const extra = budgets && base.output.checkpointEvery === 0 ? [`output.checkpointEvery=${budgets.at(-1)}`] : [];
  const ids = trialIds(configs.length);
  const trials: PlannedTrial[] = [];
  for (const [i, config] of configs.entries()) {
    const rounds = budgets ? [`federate.totalRounds=${budgets.at(-1)}`] : [];
    const resolved = await resolveTrial(cfg, [...s.overrides, ...configOverrides(config), ...extra, ...rounds], `trial ${ids[i]} of the search (${configOverrides(config).join(' ')})`);
    trials.push({ id: ids[i]!, config, ...(budgets ? {} : { rounds: resolved.federate.totalRounds }) });
  }
  const plan: HpoPlan = {
    version: 1, cfg, cfgSha256: await fileSha256(cfg), overrides: [...s.overrides], scheduler: s.scheduler, objective: s.objective,
    seed: s.seed, samples: s.samples ?? null, budgets, eta: s.eta, space: s.space, trials, notes: [...(s.notes ?? [])],
  };
  return { plan, extra };
}

/** Trial processes share the cores: each gets its share of threads unless the environment says otherwise. */
function threadEnv(workers: number): NodeJS.ProcessEnv {
  if (workers < 2 || process.env['FSLLM_NUM_THREADS']) return {};
  const threads = String(Math.max(1, Math.floor(os.availableParallelism() / workers)));
  return { FSLLM_NUM_THREADS: threads, OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads };
}

/** Runs `work` over `items`, `workers` at a time; the first failure aborts the rest through `stop`. */
async function inParallel<T>(items: readonly T[], workers: number, stop: AbortController, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(workers, items.length) }, async () => {
    while (next < items.length && !stop.signal.aborted) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        stop.abort(error);
        throw error;
      }
    }
  });
  const settled = await Promise.allSettled(lanes);
  // The error that stopped the others, not the aborts it caused.
  if (stop.signal.aborted) throw stop.signal.reason;
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The trial's record from its process result and its metrics.jsonl. */
async function judge(s: HpoSettings, dir: string, base: Omit<TrialRecord, 'value' | 'evalRound' | 'status' | 'error'>, code: number | null, tail: string): Promise<TrialRecord> {
  if (code !== 0) return { ...base, value: null, evalRound: null, status: 'failed', error: tail || `exit code ${code}` };
  const metrics = path.join(dir, 'metrics.jsonl');
  const { records } = parseMetrics(existsSync(metrics) ? await readFile(metrics, 'utf8') : '');
  const reading = readObjective(records, s.objective);
  if (!reading) {
    const seen = recordedObjectives(records);
    throw fsllmError('ERR_FSLLM_CONFIG', `objective ${s.objective.name}: trial ${base.id} recorded no such evaluation (${metrics}); `
      + `its runs record ${seen.length ? seen.join(', ') : 'no global evaluation'}: choose one of those, or evaluate that split/task (eval.splits, eval.tasks)`, { path: metrics });
  }
  const ok = Number.isFinite(reading.value);
  return { ...base, value: ok ? reading.value : null, evalRound: reading.round, status: ok ? 'ok' : 'diverged' };
}

/**
 * Runs the search `settings` describes (see `loadHpoSettings`), or resumes it when `settings.out` holds it.
 * Writes `<out>/hpo.json`, `trials.jsonl`, `best.json`, `report.html`, and `trials/<id>/` per trial.
 * @throws `ERR_FSLLM_CONFIG` when a trial's options are invalid (before any trial runs), when the folder holds
 *   another search, or when the objective is not recorded by the runs; `ERR_FSLLM_ABORTED` on abort;
 *   `ERR_FSLLM_UNSUPPORTED` for distributed-mode configs.
 * @example
 * const settings = await loadHpoSettings({ cfg: 'run.yaml', space: 'space.yaml' });
 * const { best } = await runHpo(settings, { onEvent: (e) => e.kind === 'end' && console.log(e.record) });
 */
export async function runHpo(settings: HpoSettings, options: RunHpoOptions = {}): Promise<HpoResult> {
  checkSettings(settings);
  const out = path.resolve(settings.out);
  const cfg = path.resolve(settings.cfg);
  const cli = options.cli ?? path.join(packageRoot, 'dist', 'cli', 'main.js');
  const { plan, extra } = await prepare(settings, cfg);
  await mkdir(out, { recursive: true });
  const resumed = await startPlan(out, plan);
  options.onEvent?.({ kind: 'plan', trials: plan.trials.length, budgets: plan.budgets, resumed });
  const journal = await TrialJournal.open(out);
  const stop = new AbortController();
  const onAbort = () => stop.abort(fsllmError('ERR_FSLLM_ABORTED', 'the search was aborted; run it again to resume', { cause: options.signal?.reason }));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const env = threadEnv(settings.workers);
  const rungs = plan.budgets ?? [null];
  let active = plan.trials;
  try {
    for (const [rung, budget] of rungs.entries()) {
      const records: TrialRecord[] = [];
      await inParallel(active, settings.workers, stop, async (trial) => {
        const rounds = budget ?? trial.rounds!;
        const done = journal.finished(trial.id, rung);
        if (done) {
          records.push(done);
          options.onEvent?.({ kind: 'end', record: done, reused: true });
          return;
        }
        options.onEvent?.({ kind: 'start', id: trial.id, rung, rounds, config: trial.config });
        const dir = path.join(out, 'trials', trial.id);
        const overrides = [...settings.overrides, ...configOverrides(trial.config), ...extra];
        const run = await runTrialProcess({ cli, cfg, overrides, dir, ...(budget !== null ? { rounds: budget } : {}), env, signal: stop.signal });
        const trained = rounds - (rung > 0 ? plan.budgets![rung - 1]! : 0);
        const record = await judge(settings, dir, { id: trial.id, rung, config: trial.config, rounds, roundsTrained: trained, seconds: run.seconds }, run.code, run.tail);
        await journal.append(record);
        records.push(record);
        options.onEvent?.({ kind: 'end', record, reused: false });
      });
      if (rung === rungs.length - 1) break;
      await writeSummary(out, plan, journal.latest());   // where the search stands, while the next rung runs
      const promoted = promote(records, plan.eta, plan.objective.direction);
      options.onEvent?.({ kind: 'rung', rung, budget: budget!, promoted });
      active = plan.trials.filter((t) => promoted.includes(t.id));
      if (active.length === 0) break;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const { ranking, summary } = await writeSummary(out, plan, journal.latest());
  return { outDir: out, best: ranking.find((r) => r.status === 'ok') ?? null, ranking, totalRounds: summary.totalRounds };
}
