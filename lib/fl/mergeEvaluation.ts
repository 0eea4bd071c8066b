/**
 * The clients' evaluation answers of one round as records: one per client and split, then per split the
 * merged loss ('global': every client's examples pooled, token-weighted) and the plain mean over the clients
 * that have examples ('mean', the `local` scenario's headline figure). Task scores on each client's held-out
 * records are merged the same pooled way ({@link mergeHeldOutScores}).
 */
import type { EvalSplit, SplitLoss } from '../comm/messages.js';
import type { EvalRecord } from '../report/records.js';

/**
 * @param answers Each client's split losses, read in `clientIds` order (a client without an answer adds nothing).
 * @param variant Labels every record (e.g. 'AdapEmu') when given.
 * @returns Records whose value is NaN with count 0 where a split has no examples.
 */
export function mergeEvaluation(round: number, clientIds: number[], answers: ReadonlyMap<number, SplitLoss[]>, variant?: string): EvalRecord[] {
  const label = variant === undefined ? {} : { variant };
  const record = (target: EvalRecord['target'], split: EvalSplit, value: number, count: number): EvalRecord =>
    ({ kind: 'eval', round, target, split, metric: 'loss', value, count, ...label });
  const records: EvalRecord[] = [];
  const merged = new Map<EvalSplit, { lossSum: number; tokens: number }>();
  for (const id of clientIds) {
    for (const r of answers.get(id) ?? []) {
      records.push(record(id, r.split, r.tokens > 0 ? r.lossSum / r.tokens : NaN, r.tokens));
      const m = merged.get(r.split) ?? { lossSum: 0, tokens: 0 };
      merged.set(r.split, { lossSum: m.lossSum + r.lossSum, tokens: m.tokens + r.tokens });
    }
  }
  for (const [split, m] of merged) {
    records.push(record('global', split, m.tokens > 0 ? m.lossSum / m.tokens : NaN, m.tokens));
    const perClient = records.filter((r) => r.split === split && typeof r.target === 'number' && r.count > 0);
    const mean = perClient.reduce((s, r) => s + r.value, 0) / perClient.length;
    records.push(record('mean', split, perClient.length > 0 ? mean : NaN, m.tokens));
  }
  return records;
}

/**
 * `records` without the splits that no record measured (count 0 everywhere: no client has examples of them),
 * and the names of those splits. A loss over no examples is NaN: it must reach no chart, line or decision.
 */
export function dropEmptySplits(records: EvalRecord[]): { kept: EvalRecord[]; empty: EvalSplit[] } {
  const splits = [...new Set(records.map((r) => r.split))];
  const empty = splits.filter((split) => !records.some((r) => r.split === split && r.count > 0));
  return { kept: records.filter((r) => !empty.includes(r.split)), empty };
}

/**
 * The merged ('global') record of per-client task scores on the clients' held-out records (e.g. `rouge.rougeL`
 * with target = client id), one per variant and metric: the mean over the union of every client's scored
 * records, which is the clients' values weighted by their `count` (records scored) — not the plain mean of
 * the client means, so a client with more held-out records weighs more. NaN with count 0 when no client had a
 * record.
 */
export function mergeHeldOutScores(round: number, perClient: readonly EvalRecord[]): EvalRecord[] {
  const groups = new Map<string, EvalRecord[]>();
  for (const r of perClient) {
    const key = JSON.stringify([r.variant ?? '', r.split, r.metric]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const measured = group.filter((r) => r.count > 0);
    const count = measured.reduce((s, r) => s + r.count, 0);
    const value = count > 0 ? measured.reduce((s, r) => s + r.value * r.count, 0) / count : NaN;
    const { split, metric, variant } = group[0]!;
    return { kind: 'eval', round, target: 'global', split, metric, value, count, ...(variant === undefined ? {} : { variant }) };
  });
}
