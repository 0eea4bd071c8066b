/**
 * Turns a run's records into chart specifications (no markup here): training loss per round, one
 * chart per eval split and metric, and bytes per round. Colours are fixed per client across charts.
 */
import type { EvalRecord, RoundRecord, RunRecord, TrainRecord } from './records.js';
import { byteUnit, formatBytes } from './format.js';
import type { ChartSeries, LineChartOptions } from './lineChart.js';

/** Tableau 10, reordered so neighbouring clients differ strongly; the weak yellow comes last. */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1', '#9c755f', '#ff9da7', '#bab0ac', '#edc948'];
/** The heavy line (mean, global) of each variant: dark, and unlike every client colour. */
const HEAVY = ['#111827', '#7f1d1d', '#1e3a8a', '#365314'];
/** Dash pattern per variant, so variants of one target stay told apart in print. */
const DASHES = [undefined, '8 4', '2 3', '10 3 2 3'];
const THIN = 1.6;
const HEAVY_WIDTH = 3.2;

/** The records of a run split by kind, with the client list every chart shares. */
export interface RunData {
  train: TrainRecord[];
  evals: EvalRecord[];
  rounds: RoundRecord[];
  /** Client ids in display order (numbers ascending, then anything else as text). */
  clients: string[];
}

/** Client ids are numbers by type but arrive from JSON; keyed as text so a stray string still works. */
const clientKey = (id: unknown): string => String(id);
/** An evaluation that measured something: a finite value over a split with examples (count 0: none). */
export const isMeasured = (r: EvalRecord): boolean => r.count !== 0 && Number.isFinite(r.value);

/** Splits that were evaluated but never measured (no examples anywhere), e.g. a val share of 0 in data.splits. */
export function emptySplits(data: RunData): string[] {
  const splits = [...new Set(data.evals.map((r) => String(r.split)))];
  return splits.filter((split) => !data.evals.some((r) => String(r.split) === split && isMeasured(r)));
}

/** The plain mean over clients: heavy like 'global', in grey so the two stay apart. */
const MEAN_COLOR = '#6b7280';

/** Splits `records` by kind and collects every client id seen anywhere. */
export function runData(records: readonly RunRecord[]): RunData {
  const train = records.filter((r): r is TrainRecord => r.kind === 'train');
  const evals = records.filter((r): r is EvalRecord => r.kind === 'eval');
  const rounds = records.filter((r): r is RoundRecord => r.kind === 'round');
  const ids = new Set<string>();
  for (const r of train) ids.add(clientKey(r.client));
  for (const r of rounds) for (const c of Array.isArray(r.clients) ? r.clients : []) ids.add(clientKey(c));
  for (const r of evals) if (r.target !== 'global' && r.target !== 'mean') ids.add(clientKey(r.target));
  const clients = [...ids].sort((a, b) => {
    const [na, nb] = [Number(a), Number(b)];
    if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
    return Number.isFinite(na) ? -1 : Number.isFinite(nb) ? 1 : a.localeCompare(b);
  });
  return { train, evals, rounds, clients };
}

function clientColor(data: RunData, id: unknown): string {
  return PALETTE[Math.max(0, data.clients.indexOf(clientKey(id))) % PALETTE.length]!;
}

/** Rounds and client ids as label text: `client 3`. */
export const clientLabel = (id: unknown): string => `client ${clientKey(id)}`;

/** Sample-weighted mean training loss per round, from round records or, without them, from train records. */
function meanTrainLoss(data: RunData): [number, number][] {
  if (data.rounds.length) return data.rounds.map((r) => [r.round, r.trainLoss]);
  const sums = new Map<number, [number, number]>();
  for (const r of data.train) {
    const [loss, weight] = sums.get(r.round) ?? [0, 0];
    const w = r.samples > 0 ? r.samples : 1;
    sums.set(r.round, [loss + r.loss * w, weight + w]);
  }
  return [...sums].map(([round, [loss, weight]]) => [round, loss / weight]);
}

/** "Training loss per round": one thin line per client, the weighted mean heavy; null without train data. */
export function trainLossChart(data: RunData): LineChartOptions | null {
  if (!data.train.length && !data.rounds.length) return null;
  const series: ChartSeries[] = [{ label: 'mean (sample-weighted)', points: meanTrainLoss(data), color: HEAVY[0]!, width: HEAVY_WIDTH }];
  for (const id of data.clients) {
    const points = data.train.filter((r) => clientKey(r.client) === id).map((r): [number, number] => [r.round, r.loss]);
    if (points.length) series.push({ label: clientLabel(id), points, color: clientColor(data, id), width: THIN });
  }
  return { title: 'Training loss per round', series, xLabel: 'round', yLabel: 'loss', integerX: true };
}

const SPLIT_ORDER = ['val', 'test'];
const rank = (split: string): number => (SPLIT_ORDER.includes(split) ? SPLIT_ORDER.indexOf(split) : SPLIT_ORDER.length);

/**
 * One chart per (split, metric), val before test and loss first; series per variant and target. Only what
 * was measured is drawn: a chart or series with nothing measured is left out, an unmeasured round is a gap.
 */
export function evalCharts(data: RunData): LineChartOptions[] {
  const groups = new Map<string, EvalRecord[]>();
  for (const r of data.evals) {
    const key = JSON.stringify([String(r.split), String(r.metric)]);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  for (const [key, group] of groups) if (!group.some(isMeasured)) groups.delete(key);
  const keys = [...groups.keys()].map((k) => JSON.parse(k) as [string, string]).sort(([sa, ma], [sb, mb]) =>
    rank(sa) - rank(sb) || sa.localeCompare(sb) || Number(mb === 'loss') - Number(ma === 'loss') || ma.localeCompare(mb));
  const variants = [...new Set(data.evals.map((r) => r.variant ?? ''))];
  return keys.map(([split, metric]) => {
    const records = groups.get(JSON.stringify([split, metric]))!;
    const series: ChartSeries[] = [];
    variants.forEach((variant, v) => {
      const ofVariant = records.filter((r) => (r.variant ?? '') === variant);
      const targets = ['global', 'mean', ...data.clients].filter((t) => ofVariant.some((r) => clientKey(r.target) === t && isMeasured(r)));
      for (const target of targets) {
        const points = ofVariant.filter((r) => clientKey(r.target) === target).map((r): [number, number | null] => [r.round, isMeasured(r) ? r.value : null]);
        const isGlobal = target === 'global';
        const isMean = target === 'mean';
        const name = isGlobal ? 'global' : isMean ? 'mean of clients' : clientLabel(target);
        series.push({
          label: variant ? `${variant} \u00b7 ${name}` : name,
          points,
          color: isGlobal ? HEAVY[v % HEAVY.length]! : isMean ? MEAN_COLOR : clientColor(data, target),
          width: isGlobal || isMean ? HEAVY_WIDTH : THIN,
          dash: DASHES[v % DASHES.length],
        });
      }
    });
    // Task scores (`<task>.<metric>`, see lib/fl/serverTasks.ts) run the other way from losses.
    const title = metric.includes('.') ? `Task score ${metric} (higher is better), per round` : `Eval ${metric} on the ${split} split, per round`;
    return { title, series, xLabel: 'round', yLabel: metric, integerX: true };
  });
}

/** "Bytes per round": up and down in one binary unit, each run total in its legend label; null without rounds. */
export function bytesChart(data: RunData): LineChartOptions | null {
  if (!data.rounds.length) return null;
  const max = data.rounds.reduce((m, r) => Math.max(m, r.bytesUp, r.bytesDown), 0);
  const unit = byteUnit(max);
  const total = (pick: (r: RoundRecord) => number): string => formatBytes(data.rounds.reduce((s, r) => s + pick(r), 0));
  const line = (label: string, pick: (r: RoundRecord) => number, color: string, width: number, dash?: string): ChartSeries => ({
    label: `${label} (run total ${total(pick)})`,
    points: data.rounds.map((r) => [r.round, pick(r) / unit.bytes]),
    color,
    width,
    dash,
  });
  return {
    title: `Bytes per round (run total ${total((r) => r.bytesUp + r.bytesDown)})`,
    // Up and down are often equal (FedAvg sends one adapter each way): the dashed line is drawn
    // last at the same width, so the solid one still shows through its gaps.
    series: [
      line('clients → server (up)', (r) => r.bytesUp, PALETTE[3]!, 2.4),
      line('server → clients (down)', (r) => r.bytesDown, PALETTE[0]!, 2.4, '9 6'),
    ],
    xLabel: 'round',
    yLabel: unit.name,
    yZero: true,
    integerX: true,
  };
}
