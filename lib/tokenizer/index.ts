/**
 * Tokenizer layer: llama2.c vocabularies (SentencePiece BPE, implemented here) and Hugging Face
 * `tokenizer.json` files (through `@huggingface/tokenizers`), behind one {@link Tokenizer} interface.
 */
export type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer, TokenizerKind } from './types.js';
export { loadTokenizer } from './loadTokenizer.js';
export { Llama2cTokenizer } from './Llama2cTokenizer.js';
export { HfTokenizer } from './HfTokenizer.js';
export { ERR_FSLLM_TOKENIZER, tokenizerError } from './tokenizerError.js';
export type { TokenizerError } from './tokenizerError.js';
