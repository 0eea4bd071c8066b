/**
 * The unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on Code",
 * §2.1 and Figure 3): with n samples of which c pass, pass@k = 1 − C(n−c, k) / C(n, k), the chance that k
 * samples drawn without replacement include a passing one.
 * reference: openai/human-eval `human_eval/evaluation.py` `estimate_pass_at_k` (the same product form).
 */
import { invalidArg } from '../errors/index.js';

/**
 * pass@k of one task. Computed as 1 − ∏_{i=n−c+1}^{n} (1 − k/i), which equals the binomial ratio but never
 * forms C(n, k) (it overflows a double from n ≈ 1030 at k = n/2).
 * @param n Samples drawn for the task (integer ≥ 1).
 * @param c How many of them passed (integer in [0, n]).
 * @param k Integer in [1, n]. human-eval's own estimator returns 1 when n − c < k, which for n < k means
 *   "1" even with no passing sample; we refuse n < k instead (human-eval's driver also skips such k).
 * @throws `ERR_FSLLM_INVALID_ARG` naming `n`, `c` or `k` when out of range.
 * @example passAtK(5, 1, 1) // 0.2
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || n < 1) throw invalidArg('n', 'an integer ≥ 1 (samples of the task)', n);
  if (!Number.isInteger(c) || c < 0 || c > n) throw invalidArg('c', `an integer in [0, ${n}] (passing samples)`, c);
  if (!Number.isInteger(k) || k < 1 || k > n) throw invalidArg('k', `an integer in [1, ${n}] (k must not exceed the samples)`, k);
  if (n - c < k) return 1;
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i++) allFail *= 1 - k / i;
  return 1 - allFail;
}

/** Per task: samples drawn and samples passed. */
export interface TaskPassCount {
  n: number;
  c: number;
}

/**
 * The mean pass@k over tasks for each k, as human-eval reports it. A k larger than some task's n is left out
 * (human-eval's `if (total >= k).all()`), so the result may lack keys that were asked for.
 * @returns e.g. `{ 'pass@1': 0.32, 'pass@10': 0.61 }`; `{}` for no tasks.
 */
export function meanPassAtK(tasks: readonly TaskPassCount[], ks: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (tasks.length === 0) return out;
  for (const k of ks) {
    if (!tasks.every((t) => t.n >= k)) continue;
    out[`pass@${k}`] = tasks.reduce((sum, t) => sum + passAtK(t.n, t.c, k), 0) / tasks.length;
  }
  return out;
}
