/**
 * Incremental UTF-8 → string decoder with SentencePiece's error rule: each byte that does not start
 * a complete, well-formed sequence (Unicode Table 3-7) becomes one U+FFFD, and decoding resumes at
 * the next byte. (WHATWG `TextDecoder` instead emits one U+FFFD per maximal ill-formed subpart, so
 * `E4 B8 61` gives `"\uFFFDa"` there but `"\uFFFD\uFFFDa"` in SentencePiece; we follow SentencePiece.)
 *
 * Bytes that may still become a valid character are held back until more bytes or `end()` arrive,
 * so `push` never returns half a character.
 * @internal
 */
export class Utf8StreamDecoder {
  /** Up to 3 bytes of an incomplete but so far well-formed sequence. */
  #pending: number[] = [];

  /** Decodes `bytes` after whatever is pending; returns the completed text. */
  push(bytes: ArrayLike<number>): string {
    const buf = this.#pending.length === 0 ? bytes : [...this.#pending, ...Array.from(bytes)];
    this.#pending = [];
    let out = '';
    let i = 0;
    while (i < buf.length) {
      const b = buf[i] as number;
      if (b < 0x80) {
        out += String.fromCharCode(b);
        i++;
        continue;
      }
      const need = sequenceLength(b);
      if (need === 0) {
        out += '\uFFFD';
        i++;
        continue;
      }
      let cp = b & (0xff >> (need + 1));
      let k = 1;
      for (; k < need && i + k < buf.length; k++) {
        const c = buf[i + k] as number;
        if (!continuationOk(b, k, c)) break;
        cp = (cp << 6) | (c & 0x3f);
      }
      if (k === need) {
        out += String.fromCodePoint(cp);
        i += need;
      } else if (i + k === buf.length) {
        for (let j = i; j < buf.length; j++) this.#pending.push(buf[j] as number); // may still complete
        break;
      } else {
        out += '\uFFFD';
        i++;
      }
    }
    return out;
  }

  /** Ends the byte stream: pending bytes can no longer complete, so each becomes U+FFFD. */
  end(): string {
    const out = '\uFFFD'.repeat(this.#pending.length);
    this.#pending = [];
    return out;
  }
}

/** Total length of a sequence starting with lead byte `b`, or 0 when `b` cannot start one. */
function sequenceLength(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** Whether `c` is valid as byte `k` (1-based after the lead) of a sequence led by `lead` (Table 3-7). */
function continuationOk(lead: number, k: number, c: number): boolean {
  if (k === 1) {
    if (lead === 0xe0) return c >= 0xa0 && c <= 0xbf;
    if (lead === 0xed) return c >= 0x80 && c <= 0x9f; // no surrogates
    if (lead === 0xf0) return c >= 0x90 && c <= 0xbf;
    if (lead === 0xf4) return c >= 0x80 && c <= 0x8f; // nothing above U+10FFFF
  }
  return c >= 0x80 && c <= 0xbf;
}
