/**
 * "Did you mean ...?" for misspelt option names and values. A candidate can match in two ways:
 * - as a typo: Levenshtein distance, dotted segment by segment, over names folded to lower case
 *   without `_`/`-` (`client_num`, `clientnum` and `clientNum` are the same word);
 * - by its words: every word the user typed is one of the candidate's words (or a typo of one), and the
 *   candidate may have more (`rounds` → `totalRounds`, `train.lr` → `train.optimizer.lr`); a last
 *   segment of several words may also stand for its initials (`learningRate` → `lr`).
 * Typos are what a user misspells; missing words are what a user forgets. Counting the two apart keeps a
 * long shared prefix (`federate.`) from making an unrelated name (`federate.mode`) look close.
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

/** Lower-case words of a name: split at `.`, `_`, `-`, `@`, ... and at camelCase humps. */
function words(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
}

/** Folded distance, where one word starting with the other (3+ letters: `freq`/`frequency`) counts as 1. */
function distance(a: string, b: string): number {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short !== long && short.length >= 3 && long.startsWith(short)) return 1;
  return levenshtein(a, b);
}

/** How close a candidate is: typo edits first, then candidate words the user left out. */
interface Match { edits: number; missing: number }

const NONE: Match = { edits: Infinity, missing: Infinity };

/** Typo match: same number of dotted segments, each within max(2, a third of its length) edits. */
function typoMatch(typed: string, candidate: string): Match {
  const a = typed.split('.');
  const b = candidate.split('.');
  if (a.length !== b.length) return NONE;
  let edits = 0;
  for (let i = 0; i < a.length; i++) {
    const x = fold(a[i] ?? '');
    const d = distance(x, fold(b[i] ?? ''));
    if (d > Math.max(2, Math.ceil(x.length / 3))) return NONE;
    edits += d;
  }
  return { edits, missing: 0 };
}

/** Cost of reading typed word `w` as candidate word `c`: a third of its letters may be wrong (so none under 3). */
function wordCost(w: string, c: string): number {
  const d = distance(w, c);
  return d <= Math.floor(w.length / 3) ? d : Infinity;
}

/** Word match of typed words `want` against `candidate`: each pairs with a candidate word of its own. */
function wordMatch(want: readonly string[], candidate: string): Match {
  const have = words(candidate);
  if (want.length === 0 || want.length > have.length) return NONE;
  // Greedy, cheapest pairs first. Names have a handful of words, so this finds the best pairing in
  // practice, and a rare miss only costs a suggestion.
  const pairs: Array<[cost: number, i: number, j: number]> = [];
  want.forEach((w, i) => have.forEach((c, j) => {
    const cost = wordCost(w, c);
    if (cost !== Infinity) pairs.push([cost, i, j]);
  }));
  pairs.sort((p, q) => p[0] - q[0]);
  const usedWant = new Set<number>();
  const usedHave = new Set<number>();
  let edits = 0;
  for (const [cost, i, j] of pairs) {
    if (usedWant.has(i) || usedHave.has(j)) continue;
    usedWant.add(i);
    usedHave.add(j);
    edits += cost;
  }
  return usedWant.size < want.length ? NONE : { edits, missing: have.length - want.length };
}

/**
 * The ways to read `typed` as words: its own words, and, when its last segment has several words,
 * with that segment shortened to its initials at one edit (`learningRate` → `lr`). Only the last
 * segment: option names are where abbreviations live, and the readings stay two at most.
 */
function readings(typed: string): Array<{ words: string[]; edits: number }> {
  const all = words(typed);
  const last = words(leaf(typed));
  if (last.length < 2) return [{ words: all, edits: 0 }];
  const initials = last.map((w) => w[0]).join('');
  return [{ words: all, edits: 0 }, { words: [...all.slice(0, all.length - last.length), initials], edits: 1 }];
}

function leaf(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

function better(a: Match, b: Match): boolean {
  return a.edits < b.edits || (a.edits === b.edits && a.missing < b.missing);
}

/**
 * The candidate the user most likely meant by `word`, or `undefined` when none is plausible (see the
 * file comment for what counts). Candidates may be dotted paths. Ties go to fewer missing words, then
 * the candidate whose last segment is closest before folding, then the earlier one (so `batch_size`
 * suggests `train.batchSize` before `eval.batchSize`, as the schema lists it first).
 */
export function nearestKey(word: string, candidates: Iterable<string>): string | undefined {
  const ways = readings(word);
  let best: { key: string; m: Match; raw: number } | undefined;
  for (const key of candidates) {
    let m = typoMatch(word, key);
    for (const r of ways) {
      const w = wordMatch(r.words, key);
      const read = { edits: w.edits + r.edits, missing: w.missing };
      if (better(read, m)) m = read;
    }
    if (m.edits === Infinity) continue;
    const raw = levenshtein(leaf(word), leaf(key));
    if (!best || better(m, best.m) || (!better(best.m, m) && raw < best.raw)) best = { key, m, raw };
  }
  return best?.key;
}
