/**
 * A one-line progress display: a redrawn bar on a TTY, plain periodic lines otherwise (logs, CI).
 */
export class Progress {
  readonly #total: number;
  readonly #label: string;
  readonly #tty: boolean;
  readonly #stream: NodeJS.WriteStream;
  readonly #every: number;
  #startedAt = Date.now();

  constructor(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#total = total;
    this.#stream = stream;
    this.#tty = Boolean(stream.isTTY);
    this.#every = Math.max(1, Math.round(total / 10));
  }

  /** Reports `done` of total with a short status text (e.g. the loss). */
  update(done: number, status: string): void {
    const elapsed = (Date.now() - this.#startedAt) / 1000;
    if (this.#tty) {
      const width = 28;
      const filled = Math.round((done / this.#total) * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      this.#stream.write(`\r${this.#label} ${bar} ${done}/${this.#total} ${status} ${elapsed.toFixed(1)}s\x1b[K`);
      if (done === this.#total) this.#stream.write('\n');
    } else if (done % this.#every === 0 || done === this.#total) {
      this.#stream.write(`${this.#label} ${done}/${this.#total} ${status} ${elapsed.toFixed(1)}s\n`);
    }
  }
}
