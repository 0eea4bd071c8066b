import { checkTokenId } from './checkTokenId.js';
import type { Llama2cVocab } from './llama2cVocab.js';
import { PIECE_BYTE, PIECE_CONTROL, PIECE_UNKNOWN } from './llama2cVocab.js';
import type { StreamDecoder } from './types.js';
import { Utf8StreamDecoder } from './Utf8StreamDecoder.js';

/** SentencePiece's rendering of `<unk>` (`unk_surface`, U+2047 between spaces). */
const UNK_SURFACE = ' \u2047 ';

/**
 * Detokenizer for llama2.c vocabularies; `Llama2cTokenizer.decode` is this decoder run to the end.
 * Mirrors SentencePiece `DecodeIds` (reference: sentencepiece_processor.cc, v0.2.0):
 * - BOS/EOS are invisible (or `<s>`/`</s>` with `keepSpecial`) and end a run of byte tokens;
 * - `<unk>` renders as `" ⁇ "` (`"<unk>"` with `keepSpecial`);
 * - consecutive byte tokens are joined into UTF-8, one U+FFFD per byte that starts no valid character;
 * - the leading space of the first visible normal piece is the dummy prefix and is dropped. Unlike
 *   run.c, which drops it only right after BOS, this also holds when the ids do not start with BOS.
 * @internal
 */
export class Llama2cStreamDecoder implements StreamDecoder {
  readonly #vocab: Llama2cVocab;
  readonly #keepSpecial: boolean;
  readonly #utf8 = new Utf8StreamDecoder();
  readonly #encoder = new TextEncoder();
  /** True until something visible has been emitted. */
  #atStart = true;

  constructor(vocab: Llama2cVocab, keepSpecial: boolean) {
    this.#vocab = vocab;
    this.#keepSpecial = keepSpecial;
  }

  push(id: number): string {
    const vocab = this.#vocab;
    checkTokenId(id, vocab.pieces.length);
    const piece = vocab.pieces[id] as string;
    switch (vocab.kinds[id]) {
      case PIECE_CONTROL: {
        const ended = this.#utf8.end();
        if (!this.#keepSpecial) return ended;
        this.#atStart = false;
        return ended + piece.trim(); // stored as "\n<s>\n" by llama2.c's exporter
      }
      case PIECE_UNKNOWN:
        this.#atStart = false;
        return this.#utf8.push(this.#encoder.encode(this.#keepSpecial ? piece : UNK_SURFACE));
      case PIECE_BYTE:
        this.#atStart = false;
        return this.#utf8.push([Number.parseInt(piece.slice(3, 5), 16)]);
      default: {
        let bytes = vocab.pieceBytes[id] as Uint8Array;
        if (this.#atStart && bytes[0] === 0x20) bytes = bytes.subarray(1);
        this.#atStart = false;
        return this.#utf8.push(bytes);
      }
    }
  }

  flush(): string {
    return this.#utf8.end();
  }
}
