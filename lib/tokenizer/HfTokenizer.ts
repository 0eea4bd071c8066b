import { checkTokenId } from './checkTokenId.js';
import { HfStreamDecoder } from './HfStreamDecoder.js';
import { tokenizerError } from './tokenizerError.js';
import type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer } from './types.js';

/**
 * The part of `@huggingface/tokenizers`' `Tokenizer` we use. Declared here because the package's
 * bundled `.d.ts` files use extensionless relative imports, which resolve to `any` under NodeNext.
 */
interface HfBackend {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  token_to_id(token: string): number | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
}
type HfBackendClass = new (tokenizerJson: object, config: object) => HfBackend;

/**
 * Tokenizer over a Hugging Face `tokenizer.json` (GPT-2 byte-level BPE, Llama SentencePiece-BPE,
 * ...), backed by the pure-JS `@huggingface/tokenizers` package, which reproduces the Rust
 * `tokenizers` ids. BOS/EOS come from `tokenizer_config.json` (`bos_token`, `eos_token`).
 */
export class HfTokenizer implements Tokenizer {
  readonly kind = 'hf' as const;
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly #backend: HfBackend;
  /** Whether the post-processor adds BOS / EOS by itself (the tokenizer's own convention). */
  readonly #addsBos: boolean;
  readonly #addsEos: boolean;

  private constructor(backend: HfBackend, config: Record<string, unknown>) {
    this.#backend = backend;
    let maxId = -1;
    for (const id of backend.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.bosId = specialId(backend, config['bos_token']);
    this.eosId = specialId(backend, config['eos_token']);
    const plain = backend.encode('a', { add_special_tokens: false }).ids;
    const full = backend.encode('a', { add_special_tokens: true }).ids;
    this.#addsBos = full.length > plain.length && full[0] === this.bosId;
    this.#addsEos = full.length > plain.length + (this.#addsBos ? 1 : 0) && full.at(-1) === this.eosId;
  }

  /**
   * Builds a tokenizer from parsed `tokenizer.json` and `tokenizer_config.json` contents.
   * @param file Name used in error messages.
   * @throws `ERR_FSLLM_TOKENIZER` when the package is missing or rejects the JSON.
   */
  static async fromJson(tokenizerJson: object, config: Record<string, unknown>, file: string): Promise<HfTokenizer> {
    const Backend = await importBackend(file);
    try {
      return new HfTokenizer(new Backend(tokenizerJson, config), config);
    } catch (cause) {
      throw tokenizerError(`${file}: not a usable Hugging Face tokenizer.json (${(cause as Error).message})`, cause);
    }
  }

  /**
   * Token ids of `text`. With neither option set this is exactly HF `encode(text)` (the
   * post-processor decides, e.g. BOS for Llama, nothing for GPT-2); setting either option encodes
   * without special tokens and adds BOS/EOS as asked, the unset one keeping the convention.
   */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') {
      throw tokenizerError(`Expected string for text but received ${String(text)} of type ${typeof text}`);
    }
    if (opts.addBos === undefined && opts.addEos === undefined) {
      return [...this.#backend.encode(text, { add_special_tokens: true }).ids];
    }
    const ids = [...this.#backend.encode(text, { add_special_tokens: false }).ids];
    if ((opts.addBos ?? this.#addsBos) && this.bosId !== null) ids.unshift(this.bosId);
    if ((opts.addEos ?? this.#addsEos) && this.eosId !== null) ids.push(this.eosId);
    return ids;
  }

  /** Text of `ids` via HF decode; special tokens are skipped unless `keepSpecial`. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    for (const id of ids) checkTokenId(id, this.vocabSize);
    if (ids.length === 0) return ''; // the backend throws on an empty list
    return this.#backend.decode([...ids], { skip_special_tokens: !(opts.keepSpecial ?? false) });
  }

  /** A decoder whose pushed output concatenates to `decode()` of the same ids. */
  createStreamDecoder(opts: DecodeOptions = {}): StreamDecoder {
    return new HfStreamDecoder((ids) => this.decode(ids, opts), this.vocabSize);
  }
}

/** Id of a config special-token entry (`"<s>"` or `{ content: "<s>" }`), or null. */
function specialId(backend: HfBackend, entry: unknown): number | null {
  const content =
    typeof entry === 'string' ? entry
    : typeof entry === 'object' && entry !== null && typeof (entry as { content?: unknown }).content === 'string'
      ? (entry as { content: string }).content
      : null;
  return content === null ? null : (backend.token_to_id(content) ?? null);
}

async function importBackend(file: string): Promise<HfBackendClass> {
  try {
    const mod = (await import('@huggingface/tokenizers')) as { Tokenizer: HfBackendClass };
    return mod.Tokenizer;
  } catch (cause) {
    throw tokenizerError(`${file}: reading a tokenizer.json needs the npm package @huggingface/tokenizers, which failed to load; install it`, cause);
  }
}
