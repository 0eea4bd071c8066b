/**
 * Tokenizer layer: llama2.c vocabularies (SentencePiece BPE, implemented here), Hugging Face
 * `tokenizer.json` files (through `@huggingface/tokenizers`) and GGUF tokenizer metadata (either of
 * the two), behind one {@link Tokenizer} interface.
 */
export type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer, TokenizerKind } from './types.js';
export { loadTokenizer } from './loadTokenizer.js';
export { Llama2cTokenizer } from './Llama2cTokenizer.js';
export { HfTokenizer } from './HfTokenizer.js';
export { SUPPORTED_GGUF_BPE_PRE, tokenizerFromGguf } from './tokenizerFromGguf.js';
export { ERR_FSLLM_TOKENIZER, tokenizerError } from './tokenizerError.js';
export type { TokenizerError } from './tokenizerError.js';
