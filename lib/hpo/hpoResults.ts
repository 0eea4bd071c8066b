/**
 * The results of a search from its journal: each trial's furthest trial-rung ranked best first, the best
 * configuration (`best.json`) and the report page (`report.html`), both replaced atomically after every rung
 * so a search that is still running (or was stopped) shows where it stands.
 */
import path from 'node:path';

import { atomicWrite } from '../util/atomicWrite.js';
import type { HpoPlan } from './hpoPlan.js';
import { renderHpoReport } from './hpoReport.js';
import { rankRecords } from './schedulers.js';
import type { TrialRecord } from './types.js';

/**
 * Each trial's furthest record (its highest rung), best first: trials that reached a later rung rank above
 * those eliminated earlier, then by the objective (see rankRecords).
 */
export function rankTrials(records: readonly TrialRecord[], direction: 'min' | 'max'): TrialRecord[] {
  const furthest = new Map<string, TrialRecord>();
  for (const r of records) {
    const seen = furthest.get(r.id);
    if (!seen || r.rung > seen.rung) furthest.set(r.id, r);
  }
  const rungs = [...new Set([...furthest.values()].map((r) => r.rung))].sort((a, b) => b - a);
  return rungs.flatMap((rung) => rankRecords([...furthest.values()].filter((r) => r.rung === rung), direction));
}

/** Rounds trained by the finished trial-rungs of `records` (one record per trial-rung). */
export function roundsTrained(records: readonly TrialRecord[]): number {
  return records.reduce((sum, r) => sum + (r.status === 'failed' ? 0 : r.roundsTrained), 0);
}

/** The content of `best.json`. */
export interface BestSummary {
  objective: string;
  direction: 'min' | 'max';
  scheduler: string;
  /** null when no trial ended `ok`. */
  best: { id: string; config: TrialRecord['config']; value: number; rounds: number; evalRound: number | null; dir: string } | null;
  trials: number;
  /** Rounds trained over the search. */
  totalRounds: number;
  /** Wall time of every trial process, summed. */
  trialSeconds: number;
}

/**
 * Writes `best.json` and `report.html` for `latest` (one record per trial-rung).
 * @returns the ranking and the summary written.
 */
export async function writeSummary(out: string, plan: HpoPlan, latest: readonly TrialRecord[]): Promise<{ ranking: TrialRecord[]; summary: BestSummary }> {
  const ranking = rankTrials(latest, plan.objective.direction);
  const top = ranking.find((r) => r.status === 'ok');
  const summary: BestSummary = {
    objective: plan.objective.name,
    direction: plan.objective.direction,
    scheduler: plan.scheduler,
    best: top ? { id: top.id, config: top.config, value: top.value!, rounds: top.rounds, evalRound: top.evalRound, dir: path.join(out, 'trials', top.id) } : null,
    trials: ranking.length,
    totalRounds: roundsTrained(latest),
    trialSeconds: latest.reduce((s, r) => s + r.seconds, 0),
  };
  await atomicWrite(path.join(out, 'best.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await atomicWrite(path.join(out, 'report.html'), renderHpoReport({ plan, ranking, latest, summary }));
  return { ranking, summary };
}
