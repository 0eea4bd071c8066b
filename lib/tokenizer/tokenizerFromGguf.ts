import { FsllmError } from '../errors/index.js';
import type { GgufFile } from '../formats/gguf.js';
import { ggufTokenizer, type GgufTokenizer } from '../formats/ggufTokenizer.js';
import { HfTokenizer } from './HfTokenizer.js';
import { Llama2cTokenizer } from './Llama2cTokenizer.js';
import type { Llama2cVocab } from './llama2cVocab.js';
import { LLAMA2C_UNK_ID, PIECE_BYTE, PIECE_CONTROL, PIECE_NORMAL, PIECE_UNKNOWN } from './llama2cVocab.js';
import { buildPairTable } from './pairTable.js';
import { tokenizerError } from './tokenizerError.js';
import type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer } from './types.js';

/**
 * `tokenizer.ggml.pre` values fsllm reproduces for `gpt2` (byte-level BPE) vocabularies, with the
 * models that use them. Each maps to the pre-tokenizer of the model's own Hugging Face
 * `tokenizer.json`, which llama.cpp's regexes for the same name imitate.
 */
export const SUPPORTED_GGUF_BPE_PRE = ['gpt-2', 'smollm', 'qwen2', 'llama-bpe'] as const;

// llama.cpp token types (`llama_token_type`).
const TYPE_NORMAL = 1;
const TYPE_UNKNOWN = 2;
const TYPE_CONTROL = 3;
const TYPE_USER_DEFINED = 4;
const TYPE_UNUSED = 5;
const TYPE_BYTE = 6;

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const SPM_SPACE = /\u2581/g; // SentencePiece's "▁", stored in GGUF pieces; llama2c vocabularies hold a space

/**
 * Builds the tokenizer stored in a parsed GGUF file's `tokenizer.ggml.*` metadata.
 * - `tokenizer.ggml.model` `llama`: SentencePiece BPE over the pieces and scores, run by the
 *   llama2.c machinery (kind `'llama2c'`), byte fallback through the type-6 `<0xXX>` pieces. Like
 *   `sentencepiece` itself (and unlike llama.cpp), text that spells a control token (`</s>`) is
 *   plain text. User-defined pieces (type 4) are ordinary pieces, reached only by merges; unused
 *   pieces (type 5) are never produced.
 * - `gpt2`: byte-level BPE through `@huggingface/tokenizers` (kind `'hf'`), with the pre-tokenizer
 *   of `tokenizer.ggml.pre` (see {@link SUPPORTED_GGUF_BPE_PRE}); control tokens (type 3) are
 *   special added tokens, matched in the text before BPE and skipped by `decode()`.
 *
 * BOS/EOS ids come from the metadata. `encode()` adds BOS when `tokenizer.ggml.add_bos_token` says
 * so (default: true for `llama` and `llama-bpe`, false otherwise) and EOS when
 * `tokenizer.ggml.add_eos_token` is true.
 * @param gguf A header from `readGguf()`; tensors are not read.
 * @throws `ERR_FSLLM_TOKENIZER` naming the file when the metadata has no usable tokenizer: missing or
 *   inconsistent arrays, another `tokenizer.ggml.model` (e.g. `bert`, `t5`), an unsupported
 *   `tokenizer.ggml.pre`, or `add_space_prefix: false` for `llama`.
 * @example
 * const tok = await tokenizerFromGguf(await readGguf('SmolLM2-135M-Instruct.Q4_1.gguf'));
 * tok.encode('The capital of France is'); // [504, 3575, 282, 4649, 314]
 */
export async function tokenizerFromGguf(gguf: GgufFile): Promise<Tokenizer> {
  let meta: GgufTokenizer;
  try {
    meta = ggufTokenizer(gguf);
  } catch (cause) {
    // The formats layer names the file and the fault; re-code it as a tokenizer error.
    throw tokenizerError(cause instanceof FsllmError ? cause.message : `${gguf.file}: ${String(cause)}`, cause);
  }
  for (const [key, id] of [['bos', meta.bosTokenId], ['eos', meta.eosTokenId]] as const) {
    if (id !== null && id >= meta.tokens.length) {
      throw tokenizerError(`${gguf.file}: tokenizer.ggml.${key}_token_id ${id} is outside the ${meta.tokens.length} tokens`);
    }
  }
  if (meta.model === 'llama') return sentencePieceFromGguf(gguf, meta);
  if (meta.model === 'gpt2') return byteLevelBpeFromGguf(gguf.file, meta);
  throw tokenizerError(
    `${gguf.file}: tokenizer.ggml.model "${meta.model}" is not supported; fsllm reads "llama" (SentencePiece BPE) and "gpt2" (byte-level BPE)`,
  );
}

// --- tokenizer.ggml.model "llama"

/**
 * A {@link Llama2cTokenizer} whose BOS/EOS ids and BOS/EOS defaults come from GGUF metadata
 * instead of llama2.c's fixed 1/2.
 */
class GgufSentencePieceTokenizer implements Tokenizer {
  readonly kind = 'llama2c' as const;
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly #inner: Llama2cTokenizer;
  readonly #addBos: boolean;
  readonly #addEos: boolean;

  constructor(vocab: Llama2cVocab, meta: GgufTokenizer) {
    this.#inner = new Llama2cTokenizer(vocab);
    this.vocabSize = vocab.pieces.length;
    this.bosId = meta.bosTokenId;
    this.eosId = meta.eosTokenId;
    this.#addBos = meta.addBosToken ?? true;
    this.#addEos = meta.addEosToken ?? false;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = this.#inner.encode(text, { addBos: false, addEos: false });
    if ((opts.addBos ?? this.#addBos) && this.bosId !== null) ids.unshift(this.bosId);
    if ((opts.addEos ?? this.#addEos) && this.eosId !== null) ids.push(this.eosId);
    return ids;
  }

  decode(ids: readonly number[], opts?: DecodeOptions): string {
    return this.#inner.decode(ids, opts);
  }

  createStreamDecoder(opts?: DecodeOptions): StreamDecoder {
    return this.#inner.createStreamDecoder(opts);
  }
}

function sentencePieceFromGguf(gguf: GgufFile, meta: GgufTokenizer): Tokenizer {
  const file = gguf.file;
  if (meta.scores === null) {
    throw tokenizerError(`${file}: tokenizer.ggml.model is "llama" but tokenizer.ggml.scores is missing; SentencePiece BPE merges by score`);
  }
  if (gguf.metadata.get('tokenizer.ggml.add_space_prefix') === false) {
    throw tokenizerError(`${file}: tokenizer.ggml.add_space_prefix is false; fsllm's SentencePiece BPE always adds the dummy-prefix space`);
  }
  const vocab = sentencePieceVocab(file, meta, meta.scores);
  // bpeEncode falls back to id 0 for a character that has no byte pieces; only right when 0 is <unk>.
  const unkId = meta.unknownTokenId ?? LLAMA2C_UNK_ID;
  if (vocab.byteIds.includes(-1) && unkId !== LLAMA2C_UNK_ID) {
    throw tokenizerError(`${file}: the vocabulary lacks <0xXX> pieces for some bytes and its unknown token is ${unkId}, not 0; this layout is not supported`);
  }
  return new GgufSentencePieceTokenizer(vocab, meta);
}

/** The llama2.c vocabulary structure over GGUF pieces, with kinds from the token types. */
function sentencePieceVocab(file: string, meta: GgufTokenizer, scores: Float32Array): Llama2cVocab {
  const { tokens, tokenTypes } = meta;
  const n = tokens.length;
  const encoder = new TextEncoder();
  const pieces = tokens.map((t) => t.replace(SPM_SPACE, ' '));
  const pieceBytes = pieces.map((p) => encoder.encode(p));
  const kinds = new Uint8Array(n);
  const byteIds = new Int32Array(256).fill(-1);
  const normalIds = new Map<string, number>();
  for (let id = 0; id < n; id++) {
    const piece = pieces[id] as string;
    const type = tokenTypes?.[id] ?? inferTokenType(id, piece, meta);
    if (type === TYPE_NORMAL || type === TYPE_USER_DEFINED) {
      kinds[id] = PIECE_NORMAL;
      if (!normalIds.has(piece)) normalIds.set(piece, id);
    } else if (type === TYPE_BYTE) {
      const byte = BYTE_PIECE.exec(piece);
      if (byte === null) throw tokenizerError(`${file}: token ${id} "${piece}" has type 6 (byte) but is not spelled <0xXX>`);
      kinds[id] = PIECE_BYTE;
      const value = Number.parseInt(byte[1] as string, 16);
      if (byteIds[value] === -1) byteIds[value] = id;
    } else if (type === TYPE_CONTROL || type === TYPE_UNUSED) {
      kinds[id] = PIECE_CONTROL;
    } else if (type === TYPE_UNKNOWN) {
      kinds[id] = PIECE_UNKNOWN;
    } else {
      throw tokenizerError(`${file}: token ${id} has type ${type}; llama.cpp token types are 1 to 6`);
    }
  }
  const charIds = new Int32Array(0x10000).fill(-1);
  for (const [piece, id] of normalIds) if (piece.length === 1) charIds[piece.charCodeAt(0)] = id;
  const maxTokenLength = pieceBytes.reduce((m, b) => Math.max(m, b.byteLength), 0);
  return {
    maxTokenLength, pieces, pieceBytes, scores, kinds, byteIds, normalIds, charIds,
    pairs: buildPairTable(normalIds, n),
  };
}

/** Token type when the file has no `tokenizer.ggml.token_type`: the special ids, `<0xXX>`, else normal. */
function inferTokenType(id: number, piece: string, meta: GgufTokenizer): number {
  if (id === meta.unknownTokenId) return TYPE_UNKNOWN;
  if (id === meta.bosTokenId || id === meta.eosTokenId) return TYPE_CONTROL;
  return BYTE_PIECE.test(piece) ? TYPE_BYTE : TYPE_NORMAL;
}

// --- tokenizer.ggml.model "gpt2"

/** The GPT-2 split regex (`ByteLevel` with `use_regex: true` applies it). */
const BYTE_LEVEL_REGEX = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
/** `ByteLevel` after an explicit `Split`: byte mapping only. */
const BYTE_LEVEL_ONLY = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
const split = (regex: string) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });

interface BytePreset {
  normalizer: object | null;
  preTokenizer: object;
  /** BPE `ignore_merges`: a pre-token that is itself a vocabulary entry is emitted whole. */
  ignoreMerges: boolean;
  /** BOS default when the file has no `tokenizer.ggml.add_bos_token` (llama.cpp's defaults). */
  addBos: boolean;
}

// reference: the tokenizer.json of each model family, as transformers 4.49 `convert_slow_tokenizer.py`
// writes them (GPT2Converter, Qwen2Converter, TikTokenConverter for Llama 3) and SmolLM's own
// (Digits + ByteLevel); llama.cpp `llama-vocab.cpp` uses the same regexes for these names.
const BYTE_PRESETS: Readonly<Record<(typeof SUPPORTED_GGUF_BPE_PRE)[number], BytePreset>> = {
  'gpt-2': { normalizer: null, preTokenizer: BYTE_LEVEL_REGEX, ignoreMerges: false, addBos: false },
  smollm: {
    normalizer: null,
    preTokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, BYTE_LEVEL_REGEX] },
    ignoreMerges: false,
    addBos: false,
  },
  qwen2: {
    normalizer: { type: 'NFC' },
    preTokenizer: {
      type: 'Sequence',
      pretokenizers: [
        split(String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`),
        BYTE_LEVEL_ONLY,
      ],
    },
    ignoreMerges: false,
    addBos: false,
  },
  'llama-bpe': {
    normalizer: null,
    preTokenizer: {
      type: 'Sequence',
      pretokenizers: [
        split(String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`),
        BYTE_LEVEL_ONLY,
      ],
    },
    ignoreMerges: true,
    addBos: true,
  },
};

async function byteLevelBpeFromGguf(file: string, meta: GgufTokenizer): Promise<Tokenizer> {
  const pre = meta.pre ?? '(none)';
  if (!Object.hasOwn(BYTE_PRESETS, pre)) {
    throw tokenizerError(
      `${file}: tokenizer.ggml.pre "${pre}" is not supported for byte-level BPE; fsllm reads ${SUPPORTED_GGUF_BPE_PRE.map((p) => `"${p}"`).join(', ')}`,
    );
  }
  if (meta.merges === null) throw tokenizerError(`${file}: tokenizer.ggml.model is "gpt2" but tokenizer.ggml.merges is missing`);
  const preset = BYTE_PRESETS[pre as keyof typeof BYTE_PRESETS];
  const json = byteLevelTokenizerJson(meta, preset);
  const token = (id: number | null) => (id === null ? undefined : meta.tokens[id]);
  return HfTokenizer.fromJson(json, { bos_token: token(meta.bosTokenId), eos_token: token(meta.eosTokenId), clean_up_tokenization_spaces: false }, file);
}

/**
 * An in-memory `tokenizer.json` for a byte-level BPE vocabulary. Every token is in the model
 * vocabulary (the first id wins when a spelling repeats); control (type 3) and user-defined (type 4)
 * tokens are also added tokens, matched literally before pre-tokenization, the former as special.
 */
function byteLevelTokenizerJson(meta: GgufTokenizer, preset: BytePreset): object {
  const vocab = new Map<string, number>();
  const addedTokens: object[] = [];
  meta.tokens.forEach((content, id) => {
    if (!vocab.has(content)) vocab.set(content, id);
    const type = meta.tokenTypes?.[id];
    if (type === TYPE_CONTROL || type === TYPE_USER_DEFINED) {
      addedTokens.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: type === TYPE_CONTROL });
    }
  });
  const addBos = (meta.addBosToken ?? preset.addBos) && meta.bosTokenId !== null;
  const addEos = (meta.addEosToken ?? false) && meta.eosTokenId !== null;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: preset.normalizer,
    pre_tokenizer: preset.preTokenizer,
    post_processor: addBos || addEos ? template(meta, addBos, addEos) : null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: preset.ignoreMerges,
      vocab: Object.fromEntries(vocab), merges: meta.merges,
    },
  };
}

/** A `TemplateProcessing` post-processor that adds BOS and/or EOS around each sequence. */
function template(meta: GgufTokenizer, addBos: boolean, addEos: boolean): object {
  const specials: Record<string, object> = {};
  const special = (id: number) => {
    const content = meta.tokens[id] as string;
    specials[content] = { id: content, ids: [id], tokens: [content] };
    return { SpecialToken: { id: content, type_id: 0 } };
  };
  const around = (seq: 'A' | 'B') => [
    ...(addBos ? [special(meta.bosTokenId as number)] : []),
    { Sequence: { id: seq, type_id: 0 } },
    ...(addEos ? [special(meta.eosTokenId as number)] : []),
  ];
  return { type: 'TemplateProcessing', single: around('A'), pair: [...around('A'), ...around('B')], special_tokens: specials };
}
