/**
 * The tokenizer contract shared by the llama2.c reader and the Hugging Face `tokenizer.json` wrapper.
 * Data preparation (`lib/data`) and generation only ever see this interface.
 */

/** Which backend produced a {@link Tokenizer}: a llama2.c vocabulary file, or a HF `tokenizer.json`. */
export type TokenizerKind = 'llama2c' | 'hf';

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Prepend the BOS id. Defaults to the tokenizer's own convention (true for llama2.c vocabularies). */
  addBos?: boolean;
  /** Append the EOS id. Defaults to the tokenizer's own convention (false for llama2.c vocabularies). */
  addEos?: boolean;
}

/** Options of {@link Tokenizer.decode} and {@link Tokenizer.createStreamDecoder}. */
export interface DecodeOptions {
  /** Render special tokens (BOS/EOS/PAD) as their text, e.g. `<s>`, instead of skipping them. */
  keepSpecial?: boolean;
}

/**
 * Incremental detokenizer for generation. The concatenation of everything returned by `push` and a
 * final `flush` equals `decode()` of all the pushed ids.
 */
export interface StreamDecoder {
  /**
   * Adds one token id and returns the text it completed: possibly `''`, e.g. while a UTF-8 character
   * is split across byte tokens. Never returns half a character.
   * @throws `ERR_FSLLM_TOKENIZER` when `id` is not an integer in `[0, vocabSize)`.
   */
  push(id: number): string;
  /** Returns whatever is still held back (an incomplete character becomes U+FFFD). */
  flush(): string;
}

/** A text ↔ token id mapping. Instances are immutable and safe to share. */
export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Number of ids; valid ids are `0 .. vocabSize - 1`. */
  readonly vocabSize: number;
  /** Beginning-of-sequence id, or null when the vocabulary has none. */
  readonly bosId: number | null;
  /** End-of-sequence id, or null when the vocabulary has none. */
  readonly eosId: number | null;
  /**
   * Token ids of `text`.
   * @param text Any string; lone UTF-16 surrogates are encoded as U+FFFD.
   */
  encode(text: string, opts?: EncodeOptions): number[];
  /**
   * Text of `ids`; special tokens (BOS/EOS/PAD) are skipped unless `keepSpecial`.
   * @throws `ERR_FSLLM_TOKENIZER` when an id is not an integer in `[0, vocabSize)`.
   */
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  /** A streaming decoder: push ids one by one, get back the newly completed text. */
  createStreamDecoder(opts?: DecodeOptions): StreamDecoder;
}
