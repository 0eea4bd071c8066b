/**
 * `hpo.json`: the plan of a search, written before the first trial: the scheduler, seed, objective, space,
 * rung budgets and every configuration drawn. Re-running the same command reads it back and continues; a
 * command that would plan another search in the same folder is refused, so results of two different
 * searches never mix in one `trials.jsonl`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { fsllmError } from '../errors/index.js';
import { atomicWrite } from '../util/atomicWrite.js';
import type { HpoScheduler, Objective, SearchSpace, TrialConfig } from './types.js';

/** One planned trial. */
export interface PlannedTrial {
  id: string;
  config: TrialConfig;
  /** grid / rs: the rounds the trial's own config runs (its federate.totalRounds). */
  rounds?: number;
}

/** The content of `hpo.json`. */
export interface HpoPlan {
  version: 1;
  /** The run config (absolute path) and the sha256 of its content when the search was planned. */
  cfg: string;
  cfgSha256: string;
  overrides: readonly string[];
  scheduler: HpoScheduler;
  objective: Objective;
  seed: number;
  samples: number | null;
  /** sha: total rounds at each rung; null for grid and rs. */
  budgets: readonly number[] | null;
  eta: number;
  space: SearchSpace;
  trials: readonly PlannedTrial[];
  notes: readonly string[];
}

/** Fields that make two plans the same search (workers and notes may differ between runs of it). */
const IDENTITY = ['cfg', 'cfgSha256', 'overrides', 'scheduler', 'objective', 'seed', 'samples', 'budgets', 'eta', 'space', 'trials'] as const;

/** The plan's file name in the search folder. */
export const PLAN_FILE = 'hpo.json';

/** sha256 of a file's bytes (hex). */
export async function fileSha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** `t0`..`t9` for ten trials, `t00`..`t99` for a hundred: ids sort in trial order. */
export function trialIds(count: number): string[] {
  const width = String(Math.max(0, count - 1)).length;
  return Array.from({ length: count }, (_, i) => `t${String(i).padStart(width, '0')}`);
}

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/**
 * Writes `plan` to `<out>/hpo.json`, or, when the folder already holds a plan, checks it is the same search.
 * @returns true when a plan was there already (the search resumes).
 * @throws `ERR_FSLLM_CONFIG` naming each field that differs and what to do; `ERR_FSLLM_CHECKPOINT` when the
 *   existing hpo.json cannot be read.
 */
export async function startPlan(out: string, plan: HpoPlan): Promise<boolean> {
  const file = path.join(out, PLAN_FILE);
  if (!existsSync(file)) {
    await atomicWrite(file, `${JSON.stringify(plan, null, 2)}\n`);
    return false;
  }
  let old: Record<string, unknown>;
  try {
    old = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_CHECKPOINT', `${file}: cannot read the plan of the search in this folder (${(cause as Error).message}); remove the folder or use another --out`, { cause, path: file });
  }
  const changed = IDENTITY.filter((k) => differs(old[k], plan[k]));
  if (changed.length > 0) {
    // The configurations follow from the other fields; they are named only when nothing else explains them.
    const named = changed.length > 1 ? changed.filter((k) => k !== 'trials') : changed;
    const what = named.map((k) => (k === 'cfgSha256' ? 'the content of the run config' : k === 'trials' ? 'the configurations drawn' : k)).join(', ');
    throw fsllmError('ERR_FSLLM_CONFIG', `${out} holds another search (it differs in ${what}); re-run the command that started it to resume, or use another --out for a new search`, { path: file });
  }
  return true;
}
