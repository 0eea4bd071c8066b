/**
 * `report.html` of a search: the best configuration, the results table (rank, the searched values, objective,
 * rounds, seconds), for successive halving a chart of every trial's objective per rung, and the plan. Built
 * from the run report's pieces (page style, escaping, number formats, line chart); self-contained, nothing
 * fetched.
 */
import { escapeHtml, escapeJson } from '../report/html.js';
import { formatDate, formatDuration, formatInt, formatValue } from '../report/format.js';
import { lineChart, type ChartSeries } from '../report/lineChart.js';
import { PAGE_STYLE } from '../report/pageStyle.js';
import type { HpoPlan } from './hpoPlan.js';
import type { BestSummary } from './hpoResults.js';
import { describeObjective } from './objective.js';
import type { TrialRecord } from './types.js';

/** What the page shows. */
export interface HpoReportInput {
  plan: HpoPlan;
  /** Each trial's furthest record, best first. */
  ranking: readonly TrialRecord[];
  /** Every trial-rung (for the per-rung chart and the seconds per trial). */
  latest: readonly TrialRecord[];
  summary: BestSummary;
  /** Shown in the header; defaults to now. */
  date?: Date;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1', '#9c755f', '#ff9da7', '#bab0ac', '#edc948'];
const EXTRA_STYLE = 'table.results { max-width: none; } td.best { font-weight: 600; } .status-failed, .status-diverged { color: #b91c1c; }';

/** A searched value as written in the space: numbers as they are, anything else as JSON. */
function showValue(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

function bestSection(summary: BestSummary, keys: readonly string[]): string {
  const best = summary.best;
  if (!best) return section('Best configuration', '<p class="empty">No trial has finished with a finite objective yet.</p>');
  const rows = keys.map((k) => `<tr><th scope="row">${escapeHtml(k)}</th><td class="num">${escapeHtml(showValue(best.config[k]))}</td></tr>`).join('');
  const link = `trials/${encodeURIComponent(best.id)}/report.html`;
  const head = `<p>Trial <a href="${escapeHtml(link)}">${escapeHtml(best.id)}</a>: ${escapeHtml(summary.objective)} <b>${formatValue(best.value)}</b>`
    + ` after ${formatInt(best.rounds)} round${best.rounds === 1 ? '' : 's'}.</p>`;
  return section('Best configuration', `${head}<table class="best"><tbody>${rows}</tbody></table>`);
}

function resultsTable(input: HpoReportInput, seconds: Map<string, number>): string {
  const keys = input.plan.space.map((d) => d.key);
  const head = ['Rank', 'Trial', ...keys, input.plan.objective.name, 'Rounds', 'Time', 'Status'].map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = input.ranking.map((r, i) => {
    const cells = [
      `<td class="num">${i + 1}</td>`,
      `<td><a href="trials/${encodeURIComponent(r.id)}/report.html">${escapeHtml(r.id)}</a></td>`,
      ...keys.map((k) => `<td class="num">${escapeHtml(showValue(r.config[k]))}</td>`),
      `<td class="num${i === 0 && r.status === 'ok' ? ' best' : ''}">${r.value === null ? '\u2014' : formatValue(r.value)}</td>`,
      `<td class="num">${formatInt(r.rounds)}</td>`,
      `<td class="num">${formatDuration(seconds.get(r.id) ?? r.seconds)}</td>`,
      `<td class="status-${r.status}" title="${escapeHtml(r.error ?? '')}">${escapeHtml(r.status)}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  }).join('');
  const body = rows || '<tr><td colspan="99" class="empty">No trial has finished yet.</td></tr>';
  return `<table class="results"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Objective per rung, one line per trial: how successive halving narrowed the field. */
function rungChart(input: HpoReportInput): string {
  const byTrial = new Map<string, TrialRecord[]>();
  for (const r of input.latest) byTrial.set(r.id, [...(byTrial.get(r.id) ?? []), r]);
  const series: ChartSeries[] = [...byTrial.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, rs], i) => ({
    label: id,
    color: PALETTE[i % PALETTE.length]!,
    points: rs.map((r): [number, number | null] => [r.rounds, r.status === 'ok' ? r.value : null]),
  }));
  return `<figure>${lineChart({ title: `${input.plan.objective.name} per rung`, xLabel: 'rounds', yLabel: input.plan.objective.name, integerX: true, series })}</figure>`;
}

/**
 * The report page of a search. Pure apart from the default date; every string from the plan and the records
 * (keys, values, ids, errors) is escaped.
 */
export function renderHpoReport(input: HpoReportInput): string {
  const { plan, summary } = input;
  const seconds = new Map<string, number>();
  for (const r of input.latest) seconds.set(r.id, (seconds.get(r.id) ?? 0) + r.seconds);
  const keys = plan.space.map((d) => d.key);
  const title = `Hyper-parameter search (${plan.scheduler}) over ${plan.trials.length} configuration${plan.trials.length === 1 ? '' : 's'}`;
  const pills = [
    `objective <b>${escapeHtml(describeObjective(plan.objective))}</b>`,
    `<b>${formatInt(summary.trials)}</b> of ${formatInt(plan.trials.length)} trials run`,
    `<b>${formatInt(summary.totalRounds)}</b> rounds trained`,
    `<b>${formatDuration(summary.trialSeconds)}</b> of trial time`,
    ...(plan.budgets ? [`rungs <b>${escapeHtml(plan.budgets.join(', '))}</b> rounds, keep 1/${escapeHtml(plan.eta)}`] : []),
  ];
  const notes = plan.notes.length ? section('Notes', `<ul class="notes">${plan.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`) : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}${EXTRA_STYLE}</style>
</head>
<body>
<main>
<header><h1>${escapeHtml(title)}</h1><p class="date">Search report · generated ${formatDate(input.date ?? new Date())}</p>`
    + `<ul class="summary">${pills.map((p) => `<li>${p}</li>`).join('')}</ul></header>
${bestSection(summary, keys)}
${section('Results', resultsTable(input, seconds))}
${plan.budgets && input.latest.length ? section('Successive halving', rungChart(input)) : ''}
${section('Plan', `<details><summary>hpo.json</summary><pre>${escapeJson(plan)}</pre></details>`)}
${notes}
<footer>fsllm-native · each trial's own report is linked from its id · this page loads nothing from the network</footer>
</main>
</body>
</html>
`;
}
