/**
 * A line chart as one inline `<svg>` string: title, linear axes with nice ticks, grid, one path per
 * series and a legend underneath. Styling is in presentation attributes, so it draws without CSS or
 * JS; hover text comes from SVG `<title>` elements. It does not do log scales or dual axes.
 */
import { escapeHtml } from './html.js';
import { formatFixed } from './format.js';
import { niceScale, type NiceScale } from './niceScale.js';

/** One line. Points need not be sorted; a non-finite or null `y` leaves a gap. */
export interface ChartSeries {
  label: string;
  points: ReadonlyArray<readonly [x: number, y: number | null]>;
  /** Any CSS colour. */
  color: string;
  /** Stroke width in px (default 1.75); heavier lines are drawn on top. */
  width?: number;
  /** SVG `stroke-dasharray`, e.g. `'6 4'`; solid when absent. */
  dash?: string;
}

/** What `lineChart` draws; sizes are in CSS px of the SVG's own coordinate system. */
export interface LineChartOptions {
  title: string;
  series: readonly ChartSeries[];
  xLabel?: string;
  yLabel?: string;
  /** Total width (default 960). */
  width?: number;
  /** Height of the plotting area alone (default 260); title, axes and legend add to it. */
  plotHeight?: number;
  /** Ticks on x only at integers (rounds). */
  integerX?: boolean;
  /** Include 0 on the y axis (for magnitudes such as bytes); otherwise the axis fits the data. */
  yZero?: boolean;
  /** Series with more points than this get no hover markers (default 120), which keeps big charts light. */
  markerLimit?: number;
}

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
const AXIS = '#6b7280';
const GRID = '#e5e7eb';
const TEXT = '#1f2937';

/** Fixed-point number for coordinates: one decimal is sub-pixel, and keeps 1000-point paths short. */
const px = (v: number): string => String(Math.round(v * 10) / 10);

/** Min and max without spreading (a spread of 100k+ arguments overflows the stack). */
function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
  x: NiceScale;
  y: NiceScale;
}

const sx = (f: Frame, v: number): number => f.left + ((v - f.x.min) / (f.x.max - f.x.min)) * f.width;
const sy = (f: Frame, v: number): number => f.top + f.height - ((v - f.y.min) / (f.y.max - f.y.min)) * f.height;

/** Finite points sorted by x; a non-finite y stays as a gap marker (NaN). */
function clean(series: ChartSeries): [number, number][] {
  return series.points
    .filter(([x]) => Number.isFinite(x))
    .map(([x, y]): [number, number] => [x, y !== null && Number.isFinite(y) ? y : NaN])
    .sort((a, b) => a[0] - b[0]);
}

function axes(f: Frame, o: LineChartOptions): string {
  const out: string[] = [];
  const bottom = f.top + f.height;
  for (const t of f.y.ticks) {
    const y = px(sy(f, t));
    out.push(`<line x1="${f.left}" x2="${f.left + f.width}" y1="${y}" y2="${y}" stroke="${GRID}"/>`);
    out.push(`<text x="${f.left - 8}" y="${y}" dy="0.32em" text-anchor="end">${formatFixed(t, f.y.decimals)}</text>`);
  }
  for (const t of f.x.ticks) {
    const x = px(sx(f, t));
    out.push(`<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 5}" stroke="${AXIS}"/>`);
    out.push(`<text x="${x}" y="${bottom + 18}" text-anchor="middle">${formatFixed(t, f.x.decimals)}</text>`);
  }
  out.push(`<line x1="${f.left}" x2="${f.left + f.width}" y1="${bottom}" y2="${bottom}" stroke="${AXIS}"/>`);
  out.push(`<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${bottom}" stroke="${AXIS}"/>`);
  if (o.xLabel) out.push(`<text x="${f.left + f.width / 2}" y="${bottom + 36}" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
  if (o.yLabel) {
    const cy = f.top + f.height / 2;
    out.push(`<text transform="translate(14 ${cy}) rotate(-90)" text-anchor="middle">${escapeHtml(o.yLabel)}</text>`);
  }
  return `<g class="axes" fill="${AXIS}" font-size="12">${out.join('')}</g>`;
}

/** The path of one series (gaps start a new subpath) plus markers for hover and isolated points. */
function seriesMarkup(f: Frame, s: ChartSeries, points: [number, number][], markerLimit: number, xName: string): string {
  const width = s.width ?? 1.75;
  let d = '';
  let pen = false;
  const markers: string[] = [];
  points.forEach(([x, y], i) => {
    if (Number.isNaN(y)) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${px(sx(f, x))} ${px(sy(f, y))}`;
    pen = true;
    const isolated = !(points[i - 1] && !Number.isNaN(points[i - 1]![1])) && !(points[i + 1] && !Number.isNaN(points[i + 1]![1]));
    if (isolated || points.length <= markerLimit) {
      const tip = `${escapeHtml(s.label)} \u00b7 ${escapeHtml(xName)} ${Number(x.toPrecision(6))}: ${Number(y.toPrecision(5))}`;
      const r = isolated ? width + 2 : width + 1;
      markers.push(`<circle cx="${px(sx(f, x))}" cy="${px(sy(f, y))}" r="${r}"><title>${tip}</title></circle>`);
    }
  });
  const dash = s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : '';
  const path = d ? `<path class="line" d="${d}" fill="none" stroke-width="${width}" stroke-linejoin="round" stroke-linecap="round"${dash}/>` : '';
  return `<g class="series" data-series="${escapeHtml(s.label)}" stroke="${escapeHtml(s.color)}" fill="${escapeHtml(s.color)}">`
    + `<title>${escapeHtml(s.label)}</title>${path}${markers.join('')}</g>`;
}

/** Legend entries flowed left to right in rows under the plot; returns the markup and its height. */
function legend(series: readonly ChartSeries[], left: number, top: number, maxWidth: number): { svg: string; height: number } {
  const items: string[] = [];
  let x = 0;
  let row = 0;
  for (const s of series) {
    const w = 34 + s.label.length * 7 + 22; // swatch + estimated text width (12 px font) + gap
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      row++;
    }
    const y = top + row * 20;
    const dash = s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : '';
    items.push(`<g class="legend-item"><line x1="${left + x}" x2="${left + x + 26}" y1="${y}" y2="${y}" stroke="${escapeHtml(s.color)}" stroke-width="${Math.max(2, s.width ?? 1.75)}"${dash}/>`
      + `<text x="${left + x + 32}" y="${y}" dy="0.32em">${escapeHtml(s.label)}</text></g>`);
    x += w;
  }
  return { svg: `<g class="legend" fill="${TEXT}" font-size="12">${items.join('')}</g>`, height: series.length ? (row + 1) * 20 + 8 : 0 };
}

/**
 * Renders `options` as an `<svg>` element string. Copes with no data (axes and a "no data" note), a
 * single point (the range is widened and the point gets a marker), gaps, and thousands of points.
 * @example
 * lineChart({ title: 'Loss', xLabel: 'round', integerX: true,
 *   series: [{ label: 'global', color: '#222', points: [[1, 2.3], [2, 2.1]] }] });
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 960;
  const plotHeight = options.plotHeight ?? 260;
  const prepared = options.series.map((s) => ({ s, points: clean(s) }));
  const xs = prepared.flatMap((p) => p.points.map((q) => q[0]));
  const ys = prepared.flatMap((p) => p.points.map((q) => q[1]).filter((y) => !Number.isNaN(y)));
  const hasData = ys.length > 0;
  const [x0, x1] = extent(xs);
  const [y0, y1] = extent(ys);
  const xScale = niceScale(x0, x1, Math.min(10, Math.max(1, xs.length)), options.integerX);
  const yScale = options.yZero ? niceScale(Math.min(0, y0), Math.max(0, y1), 5) : niceScale(y0, y1, 5);
  const labelChars = extent(yScale.ticks.map((t) => formatFixed(t, yScale.decimals).length))[1];
  const left = Math.max(72, labelChars * 7.5 + 34); // one width for most charts keeps their plots aligned
  // Pad x by 2% a side so the first and last points do not sit on the axis lines.
  const pad = (xScale.max - xScale.min) * 0.02;
  const frame: Frame = { left, top: 40, width: width - left - 24, height: plotHeight, x: { ...xScale, min: xScale.min - pad, max: xScale.max + pad }, y: yScale };
  const key = legend(options.series, left, frame.top + plotHeight + 62, frame.width);
  const height = frame.top + plotHeight + 52 + key.height;
  const marker = options.markerLimit ?? 120;
  // Thin lines first so the heavy ones (mean, global) stay on top; sort is stable.
  const drawn = [...prepared].sort((a, b) => (a.s.width ?? 1.75) - (b.s.width ?? 1.75));
  const body = hasData
    ? drawn.map((p) => seriesMarkup(frame, p.s, p.points, marker, options.xLabel ?? 'x')).join('')
    : `<text x="${left + frame.width / 2}" y="${frame.top + plotHeight / 2}" text-anchor="middle" fill="${AXIS}">no data</text>`;
  const title = escapeHtml(options.title);
  return `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="${FONT}">`
    + `<title>${title}</title>`
    + `<text x="${left}" y="22" font-size="15" font-weight="600" fill="${TEXT}">${title}</text>`
    + `${axes(frame, options)}<g class="plot">${body}</g>${key.svg}</svg>`;
}
