/** The plain aggregates every task reports (fraction correct, mean score). */

/** The fraction of `flags` that are true, with the count it is over; NaN for no items (never a false 0). */
export function accuracy(flags: readonly boolean[]): { n: number; correct: number; accuracy: number } {
  const correct = flags.reduce((sum, flag) => sum + (flag ? 1 : 0), 0);
  return { n: flags.length, correct, accuracy: flags.length > 0 ? correct / flags.length : NaN };
}

/** The arithmetic mean of `values`; NaN for none. */
export function mean(values: readonly number[]): number {
  return values.length > 0 ? values.reduce((sum, v) => sum + v, 0) / values.length : NaN;
}
