/**
 * The whole `report.html` of a federated run as one string: header and summary, charts (inline SVG),
 * cost table and the config. Self-contained: no scripts, fonts, styles or images are fetched.
 */
import { invalidArg } from '../errors/index.js';
import type { CostSummary, EvalRecord, RunRecord } from './records.js';
import { escapeHtml, escapeJson } from './html.js';
import { formatBytes, formatDate, formatDuration, formatInt, formatMs, formatValue } from './format.js';
import { lineChart, type LineChartOptions } from './lineChart.js';
import { PAGE_STYLE } from './pageStyle.js';
import { bytesChart, emptySplits, evalCharts, isMeasured, runData, trainLossChart, type RunData } from './runCharts.js';

/** What `renderReport` needs; `writeReport` reads it from a run folder. */
export interface ReportInput {
  title: string;
  /** The run's config as written to `config.json`; shown as escaped JSON. */
  config: unknown;
  records: readonly RunRecord[];
  cost: CostSummary | null;
  /** Short remarks shown at the end (e.g. lines of metrics.jsonl that were skipped). */
  notes?: readonly string[];
  /** Shown in the header; defaults to now. Pass one for byte-identical output. */
  date?: Date;
}

/** Final and best global eval loss of one variant ('' for the one model). */
interface LossSummary {
  variant: string;
  final: EvalRecord;
  best: EvalRecord;
}

/** Global eval loss per variant, from the val split when there is one, else test. */
function evalLoss(data: RunData): LossSummary[] {
  const usable = data.evals.filter((r) => r.target === 'global' && r.metric === 'loss' && isMeasured(r));
  const split = usable.some((r) => r.split === 'val') ? 'val' : 'test';
  const out: LossSummary[] = [];
  for (const variant of new Set(usable.map((r) => r.variant ?? ''))) {
    const rs = usable.filter((r) => r.split === split && (r.variant ?? '') === variant);
    if (!rs.length) continue;
    const final = rs.reduce((a, b) => (b.round >= a.round ? b : a));
    const best = rs.reduce((a, b) => (b.value < a.value ? b : a));
    out.push({ variant, final, best });
  }
  return out;
}

function summary(data: RunData, cost: CostSummary | null): string {
  const roundIds = new Set((data.rounds.length ? data.rounds : data.train).map((r) => r.round));
  const items: string[] = [
    `<b>${formatInt(roundIds.size)}</b> round${roundIds.size === 1 ? '' : 's'}`,
    `<b>${formatInt(data.clients.length)}</b> client${data.clients.length === 1 ? '' : 's'}`,
  ];
  for (const { variant, final, best } of evalLoss(data)) {
    const who = variant ? `${escapeHtml(variant)} ` : '';
    items.push(`${who}final eval loss <b>${formatValue(final.value)}</b> (round ${escapeHtml(final.round)})`);
    items.push(`${who}best <b>${formatValue(best.value)}</b> (round ${escapeHtml(best.round)})`);
  }
  if (!data.evals.length) items.push('no evaluations');
  if (cost) items.push(`<b>${formatInt(cost.trainableParameters)}</b> trainable parameters`);
  const bytes = cost?.totalBytes ?? data.rounds.reduce((s, r) => s + r.bytesUp + r.bytesDown, 0);
  items.push(`<b>${formatBytes(bytes)}</b> moved`);
  return `<ul class="summary">${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

/** Human size, and the exact count beside it when the unit rounds. */
function bytesCells(bytes: number): [string, string] {
  return [formatBytes(bytes), Number.isFinite(bytes) && bytes >= 1024 ? `${formatInt(bytes)} B` : ''];
}

function costTable(cost: CostSummary | null): string {
  if (!cost) return '<p class="empty">No cost summary (cost.json) for this run.</p>';
  const rows: [string, [string, string]][] = [
    ['Trainable parameters', [formatInt(cost.trainableParameters), '']],
    // Older runs' cost.json lacks the base's storage.
    ...(cost.baseDtype ? [['Base weights stored as', [escapeHtml(cost.baseDtype), `${cost.baseBytesPerParam.toFixed(2)} bytes per parameter`]] as [string, [string, string]]] : []),
    ['Adapter message (encoded)', bytesCells(cost.adapterMessageBytes)],
    ['Mean time per optimizer step', [formatMs(cost.meanMsPerStep), '']],
    ['Peak resident memory', bytesCells(cost.peakRssBytes)],
    ['Bytes down per round', bytesCells(cost.bytesDownPerRound)],
    ['Bytes up per round', bytesCells(cost.bytesUpPerRound)],
    ['Total bytes moved', bytesCells(cost.totalBytes)],
    ['Wall time', [formatDuration(cost.wallSeconds), '']],
  ];
  const body = rows.map(([k, [v, exact]]) => `<tr><th scope="row">${k}</th><td class="num">${v}</td><td class="exact">${exact}</td></tr>`).join('');
  return `<table class="cost"><tbody>${body}</tbody></table>`;
}

function figure(chart: LineChartOptions): string {
  return `<figure>${lineChart(chart)}</figure>`;
}

function section(title: string, body: string, className = ''): string {
  return `<section${className ? ` class="${className}"` : ''}><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

/**
 * Renders a run's report page. Pure apart from the default date: the same input gives the same page.
 * Every string from the input (title, client ids, metric names, variants, config) is escaped.
 * @throws `ERR_FSLLM_INVALID_ARG` when `title` is not a string or `records` not an array.
 * @example
 * const html = renderReport({ title: 'gsm8k, 3 clients', config, records, cost });
 */
export function renderReport(input: ReportInput): string {
  // Validate
  if (typeof input?.title !== 'string') throw invalidArg('title', 'a string', input?.title);
  if (!Array.isArray(input.records)) throw invalidArg('records', 'an array of run records', input.records);
  // Interpret
  const data = runData(input.records);
  const train = trainLossChart(data);
  const evals = evalCharts(data);
  const bytes = bytesChart(data);
  const title = escapeHtml(input.title);
  const remarks = [
    ...(input.notes ?? []),
    ...emptySplits(data).map((split) => `The ${split} split has no examples (every evaluation of it counted 0 tokens), so it is not charted.`),
  ];
  const notes = remarks.length ? section('Notes', `<ul>${remarks.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`, 'notes') : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<header><h1>${title}</h1><p class="date">Federated run report · generated ${formatDate(input.date ?? new Date())}</p>${summary(data, input.cost)}</header>
${section('Training', train ? figure(train) : '<p class="empty">No training records in this run.</p>')}
${section('Evaluation', evals.length ? evals.map(figure).join('') : '<p class="empty">No evaluation records in this run.</p>')}
${section('Communication', bytes ? figure(bytes) : '<p class="empty">No round records in this run.</p>')}
${section('Cost', costTable(input.cost))}
${section('Configuration', `<details><summary>config.json</summary><pre>${escapeJson(input.config)}</pre></details>`)}
${notes}
<footer>fsllm-native · this page is self-contained and loads nothing from the network</footer>
</main>
</body>
</html>
`;
}
