import { checkpointError } from './errors.js';
import type { GgufFile, GgufValue } from './gguf.js';

/** The tokenizer stored in a GGUF file's `tokenizer.ggml.*` (and `tokenizer.chat_template`) keys. */
export interface GgufTokenizer {
  /** `tokenizer.ggml.model`: `llama` (SentencePiece-style BPE with scores), `gpt2` (byte-level BPE), ... */
  model: string;
  /** `tokenizer.ggml.pre`: the pre-tokenizer name llama.cpp uses, if any. */
  pre: string | null;
  tokens: string[];
  /** One score per token (SentencePiece log-probabilities), if stored. */
  scores: Float32Array | null;
  /** One llama.cpp token type per token (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte). */
  tokenTypes: Int32Array | null;
  /** BPE merges as `"a b"` strings, if stored. */
  merges: string[] | null;
  bosTokenId: number | null;
  eosTokenId: number | null;
  unknownTokenId: number | null;
  paddingTokenId: number | null;
  addBosToken: boolean | null;
  addEosToken: boolean | null;
  chatTemplate: string | null;
}

function isStringArray(value: GgufValue | undefined): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Extracts the tokenizer from a parsed GGUF file.
 * @throws `ERR_FSLLM_CHECKPOINT` when `tokenizer.ggml.tokens` is absent or not a string list, or when
 *   scores or token types do not have one entry per token.
 */
export function ggufTokenizer(gguf: GgufFile): GgufTokenizer {
  const meta = gguf.metadata;
  const tokens = meta.get('tokenizer.ggml.tokens');
  if (!isStringArray(tokens)) throw checkpointError('has no tokenizer (metadata tokenizer.ggml.tokens is missing)', gguf.file);

  const perToken = <T extends { length: number }>(key: string, convert: (v: GgufValue) => T | null): T | null => {
    const value = meta.get(key);
    if (value === undefined) return null;
    const out = convert(value);
    if (out === null || out.length !== tokens.length) {
      throw checkpointError(`metadata ${key} must have one number per token (${tokens.length})`, gguf.file);
    }
    return out;
  };
  const numbers = (v: GgufValue) =>
    ArrayBuffer.isView(v) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array) ? (v as ArrayLike<number>) : null;
  const str = (key: string) => {
    const v = meta.get(key);
    return typeof v === 'string' ? v : null;
  };
  const id = (key: string) => {
    const v = meta.get(key);
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
  };
  const bool = (key: string) => {
    const v = meta.get(key);
    return typeof v === 'boolean' ? v : null;
  };
  const merges = meta.get('tokenizer.ggml.merges');

  return {
    model: str('tokenizer.ggml.model') ?? 'llama',
    pre: str('tokenizer.ggml.pre'),
    tokens,
    scores: perToken('tokenizer.ggml.scores', (v) => {
      const n = numbers(v);
      return n === null ? null : n instanceof Float32Array ? n : Float32Array.from(n);
    }),
    tokenTypes: perToken('tokenizer.ggml.token_type', (v) => {
      const n = numbers(v);
      return n === null ? null : n instanceof Int32Array ? n : Int32Array.from(n);
    }),
    merges: isStringArray(merges) ? merges : null,
    bosTokenId: id('tokenizer.ggml.bos_token_id'),
    eosTokenId: id('tokenizer.ggml.eos_token_id'),
    unknownTokenId: id('tokenizer.ggml.unknown_token_id'),
    paddingTokenId: id('tokenizer.ggml.padding_token_id'),
    addBosToken: bool('tokenizer.ggml.add_bos_token'),
    addEosToken: bool('tokenizer.ggml.add_eos_token'),
    chatTemplate: str('tokenizer.chat_template'),
  };
}
