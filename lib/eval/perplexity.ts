/**
 * Perplexity next to loss (FS-LLM's LLM trainer reported loss only; FederatedScope issue #789). Perplexity is
 * exp of the mean token cross-entropy in nats, so it follows from every loss record without another forward
 * pass.
 */
import type { EvalRecord } from '../report/records.js';

/**
 * exp(mean token loss). NaN stays NaN (an empty split), and a loss too large for a double gives Infinity.
 * @param meanTokenLoss Mean cross-entropy per target token, in nats.
 */
export function perplexity(meanTokenLoss: number): number {
  return Math.exp(meanTokenLoss);
}

/**
 * The perplexity record of each loss record (same round, target, split, count and variant; `metric:
 * 'perplexity'`), each placed right after its loss record; other records pass through unchanged.
 * A 'mean' target's perplexity is exp of the mean of the clients' losses, i.e. the geometric mean of their
 * perplexities, not the mean of their perplexities.
 */
export function withPerplexity(records: readonly EvalRecord[]): EvalRecord[] {
  return records.flatMap((r) => (r.metric === 'loss' ? [r, { ...r, metric: 'perplexity', value: perplexity(r.value) }] : [r]));
}
