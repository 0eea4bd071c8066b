// Element-wise comparison of fp32 results with stated tolerances, for the golden tests (no suites here).
// An element passes when |actual - expected| <= abs + rel * |expected| (numpy `allclose`); NaN never
// passes. Every comparison returns its observed errors, and GOLDEN_VERBOSE=1 prints them.
import * as assert from 'uvu/assert';

export interface Tolerance {
  /** Absolute part of the bound. */
  abs: number;
  /** Part of the bound proportional to |expected|. */
  rel: number;
}

export interface CloseReport {
  /** Elements compared (after `select`). */
  count: number;
  /** max |actual - expected| over the compared elements. */
  maxAbs: number;
  /** max |actual - expected| / |expected| over the compared elements with expected != 0. */
  maxRel: number;
  /** max |actual - expected| / bound: <= 1 means every element passed. */
  worst: number;
  /** Flat index of the element with the largest `worst`, or -1. */
  index: number;
}

/** Which flat indices to compare; absent means all. */
export type Selector = (index: number) => boolean;

/** A uniform tolerance, or each element's own absolute bound (from its flat index). */
export type Bound = Tolerance | ((index: number) => number);

/** Measures how far `actual` is from `expected` under `tol`. Lengths must match. */
export function compareClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Bound, select?: Selector): CloseReport {
  assert.is(actual.length, expected.length, 'length of actual vs expected');
  const report: CloseReport = { count: 0, maxAbs: 0, maxRel: 0, worst: 0, index: -1 };
  for (let i = 0; i < expected.length; i++) {
    if (select && !select(i)) continue;
    const a = actual[i]!;
    const e = expected[i]!;
    const diff = Math.abs(a - e);
    const bound = typeof tol === 'function' ? tol(i) : tol.abs + tol.rel * Math.abs(e);
    const ratio = Number.isNaN(diff) ? Infinity : diff / bound;
    report.count += 1;
    if (!(diff <= report.maxAbs)) report.maxAbs = Number.isNaN(diff) ? Infinity : diff;
    if (e !== 0 && diff / Math.abs(e) > report.maxRel) report.maxRel = diff / Math.abs(e);
    if (ratio > report.worst || report.index < 0) {
      report.worst = Math.max(ratio, report.worst);
      report.index = i;
    }
  }
  return report;
}

/**
 * Asserts that every selected element of `actual` is within `tol` of `expected`; the failure message
 * names the worst element. Also asserts that something was compared.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Bound,
  label: string,
  select?: Selector,
): CloseReport {
  const r = compareClose(actual, expected, tol, select);
  logReport(label, r);
  check(r, actual, expected, tol, label);
  return r;
}

/** One tensor of a multi-tensor comparison. */
export interface NamedComparison {
  name: string;
  actual: ArrayLike<number>;
  expected: ArrayLike<number>;
  tol: Bound;
}

/** `assertClose` over several tensors, logged as one line: the report is the worst over all of them. */
export function assertCloseEach(items: Iterable<NamedComparison>, label: string): CloseReport {
  const total: CloseReport = { count: 0, maxAbs: 0, maxRel: 0, worst: 0, index: -1 };
  const checks: (() => void)[] = [];
  for (const { name, actual, expected, tol } of items) {
    const r = compareClose(actual, expected, tol);
    checks.push(() => check(r, actual, expected, tol, `${label} ${name}`));
    total.count += r.count;
    total.maxAbs = Math.max(total.maxAbs, r.maxAbs);
    total.maxRel = Math.max(total.maxRel, r.maxRel);
    total.worst = Math.max(total.worst, r.worst);
  }
  logReport(label, total);
  assert.ok(checks.length > 0, `${label}: no tensors were compared`);
  for (const run of checks) run();
  return total;
}

function check(r: CloseReport, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Bound, label: string): void {
  assert.ok(r.count > 0, `${label}: nothing was compared`);
  if (r.worst <= 1) return;
  const i = r.index;
  const bound = typeof tol === 'function' ? `${tol(i).toExponential(2)}` : `${tol.abs} + ${tol.rel}·|expected|`;
  assert.unreachable(
    `${label}: element ${i} is ${actual[i]} but expected ${expected[i]} ` +
      `(|diff| ${Math.abs(actual[i]! - expected[i]!).toExponential(2)} > ${bound}; ` +
      `max abs ${r.maxAbs.toExponential(2)} over ${r.count} elements)`,
  );
}

/** Asserts one scalar within `tol`. */
export function assertCloseScalar(actual: number, expected: number, tol: Tolerance, label: string): CloseReport {
  return assertClose([actual], [expected], tol, label);
}

/** Prints a comparison's observed errors when GOLDEN_VERBOSE is set (used to write tolerance notes). */
export function logReport(label: string, r: Pick<CloseReport, 'maxAbs' | 'maxRel' | 'worst' | 'count'>): void {
  if (!process.env.GOLDEN_VERBOSE) return;
  console.log(`  [golden] ${label}: n=${r.count} maxAbs=${r.maxAbs.toExponential(2)} maxRel=${r.maxRel.toExponential(2)} worst=${r.worst.toFixed(3)}`);
}

/** Largest |x| (0 for an empty array). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

// --- Tolerances of the golden checks (fp32 on CPU; the fixtures are fp32 PyTorch, see meta.json)

/**
 * Logits (with and without the adapter, merged): STYLE §10's fp32 `1e-5` relative, with an equal
 * absolute floor for logits near 0. The fixtures' own fp32 error against a float64 replay is 6e-7.
 */
export const LOGITS_TOL: Tolerance = { abs: 1e-5, rel: 1e-5 };

/** The mean loss, a scalar near 5: a few fp32 ulps of reduction-order noise. */
export const LOSS_TOL: Tolerance = { abs: 0, rel: 1e-6 };

/**
 * Gradients and clipped gradients are compared with an absolute bound of 1e-5 × max|grad| of the whole
 * adapter (the meta.json floor is 7.4e-7 of it), since single entries can be arbitrarily close to 0. This
 * factor is applied by the tests; `rel` keeps large entries at the fp32 1e-5 relative standard.
 */
export const GRAD_REL_TO_MAX = 1e-5;
export const GRAD_TOL_REL = 1e-5;

/** The gradient tolerance for a reference adapter whose largest |grad| entry is `maxGrad`. */
export function gradTolerance(maxGrad: number): Tolerance {
  return { abs: GRAD_REL_TO_MAX * maxGrad, rel: GRAD_TOL_REL };
}

/** Parameters after one SGD step (|p| ~ 0.1, step 0.1·g): fp32 1e-5 relative with a 1e-7 floor. */
export const SGD_TOL: Tolerance = { abs: 1e-7, rel: 1e-5 };

/**
 * Parameters after one AdamW step, element by element. The first step moves p by about
 * u(g) = lr·g/(|g| + eps) (m̂ = g and v̂ = g² after bias correction), so an entry whose |g| is near the
 * gradient noise is ill-conditioned: meta.json measured 4.7e-5 between the fp32 fixture and its own
 * float64 replay for qwen2, and a flat 1e-4 bound would leave little margin. Instead each entry gets
 * the bound that the gradient check already implies: if our gradient is within `delta` of the
 * reference g, our update lies between u(g − delta) and u(g + delta); ADAMW_ROUNDING is added for the
 * fp32 arithmetic of the step itself. For |g| >= 1e-4 this bound is about 1e-6, tight enough to see
 * the decoupled weight decay (lr·wd·|p| ~ 1e-5) and the bias correction.
 */
export function adamwStepBound(g: number, delta: number, lr: number, eps: number): number {
  const u = (x: number) => (lr * x) / (Math.abs(x) + eps);
  return Math.max(Math.abs(u(g + delta) - u(g)), Math.abs(u(g) - u(g - delta))) + ADAMW_ROUNDING;
}

/** fp32 rounding of one AdamW step on |p| ~ 0.1 (ulp 7e-9), with margin. */
export const ADAMW_ROUNDING = 1e-6;

/** The global gradient norm (a sum of squares over ~7k entries in fp32). */
export const GRAD_NORM_TOL: Tolerance = { abs: 0, rel: 1e-5 };
