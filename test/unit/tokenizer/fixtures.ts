/**
 * Paths and readers for the tokenizer fixtures. Read-only data: the expected ids come from
 * test/fixtures/gen/make_tokenizer_fixtures.py (SentencePiece, HF tokenizers, a second BPE
 * implementation). Vocabulary files come from shared/ beside the repo (FSLLM_SHARED overrides).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SHARED = process.env['FSLLM_SHARED'] ?? resolve(REPO, '..', 'shared');

export const FIXTURES = join(REPO, 'test', 'fixtures', 'tokenizer');
export const LLAMA_DIR = join(SHARED, 'tokenizers', 'llama2-sentencepiece');
export const LLAMA_BIN = join(LLAMA_DIR, 'tokenizer.bin');
export const STORIES_DIR = join(SHARED, 'models', 'stories260K');
export const TOK512_BIN = join(STORIES_DIR, 'tok512.bin');
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
