/**
 * Paths and readers for the tokenizer fixtures. Read-only data: the expected ids come from
 * test/fixtures/gen/make_tokenizer_fixtures.py (SentencePiece, HF tokenizers, a second BPE
 * implementation). The Llama-2 vocabulary comes from shared/ (tests that read it are gated by
 * `LLAMA_VOCAB`); tok512 is the embedded one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { FIXTURES as ALL_FIXTURES, SHARED_TOKENIZERS } from '../../helpers/paths.js';
import { sharedTokenizer } from '../../helpers/requirements.js';

export { STORIES_DIR, TOK512_BIN } from '../../helpers/paths.js';

export const FIXTURES = join(ALL_FIXTURES, 'tokenizer');
export const LLAMA_DIR = join(SHARED_TOKENIZERS, 'llama2-sentencepiece');
export const LLAMA_BIN = join(LLAMA_DIR, 'tokenizer.bin');
/** Tests that read LLAMA_DIR run only where shared/ is present. */
export const LLAMA_VOCAB = sharedTokenizer('llama2-sentencepiece');
export const HF_LLAMA_DIR = join(FIXTURES, 'llama');
export const HF_GPT2_DIR = join(FIXTURES, 'gpt2');

/** One encoded string. `decoded` and `idsWithSpecial` are present where the reference provides them. */
export interface IdCase {
  text: string;
  ids: number[];
  decoded?: string;
  idsWithSpecial?: number[];
}

export interface SentencepieceFixture {
  bosId: number;
  eosId: number;
  vocabSize: number;
  cases: IdCase[];
  decodeCases: { ids: number[]; decoded: string }[];
}

export interface HfFixture {
  differsFromSentencepiece?: string[];
  cases: Required<IdCase>[];
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** Short printable label for a test name. */
export function label(text: string): string {
  const s = JSON.stringify(text);
  return s.length > 40 ? `${s.slice(0, 37)}..."` : s;
}

/** True when `s` has no unpaired UTF-16 surrogate. */
export function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
