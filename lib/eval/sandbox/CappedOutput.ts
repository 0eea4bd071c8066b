/** One output stream of a sample, kept up to a byte cap; the rest is read (so the writer never blocks) and counted. */
export class CappedOutput {
  readonly #cap: number;
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #dropped = 0;

  constructor(capBytes: number) {
    this.#cap = capBytes;
  }

  /** Keeps what fits under the cap, counts the rest. */
  push(chunk: Buffer): void {
    const room = this.#cap - this.#kept;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.#chunks.push(part);
      this.#kept += part.length;
    }
    this.#dropped += Math.max(0, chunk.length - Math.max(room, 0));
  }

  /** Whether any byte was dropped. */
  get truncated(): boolean {
    return this.#dropped > 0;
  }

  /** Bytes seen in all, kept or not. */
  get totalBytes(): number {
    return this.#kept + this.#dropped;
  }

  /** The kept bytes as UTF-8 (a character cut at the cap becomes U+FFFD). */
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}
