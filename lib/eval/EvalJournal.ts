/**
 * The resume file of an evaluation: a JSONL file of finished items, one line appended (and flushed) as each
 * item finishes, so an evaluation that is cancelled or crashes and is started again with the same journal
 * redoes none of them. Items are keyed by task, index and sample; later lines of a key add to earlier ones
 * (HumanEval writes a sample's completion, then its result). A torn last line (a crash mid-write) is cut
 * off when the journal is opened. Without a file the journal lives in memory only.
 *
 * A task's first line is a header holding its setting (what changes the items: prompts, decoding, data,
 * model); a journal whose header for the task differs is refused rather than mixing two settings.
 */
import { mkdir, open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

import { fsllmError } from '../errors/index.js';
import { AsyncLock } from '../util/lock.js';

/** One journal line (other than a header): the key, then the item's fields. */
export type JournalFields = Record<string, unknown>;

interface HeaderLine {
  journal: 'fsllm-eval';
  task: string;
  setting: unknown;
}

export class EvalJournal {
  readonly #file: string | undefined;
  readonly #task: string;
  readonly #items = new Map<string, JournalFields>();
  #handle: FileHandle | undefined;
  // Items finish concurrently (HumanEval runs several programs at once); their lines are written one by one.
  readonly #lock = new AsyncLock();

  private constructor(file: string | undefined, task: string) {
    this.#file = file;
    this.#task = task;
  }

  /**
   * Opens (or creates) the journal `file` for `task`, reading its finished items.
   * @param setting JSON-comparable description of everything that decides the items' content.
   * @throws `ERR_FSLLM_INVALID_ARG` naming `journal` when the file holds `task` items of another setting;
   *   `ERR_FSLLM_DATA` when it cannot be read or written (its folder is made when missing) or a line other
   *   than the last is not JSON.
   */
  static async open(file: string | undefined, task: string, setting: unknown): Promise<EvalJournal> {
    const journal = new EvalJournal(file, task);
    if (file === undefined) return journal;
    const text = await readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT') return '';
      throw fsllmError('ERR_FSLLM_DATA', `${file}: cannot read the evaluation journal (${cause.message})`, { cause, path: file });
    });
    // Everything after the last newline is a line a crash tore off: drop it before appending after it.
    const whole = text.slice(0, text.lastIndexOf('\n') + 1);
    if (whole.length < text.length) await truncate(file, Buffer.byteLength(whole));
    const wanted = JSON.stringify(setting);
    let header = false;
    whole.split('\n').forEach((raw, i) => {
      if (raw.trim() === '') return;
      const line = parseLine(raw, file, i + 1);
      if (line['task'] !== task) return;
      if (line['journal'] === 'fsllm-eval') {
        if (JSON.stringify((line as unknown as HeaderLine).setting) !== wanted) {
          throw fsllmError(
            'ERR_FSLLM_INVALID_ARG',
            `Expected the evaluation journal ${file} to hold ${task} items of this setting, but its items were made with ` +
              `${JSON.stringify((line as unknown as HeaderLine).setting)}, not ${wanted}; use another journal (or --out folder) or delete this one`,
          );
        }
        header = true;
        return;
      }
      const key = keyOf(line['index'], line['sample']);
      journal.#items.set(key, { ...journal.#items.get(key), ...line });
    });
    journal.#handle = await mkdir(path.dirname(file), { recursive: true })
      .then(() => open(file, 'a'))
      .catch((cause: Error) => {
        throw fsllmError('ERR_FSLLM_DATA', `${file}: cannot write the evaluation journal (${cause.message})`, { cause, path: file });
      });
    if (!header) await journal.#write({ journal: 'fsllm-eval', task, setting } satisfies HeaderLine);
    return journal;
  }

  /** The fields recorded for item `index` (sample `sample`), or undefined when it has no line. */
  get(index: number, sample = 0): JournalFields | undefined {
    return this.#items.get(keyOf(index, sample));
  }

  /** Records `fields` for the item and flushes the line to disk before resolving. */
  async add(index: number, sample: number, fields: JournalFields): Promise<void> {
    const key = keyOf(index, sample);
    const line = { task: this.#task, index, sample, ...fields };
    this.#items.set(key, { ...this.#items.get(key), ...line });
    await this.#write(line);
  }

  /** Closes the file (the journal stays on disk, for the next run). Safe to call twice. */
  async close(): Promise<void> {
    await this.#lock.run(async () => {
      const handle = this.#handle;
      this.#handle = undefined;
      await handle?.close();
    });
  }

  #write(line: object): Promise<void> {
    return this.#lock.run(async () => {
      if (this.#handle === undefined) return;
      // One write per line: a crash leaves at most this line torn, which open() cuts off.
      await this.#handle.write(`${JSON.stringify(line)}\n`);
      await this.#handle.datasync();
    });
  }
}

function keyOf(index: unknown, sample: unknown): string {
  return `${String(index)}/${String(sample ?? 0)}`;
}

function parseLine(raw: string, file: string, line: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw fsllmError('ERR_FSLLM_DATA', `${file} line ${line}: not a journal line (a JSON object); delete the journal to start afresh`, { path: file });
}
