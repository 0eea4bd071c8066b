/**
 * The text of one generation row as its tokens arrive: decoded incrementally, cut before the first stop
 * string, and released to a listener only once it can no longer become part of a stop string.
 */
import type { StreamDecoder } from '../tokenizer/index.js';

export class RowText {
  readonly #decoder: StreamDecoder | undefined;
  readonly #stops: readonly string[];
  readonly #eosIds: readonly number[];
  readonly #emit: (text: string) => void;
  // Text that could still become a stop string is held back from the listener until it cannot.
  readonly #holdBack: number;
  #ids: number[] = [];
  #text = '';
  #emitted = 0;
  #stopped = false;
  #closed = false;

  /**
   * @param decoder Null when the model has no tokenizer: ids only, text stays ''.
   * @param emit Receives each releasable piece of text (may be a no-op).
   */
  constructor(decoder: StreamDecoder | undefined, stops: readonly string[], eosIds: readonly number[], emit: (text: string) => void) {
    this.#decoder = decoder;
    this.#stops = stops;
    this.#eosIds = eosIds;
    this.#emit = emit;
    this.#holdBack = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** Tokens taken so far (the row's ids up to a stop string). */
  get count(): number {
    return this.#ids.length;
  }

  get ids(): number[] {
    return this.#ids;
  }

  get text(): string {
    return this.#text;
  }

  /** True once a stop string appeared or {@link close} ran: later tokens are ignored. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the row ended at a stop string. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Takes the next token; returns true when it completed a stop string (the row is then closed). */
  push(id: number): boolean {
    if (this.#closed) return false;
    this.#ids.push(id);
    if (!this.#decoder) return false;
    this.#text += this.#eosIds.includes(id) ? '' : this.#decoder.push(id);
    let hit = -1;
    for (const s of this.#stops) {
      // Only the tail can hold a new match: the text before it was checked when it arrived.
      const at = this.#text.indexOf(s, Math.max(0, this.#emitted - s.length));
      if (at >= 0 && (hit < 0 || at < hit)) hit = at;
    }
    if (hit >= 0) {
      this.#text = this.#text.slice(0, hit);
      this.#stopped = true;
      this.#closed = true;
      this.#release(this.#text.length);
      return true;
    }
    this.#release(this.#text.length - this.#holdBack);
    return false;
  }

  /** Ends the row: flushes the decoder (unless a stop string cut it) and releases the rest of the text. */
  close(): void {
    if (this.#closed) return;
    if (this.#decoder) this.#text += this.#decoder.flush();
    this.#closed = true;
    this.#release(this.#text.length);
  }

  #release(upTo: number): void {
    if (upTo <= this.#emitted) return;
    const piece = this.#text.slice(this.#emitted, upTo);
    this.#emitted = upTo;
    this.#emit(piece);
  }
}
