/**
 * "Did you mean ...?" for misspelt option names and values: Levenshtein distance over names folded
 * to lower case without `_`/`-`, so `client_num`, `clientnum` and `clientNum` count as the same word.
 */

/** Edit distance (insertions, deletions, substitutions, each cost 1) between `a` and `b`. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // One row of the DP table at a time: prev[j] = distance(a[0..i), b[0..j)).
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitute));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function fold(word: string): string {
  return word.toLowerCase().replace(/[_-]/g, '');
}

/** Folded distance, where one word starting with the other (3+ letters: `freq`/`frequency`) counts as 1. */
function distance(a: string, b: string): number {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short !== long && short.length >= 3 && long.startsWith(short)) return 1;
  return levenshtein(a, b);
}

/**
 * The candidate closest to `word`, or `undefined` when none is close enough to be a plausible
 * misspelling (more than max(2, a third of the word's length) edits away after folding, unless
 * one is a prefix of the other). Ties go to the candidate closest before folding, then the earlier one.
 */
export function nearestKey(word: string, candidates: Iterable<string>): string | undefined {
  const folded = fold(word);
  const limit = Math.max(2, Math.ceil(folded.length / 3));
  let best: { key: string; d: number; raw: number } | undefined;
  for (const key of candidates) {
    const d = distance(folded, fold(key));
    if (d > limit) continue;
    const raw = levenshtein(word, key);
    if (!best || d < best.d || (d === best.d && raw < best.raw)) best = { key, d, raw };
  }
  return best?.key;
}
