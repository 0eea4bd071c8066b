/** The HTML report of a federated run: `writeReport(dir)` for a run folder, `renderReport` for the page alone. */
export { renderReport, type ReportInput } from './renderReport.js';
export { parseMetrics, writeReport, type WriteReportOptions } from './writeReport.js';
export { lineChart, type ChartSeries, type LineChartOptions } from './lineChart.js';
export { niceScale, type NiceScale } from './niceScale.js';
export { escapeHtml } from './html.js';
export type { CostSummary, EvalRecord, RoundRecord, RunRecord, TrainRecord } from './records.js';
