/**
 * Max-priority queue of candidate merges for {@link bpeEncode}. Order: higher score first, then the
 * smaller left symbol index, which is SentencePiece's tie-break (`SymbolPairComparator` in
 * `bpe_model.cc`) and llama2.c's (first pair found by a left-to-right scan).
 *
 * Entries live in growable parallel typed arrays and are recycled by `reset()`, so encoding a long
 * text allocates almost nothing per merge. Entries are never removed when they go stale; the caller
 * checks the symbol versions stored with each entry when it pops one.
 * @internal
 */
export class PairHeap {
  #score = new Float64Array(64);
  #left = new Int32Array(64);
  #right = new Int32Array(64);
  #leftVersion = new Int32Array(64);
  #rightVersion = new Int32Array(64);
  #mergedId = new Int32Array(64);
  /** Binary heap of entry indices. */
  #heap = new Int32Array(64);
  #size = 0;
  #entries = 0;

  /** Number of entries currently queued. */
  get size(): number {
    return this.#size;
  }

  /** Drops every entry; previously returned entry indices become invalid. */
  reset(): void {
    this.#size = 0;
    this.#entries = 0;
  }

  /** Queues a candidate merge of symbols `left` and `right` into piece `mergedId`. */
  push(score: number, left: number, right: number, leftVersion: number, rightVersion: number, mergedId: number): void {
    if (this.#entries === this.#score.length) this.#grow();
    const e = this.#entries++;
    this.#score[e] = score;
    this.#left[e] = left;
    this.#right[e] = right;
    this.#leftVersion[e] = leftVersion;
    this.#rightVersion[e] = rightVersion;
    this.#mergedId[e] = mergedId;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.#heap[parent] as number;
      if (!this.#before(e, p)) break;
      this.#heap[i] = p;
      i = parent;
    }
    this.#heap[i] = e;
  }

  /** Removes the best entry and returns its index for the getters below; -1 when empty. */
  pop(): number {
    if (this.#size === 0) return -1;
    const top = this.#heap[0] as number;
    const last = this.#heap[--this.#size] as number;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.#size) break;
      const right = child + 1;
      if (right < this.#size && this.#before(this.#heap[right] as number, this.#heap[child] as number)) child = right;
      const c = this.#heap[child] as number;
      if (!this.#before(c, last)) break;
      this.#heap[i] = c;
      i = child;
    }
    this.#heap[i] = last;
    return top;
  }

  left(e: number): number { return this.#left[e] as number; }
  right(e: number): number { return this.#right[e] as number; }
  leftVersion(e: number): number { return this.#leftVersion[e] as number; }
  rightVersion(e: number): number { return this.#rightVersion[e] as number; }
  mergedId(e: number): number { return this.#mergedId[e] as number; }

  #before(a: number, b: number): boolean {
    const sa = this.#score[a] as number;
    const sb = this.#score[b] as number;
    return sa > sb || (sa === sb && (this.#left[a] as number) < (this.#left[b] as number));
  }

  #grow(): void {
    const n = this.#score.length * 2;
    this.#score = growFloat(this.#score, n);
    this.#left = growInt(this.#left, n);
    this.#right = growInt(this.#right, n);
    this.#leftVersion = growInt(this.#leftVersion, n);
    this.#rightVersion = growInt(this.#rightVersion, n);
    this.#mergedId = growInt(this.#mergedId, n);
    this.#heap = growInt(this.#heap, n);
  }
}

function growFloat(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

function growInt(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
