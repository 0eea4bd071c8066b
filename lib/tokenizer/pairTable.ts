/**
 * Merge lookup by id pair, so that the BPE loop never builds or hashes strings for two symbols that
 * are both pieces. `merges.get(left * vocabSize + right)` is the normal piece whose text is
 * `pieces[left] + pieces[right]`; every split of every normal piece into two normal pieces is listed,
 * so this answers exactly what a string lookup of the concatenation would.
 */
export interface PairTable {
  readonly merges: ReadonlyMap<number, number>;
  /**
   * True when every character of every multi-character normal piece is itself a normal piece. Then a
   * symbol that is not a piece can never be part of a merge, and string lookups can be skipped.
   */
  readonly closed: boolean;
}

/**
 * Builds the {@link PairTable} of a vocabulary.
 * @param normalIds Text → id of the normal pieces.
 * @param vocabSize Number of ids; the key multiplier.
 * @internal
 */
export function buildPairTable(normalIds: ReadonlyMap<string, number>, vocabSize: number): PairTable {
  const merges = new Map<number, number>();
  let closed = true;
  for (const [text, id] of normalIds) {
    let k = 0;
    while (k < text.length) {
      const cp = text.codePointAt(k) as number;
      const width = cp > 0xffff ? 2 : 1;
      if (closed && text.length > width && !normalIds.has(text.slice(k, k + width))) closed = false;
      k += width;
      if (k >= text.length) break;
      const left = normalIds.get(text.slice(0, k));
      const right = normalIds.get(text.slice(k));
      if (left !== undefined && right !== undefined) merges.set(left * vocabSize + right, id);
    }
  }
  return { merges, closed };
}
