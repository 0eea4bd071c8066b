import { bpeEncode } from './bpeEncode.js';
import { Llama2cStreamDecoder } from './Llama2cStreamDecoder.js';
import type { Llama2cVocab } from './llama2cVocab.js';
import { LLAMA2C_BOS_ID, LLAMA2C_EOS_ID, parseLlama2cVocab } from './llama2cVocab.js';
import { PairHeap } from './PairHeap.js';
import { tokenizerError } from './tokenizerError.js';
import type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer } from './types.js';

/**
 * Tokenizer over a llama2.c vocabulary file (`tokenizer.bin`, `tok512.bin`): SentencePiece BPE with
 * byte fallback, BOS = 1, EOS = 2, reproducing `sentencepiece` ids exactly (see {@link bpeEncode}).
 *
 * @example
 * const tok = Llama2cTokenizer.fromBytes(await readFile('tok512.bin'), 'tok512.bin');
 * tok.encode('Once upon a time'); // [1, 403, 407, 261, 378]
 */
export class Llama2cTokenizer implements Tokenizer {
  readonly kind = 'llama2c' as const;
  readonly vocabSize: number;
  readonly bosId: number | null = LLAMA2C_BOS_ID;
  readonly eosId: number | null = LLAMA2C_EOS_ID;
  readonly #vocab: Llama2cVocab;
  /** Scratch queue reused by every encode() call (encode is synchronous, so never shared concurrently). */
  readonly #heap = new PairHeap();

  /** Wraps an already parsed vocabulary; most callers want {@link Llama2cTokenizer.fromBytes}. */
  constructor(vocab: Llama2cVocab) {
    this.#vocab = vocab;
    this.vocabSize = vocab.pieces.length;
  }

  /**
   * Parses the bytes of a llama2.c tokenizer file.
   * @param file Name used in error messages.
   * @throws `ERR_FSLLM_TOKENIZER` when the bytes are not a well-formed llama2.c tokenizer.
   */
  static fromBytes(bytes: Uint8Array, file: string): Llama2cTokenizer {
    return new Llama2cTokenizer(parseLlama2cVocab(bytes, file));
  }

  /** Token ids of `text`; BOS is prepended unless `addBos: false`, EOS appended only with `addEos`. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') {
      throw tokenizerError(`Expected string for text but received ${String(text)} of type ${typeof text}`);
    }
    const ids = bpeEncode(this.#vocab, text, this.#heap);
    if (opts.addBos ?? true) ids.unshift(LLAMA2C_BOS_ID);
    if (opts.addEos ?? false) ids.push(LLAMA2C_EOS_ID);
    return ids;
  }

  /** Text of `ids`, as SentencePiece decodes them (dummy-prefix space dropped, BOS/EOS skipped). */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const d = this.createStreamDecoder(opts);
    let out = '';
    for (const id of ids) out += d.push(id);
    return out + d.flush();
  }

  /** A decoder whose pushed output concatenates to exactly `decode()` of the same ids. */
  createStreamDecoder(opts: DecodeOptions = {}): StreamDecoder {
    return new Llama2cStreamDecoder(this.#vocab, opts.keepSpecial ?? false);
  }
}
