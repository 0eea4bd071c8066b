/**
 * ROUGE-L (Lin 2004, "ROUGE: A Package for Automatic Evaluation of Summaries", §3.1): precision, recall and F1
 * of the longest common subsequence of tokens, as Google's `rouge-score` package computes it by default
 * (`RougeScorer(['rougeL'])`, no stemmer). Used for Dolly responses against the references.
 * reference: google-research/rouge `rouge_score/tokenize.py`, `rouge_scorer.py` `_score_lcs`, `scoring.py` `fmeasure`.
 */
import { mean } from './metrics.js';

/** One comparison. */
export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/**
 * rouge-score's default tokens: lowercase, every run of characters other than ASCII `a-z0-9` becomes a
 * separator, empty pieces dropped. So letters outside ASCII split words ("café" gives "caf"), and digits and
 * letters stay joined ("3rd"). No stemming (rouge-score stems only when asked).
 */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/**
 * ROUGE-L of `prediction` against `target`: LCS length over the prediction's tokens (precision) and the
 * target's (recall), F1 = 2PR / (P + R). All three are 0 when either side has no token.
 * @example rougeL('the cat sat', 'the cat was sitting').fmeasure // 2*(2/4)*(2/3)/(2/4+2/3) = 0.571...
 */
export function rougeL(target: string, prediction: string): RougeScore {
  const t = rougeTokens(target);
  const p = rougeTokens(prediction);
  if (t.length === 0 || p.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(t, p);
  const precision = lcs / p.length;
  const recall = lcs / t.length;
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

/** Per pair and the mean of each figure over the pairs (NaN for none). */
export function meanRougeL(pairs: readonly { target: string; prediction: string }[]): { scores: RougeScore[]; mean: RougeScore } {
  const scores = pairs.map((pair) => rougeL(pair.target, pair.prediction));
  return {
    scores,
    mean: {
      precision: mean(scores.map((s) => s.precision)),
      recall: mean(scores.map((s) => s.recall)),
      fmeasure: mean(scores.map((s) => s.fmeasure)),
    },
  };
}

/** Length of the longest common subsequence, by the usual dynamic programme kept to two rows. */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Int32Array(b.length + 1);
  let row = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      row[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, row[j - 1]!);
    }
    [prev, row] = [row, prev];
  }
  return prev[b.length]!;
}
