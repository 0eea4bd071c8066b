import { buildPairTable } from './pairTable.js';
import type { PairTable } from './pairTable.js';
import { tokenizerError } from './tokenizerError.js';

/** A piece produced by BPE merges (SentencePiece type NORMAL). */
export const PIECE_NORMAL = 0;
/** A byte-fallback piece `<0xXX>`. */
export const PIECE_BYTE = 1;
/** BOS or EOS (SentencePiece type CONTROL). */
export const PIECE_CONTROL = 2;
/** `<unk>` (SentencePiece type UNKNOWN). */
export const PIECE_UNKNOWN = 3;

/** llama2.c's fixed special ids: `<unk>`, BOS, EOS (see llama2.c `tokenizer.py` export). */
export const LLAMA2C_UNK_ID = 0;
export const LLAMA2C_BOS_ID = 1;
export const LLAMA2C_EOS_ID = 2;

/** Parsed llama2.c vocabulary. Index = token id. */
export interface Llama2cVocab {
  /** Longest piece in bytes, as declared by the file header. */
  readonly maxTokenLength: number;
  /** Piece text as stored (SentencePiece's `▁` is already a space; BOS is stored as `"\n<s>\n"`). */
  readonly pieces: readonly string[];
  /** UTF-8 bytes of each piece, as stored. */
  readonly pieceBytes: readonly Uint8Array[];
  /** Merge priority; higher merges first. */
  readonly scores: Float32Array;
  /** One of the `PIECE_*` constants per id. */
  readonly kinds: Uint8Array;
  /** Byte value → id of its `<0xXX>` piece, or -1 when the vocabulary has none. */
  readonly byteIds: Int32Array;
  /** Text → id of the pieces a merge may produce (normal pieces only; the first id wins on duplicates). */
  readonly normalIds: ReadonlyMap<string, number>;
  /** BMP code point → id of its one-character normal piece, or -1. */
  readonly charIds: Int32Array;
  /** Merges by id pair (see {@link PairTable}). */
  readonly pairs: PairTable;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const HEADER_BYTES = 4;
const TOKEN_HEADER_BYTES = 8;
// run.c sizes its merge buffer from max_token_length; anything this large is not a tokenizer header.
const MAX_SANE_TOKEN_LENGTH = 1 << 16;
const LAYOUT = 'a llama2.c tokenizer is int32 max_token_length, then per token float32 score, int32 length, UTF-8 bytes';

/**
 * Parses a llama2.c tokenizer file (`tokenizer.bin`, `tok512.bin`). The file does not store the
 * vocabulary size, so tokens are read until the end of the file.
 * @param bytes The whole file.
 * @param file Name used in error messages.
 * @throws `ERR_FSLLM_TOKENIZER` naming the file and the first inconsistency found.
 */
export function parseLlama2cVocab(bytes: Uint8Array, file: string): Llama2cVocab {
  if (bytes.byteLength === 0) throw tokenizerError(`${file}: file is empty; ${LAYOUT}`);
  if (bytes.byteLength < HEADER_BYTES) {
    throw tokenizerError(`${file}: ${bytes.byteLength} bytes is too short for the header; ${LAYOUT}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxTokenLength = view.getInt32(0, /*littleEndian=*/ true);
  if (maxTokenLength <= 0 || maxTokenLength > MAX_SANE_TOKEN_LENGTH) {
    throw tokenizerError(`${file}: header declares max_token_length ${maxTokenLength}; not a llama2.c tokenizer (${LAYOUT})`);
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const pieces: string[] = [];
  const pieceBytes: Uint8Array[] = [];
  const scores: number[] = [];
  let off = HEADER_BYTES;
  while (off < bytes.byteLength) {
    const id = pieces.length;
    const remaining = bytes.byteLength - off;
    if (remaining < TOKEN_HEADER_BYTES) {
      throw tokenizerError(`${file}: token ${id} needs an 8-byte score/length header but only ${remaining} bytes remain; the file is truncated or not a llama2.c tokenizer`);
    }
    const score = view.getFloat32(off, true);
    const len = view.getInt32(off + 4, true);
    off += TOKEN_HEADER_BYTES;
    if (len < 0 || len > maxTokenLength) {
      throw tokenizerError(`${file}: token ${id} declares ${len} bytes, outside 0..${maxTokenLength} (max_token_length); the file is corrupt or not a llama2.c tokenizer`);
    }
    if (len > bytes.byteLength - off) {
      throw tokenizerError(`${file}: token ${id} declares ${len} bytes but only ${bytes.byteLength - off} remain; the file is truncated or not a llama2.c tokenizer`);
    }
    if (Number.isNaN(score)) throw tokenizerError(`${file}: token ${id} has a NaN score; the file is corrupt`);
    const raw = bytes.subarray(off, off + len);
    off += len;
    try {
      pieces.push(utf8.decode(raw));
    } catch (cause) {
      throw tokenizerError(`${file}: token ${id} is not valid UTF-8; the file is corrupt or not a llama2.c tokenizer`, cause);
    }
    pieceBytes.push(raw.slice());
    scores.push(score);
  }
  if (pieces.length <= LLAMA2C_EOS_ID) {
    throw tokenizerError(`${file}: holds ${pieces.length} tokens; a llama2.c vocabulary starts with <unk>, BOS and EOS`);
  }
  return indexVocab(maxTokenLength, pieces, pieceBytes, scores);
}

function indexVocab(maxTokenLength: number, pieces: string[], pieceBytes: Uint8Array[], scores: number[]): Llama2cVocab {
  const kinds = new Uint8Array(pieces.length);
  const byteIds = new Int32Array(256).fill(-1);
  const normalIds = new Map<string, number>();
  kinds[LLAMA2C_UNK_ID] = PIECE_UNKNOWN;
  kinds[LLAMA2C_BOS_ID] = PIECE_CONTROL;
  kinds[LLAMA2C_EOS_ID] = PIECE_CONTROL;
  for (let id = LLAMA2C_EOS_ID + 1; id < pieces.length; id++) {
    const piece = pieces[id] as string;
    const byte = BYTE_PIECE.exec(piece);
    if (byte !== null) {
      kinds[id] = PIECE_BYTE;
      const value = Number.parseInt(byte[1] as string, 16);
      if (byteIds[value] === -1) byteIds[value] = id;
    } else if (!normalIds.has(piece)) {
      normalIds.set(piece, id);
    }
  }
  const charIds = new Int32Array(0x10000).fill(-1);
  for (const [piece, id] of normalIds) if (piece.length === 1) charIds[piece.charCodeAt(0)] = id;
  const pairs = buildPairTable(normalIds, pieces.length);
  return { maxTokenLength, pieces, pieceBytes, scores: Float32Array.from(scores), kinds, byteIds, normalIds, charIds, pairs };
}
