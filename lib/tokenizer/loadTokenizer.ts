import { open, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { FsllmError } from '../errors/index.js';
import { readGguf } from '../formats/gguf.js';
import { HfTokenizer } from './HfTokenizer.js';
import { Llama2cTokenizer } from './Llama2cTokenizer.js';
import { tokenizerError } from './tokenizerError.js';
import { tokenizerFromGguf } from './tokenizerFromGguf.js';
import type { Tokenizer } from './types.js';

const WHAT = 'expected a tokenizer.json, a llama2.c tokenizer (*.bin), a GGUF file or a folder holding one';
const GGUF_MAGIC = 'GGUF';

/**
 * Loads a tokenizer from a file or a folder.
 * - `tokenizer.json` (any `*.json`): a Hugging Face tokenizer; `tokenizer_config.json` and
 *   `special_tokens_map.json` beside it are read when present (BOS/EOS, decode clean-up).
 * - a GGUF file (recognised by its magic, whatever its name): the tokenizer in its metadata, see
 *   {@link tokenizerFromGguf}; only the header is read.
 * - any other file: a llama2.c vocabulary (`tokenizer.bin`, `tok512.bin`).
 * - a folder: its `tokenizer.json`, else `tokenizer.bin`, else the first `tok*.bin` by name.
 * @param path File or folder path.
 * @throws `ERR_FSLLM_TOKENIZER` (the promise rejects) when nothing loadable is found or the file is
 *   malformed; the message names the file.
 * @example
 * const tok = await loadTokenizer('models/stories260K/tok512.bin');
 * const ids = tok.encode('Once upon a time');   // starts with BOS (1)
 * tok.decode(ids);                              // 'Once upon a time'
 */
export async function loadTokenizer(path: string): Promise<Tokenizer> {
  const file = await resolveTokenizerFile(path);
  if (await hasGgufMagic(file)) return loadGguf(file);
  if (extname(file).toLowerCase() === '.model') {
    throw tokenizerError(`${file}: SentencePiece .model files are not read directly; use its llama2.c export (tokenizer.bin) or a Hugging Face tokenizer.json`);
  }
  const bytes = await readTokenizerFile(file);
  const looksJson = extname(file).toLowerCase() === '.json' || (extname(file).toLowerCase() !== '.bin' && bytes[0] === 0x7b);
  return looksJson ? loadHf(file, bytes) : Llama2cTokenizer.fromBytes(bytes, file);
}

async function resolveTokenizerFile(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : `cannot be read (${code ?? String(cause)})`;
    throw tokenizerError(`${path}: ${why}; ${WHAT}`, cause);
  }
  if (!info.isDirectory()) return path;
  const names = (await readdir(path)).sort();
  const pick =
    names.find((n) => n === 'tokenizer.json') ??
    names.find((n) => n === 'tokenizer.bin') ??
    names.find((n) => n.startsWith('tok') && n.endsWith('.bin'));
  if (pick === undefined) {
    throw tokenizerError(`${path}: folder has no tokenizer.json, tokenizer.bin or tok*.bin; ${WHAT}`);
  }
  return join(path, pick);
}

async function hasGgufMagic(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(GGUF_MAGIC.length);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      return bytesRead === head.length && head.toString('latin1') === GGUF_MAGIC;
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw tokenizerError(`${file}: cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, cause);
  }
}

async function loadGguf(file: string): Promise<Tokenizer> {
  let gguf;
  try {
    gguf = await readGguf(file);
  } catch (cause) {
    // readGguf names the file and the fault (ERR_FSLLM_CHECKPOINT); re-code it as a tokenizer error.
    throw tokenizerError(cause instanceof FsllmError ? cause.message : `${file}: ${String(cause)}`, cause);
  }
  return tokenizerFromGguf(gguf);
}

async function readTokenizerFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw tokenizerError(`${file}: cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, cause);
  }
}

async function loadHf(file: string, bytes: Uint8Array): Promise<Tokenizer> {
  const json = parseJsonObject(new TextDecoder().decode(bytes), file);
  if (typeof json['model'] !== 'object' || json['model'] === null) {
    throw tokenizerError(`${file}: has no "model" object; not a Hugging Face tokenizer.json`);
  }
  const dir = dirname(file);
  const specialTokensMap = await readOptionalJson(join(dir, 'special_tokens_map.json'));
  const tokenizerConfig = await readOptionalJson(join(dir, 'tokenizer_config.json'));
  return HfTokenizer.fromJson(json, { ...specialTokensMap, ...tokenizerConfig }, file);
}

/** Parsed JSON object of `file`, or `{}` when the file does not exist. */
async function readOptionalJson(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw tokenizerError(`${file}: cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, cause);
  }
  return parseJsonObject(text, file);
}

function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw tokenizerError(`${file}: is not valid JSON (${(cause as Error).message})`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw tokenizerError(`${file}: JSON top level is not an object`);
  }
  return value as Record<string, unknown>;
}
