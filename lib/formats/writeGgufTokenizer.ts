/**
 * Writes a GGUF v3 file holding only a model's `tokenizer.*` metadata and no tensors: how an emulator
 * built from a GGUF model carries its tokenizer without carrying the model. lib/tokenizer's
 * `loadTokenizer` reads it as it reads the tokenizer of any GGUF file (header only).
 */
import type { GgufFile } from './gguf.js';
import { ggufHeaderBytes } from './writeGgufHeader.js';

/**
 * The bytes of a tensor-less GGUF holding `gguf`'s metadata keys that start with `tokenizer.`.
 * @param gguf a parsed header (`readGguf`); its tensors are not read.
 * @returns null when the file has no `tokenizer.ggml.tokens` (no tokenizer to carry).
 */
export function ggufTokenizerBytes(gguf: GgufFile): Buffer | null {
  if (!gguf.metadata.has('tokenizer.ggml.tokens')) return null;
  // The (empty) data section starts right after the padded header.
  return ggufHeaderBytes([...gguf.metadata].filter(([key]) => key.startsWith('tokenizer.')));
}
