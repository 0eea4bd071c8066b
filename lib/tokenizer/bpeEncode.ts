import type { Llama2cVocab } from './llama2cVocab.js';
import { LLAMA2C_UNK_ID } from './llama2cVocab.js';
import type { PairHeap } from './PairHeap.js';
import type { PairTable } from './pairTable.js';

/**
 * SentencePiece BPE encoding over a llama2.c vocabulary, without BOS/EOS.
 *
 * reference: sentencepiece `bpe_model.cc` `Model::SampleEncode`/`Encode` (v0.2.0) and llama2.c
 * `run.c` `encode()` (commit 350e04f). Steps:
 * 1. prepend the dummy-prefix space (SentencePiece `add_dummy_prefix`; not for empty text);
 * 2. one symbol per Unicode code point;
 * 3. repeatedly merge the adjacent pair whose concatenation is a normal piece with the highest
 *    score (leftmost on ties) until no pair is a piece;
 * 4. a symbol that is not a piece becomes one `<0xXX>` token per UTF-8 byte (byte fallback), or
 *    `<unk>` when the vocabulary has no byte pieces.
 *
 * Step 4 follows SentencePiece (fallback after merging); run.c falls back before merging. The two
 * agree whenever every character of every multi-character piece is itself a piece, which holds for
 * the Llama 32k and stories tok512 vocabularies (checked by `make_tokenizer_fixtures.py`).
 *
 * Runs in O(n log n): a linked list of symbols plus a heap of candidate pairs, where each entry
 * carries the versions of its two symbols so stale entries are skipped when popped. Pairs are
 * looked up by id ({@link PairTable}); strings are concatenated only for a symbol that is not a
 * piece, and only in a vocabulary where such a symbol could still merge.
 * @param heap Scratch queue, reset here; the caller owns it so repeated calls reuse its memory.
 * @internal
 */
export function bpeEncode(vocab: Llama2cVocab, text: string, heap: PairHeap): number[] {
  if (text.length === 0) return [];
  const { normalIds, scores, pieces, charIds } = vocab;
  const { merges, closed } = vocab.pairs;
  const vocabSize = pieces.length;

  // Symbols: piece id (or -1) and code point, one per code point of " " + text.
  const cps = codePoints(text);
  const n = cps.length;
  const symId = new Int32Array(n);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const version = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cp = cps[i] as number;
    symId[i] = cp < 0x10000 ? (charIds[cp] as number) : (normalIds.get(String.fromCodePoint(cp)) ?? -1);
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const symText = (i: number): string => {
    const id = symId[i] as number;
    return id >= 0 ? (pieces[id] as string) : String.fromCodePoint(cps[i] as number);
  };

  heap.reset();
  const consider = (l: number, r: number): void => {
    const a = symId[l] as number;
    const b = symId[r] as number;
    let id: number | undefined;
    if (a >= 0 && b >= 0) id = merges.get(a * vocabSize + b);
    else if (!closed) id = normalIds.get(symText(l) + symText(r));
    if (id !== undefined) heap.push(scores[id] as number, l, r, version[l] as number, version[r] as number, id);
  };
  for (let i = 0; i + 1 < n; i++) consider(i, i + 1);

  for (let e = heap.pop(); e >= 0; e = heap.pop()) {
    const l = heap.left(e);
    const r = heap.right(e);
    if (version[l] !== heap.leftVersion(e) || version[r] !== heap.rightVersion(e)) continue; // stale
    symId[l] = heap.mergedId(e);
    version[l]++;
    version[r]++; // r is absorbed into l; every queued pair that mentions it is now stale
    const after = next[r] as number;
    next[l] = after;
    if (after >= 0) prev[after] = l;
    const before = prev[l] as number;
    if (before >= 0) consider(before, l);
    if (after >= 0) consider(l, after);
  }

  // Symbol 0 is never absorbed (merges absorb the right symbol), so it heads the list. A symbol
  // without an id is still the single code point it started as.
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i] as number) {
    const id = symId[i] as number;
    if (id >= 0) out.push(id);
    else pushByteFallback(out, vocab.byteIds, cps[i] as number);
  }
  return out;
}

/** Code points of `" " + text` (the dummy prefix first); a lone surrogate becomes U+FFFD. */
function codePoints(text: string): Int32Array {
  const out = new Int32Array(text.length + 1);
  out[0] = 0x20;
  let n = 1;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    out[n++] = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
  }
  return out.subarray(0, n);
}

/**
 * Appends the byte tokens of one code point's UTF-8 encoding; only unmerged symbols reach here.
 * Without byte pieces for all of its bytes the symbol becomes a single `<unk>`, as in SentencePiece.
 */
function pushByteFallback(out: number[], byteIds: Int32Array, cp: number): void {
  const bytes =
    cp < 0x80 ? [cp]
    : cp < 0x800 ? [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)]
    : cp < 0x10000 ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
    : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  const ids = bytes.map((b) => byteIds[b] as number);
  if (ids.every((id) => id >= 0)) out.push(...ids);
  else out.push(LLAMA2C_UNK_ID);
}
