import { checkTokenId } from './checkTokenId.js';
import type { StreamDecoder } from './types.js';

/**
 * Streaming detokenizer over any whole-sequence `decode` function, for backends that only decode
 * complete id lists (the HF `tokenizer.json` wrapper).
 *
 * It keeps a small window of ids: `prefix` (already emitted, kept as context) followed by the ids
 * not yet emitted. Each push decodes the window with and without the new ids and emits the
 * difference, unless the text ends in U+FFFD: then a byte-level token has split a character and
 * the ids are held until it completes. Decoding with the prefix as context keeps spacing rules
 * (SentencePiece's leading-space strip, byte-level spaces) the same as a whole-sequence decode.
 * The offsets scheme follows the one used by Hugging Face text-generation-inference's
 * `decode_token`; the code here is our own.
 * @internal
 */
export class HfStreamDecoder implements StreamDecoder {
  readonly #decode: (ids: readonly number[]) => string;
  readonly #vocabSize: number;
  /** ids[0 .. read) were emitted; ids[read ..] are pending. */
  #ids: number[] = [];
  #read = 0;

  constructor(decode: (ids: readonly number[]) => string, vocabSize: number) {
    this.#decode = decode;
    this.#vocabSize = vocabSize;
  }

  push(id: number): string {
    checkTokenId(id, this.#vocabSize);
    this.#ids.push(id);
    return this.#emit(false);
  }

  flush(): string {
    return this.#emit(true);
  }

  #emit(final: boolean): string {
    const ids = this.#ids;
    if (ids.length === this.#read) return '';
    const prefixText = this.#decode(ids.slice(0, this.#read));
    const fullText = this.#decode(ids);
    if (fullText.length <= prefixText.length) {
      if (final) this.#advance();
      return '';
    }
    if (!final && fullText.endsWith('\uFFFD')) return '';
    this.#advance();
    return fullText.slice(prefixText.length);
  }

  /** The pending ids become the next window's prefix; the old prefix is dropped. */
  #advance(): void {
    this.#ids = this.#ids.slice(this.#read);
    this.#read = this.#ids.length;
  }
}
