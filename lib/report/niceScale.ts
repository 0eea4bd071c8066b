/** A linear axis with "nice" ticks (steps of 1, 2, 2.5 or 5 times a power of ten) covering a data range. */

/** The axis a chart draws: `[min, max]` is exactly the first and last tick. */
export interface NiceScale {
  min: number;
  max: number;
  step: number;
  ticks: number[];
  /** Decimals needed to print every tick exactly. */
  decimals: number;
}

/** Smallest number of decimals (up to 12) that prints `step` exactly. */
function decimalsOf(step: number): number {
  for (let d = 0; d < 12; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 12;
}

/** A step of 1, 2, 2.5 or 5 × 10^k at or above `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Ticks covering `[lo, hi]` with about `count` intervals. A degenerate range (one point, or a
 * constant series) is widened around its value; non-finite input gives the unit range `[0, 1]`.
 * @param integer ticks only at integers (rounds), so the step is at least 1.
 */
export function niceScale(lo: number, hi: number, count = 5, integer = false): NiceScale {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return niceScale(0, 1, count, integer);
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo <= Math.abs(lo) * 1e-9) {
    hi = lo;
    const pad = integer ? 1 : lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  let step = niceStep((hi - lo) / Math.max(1, count));
  if (integer) step = Math.max(1, Math.round(step));
  const decimals = decimalsOf(step);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return { min: ticks[0]!, max: ticks[ticks.length - 1]!, step, ticks, decimals };
}
