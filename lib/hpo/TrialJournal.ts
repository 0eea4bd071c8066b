/**
 * `trials.jsonl`: one line per finished trial-rung, appended as one whole line when the trial's process has
 * exited. It is what a re-run reads back to skip finished work. A line cut short by a crash is dropped when
 * the journal is opened (the file is rewritten without it, atomically), so the next append starts on a
 * line of its own.
 */
import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';

import { atomicWrite } from '../util/atomicWrite.js';
import type { TrialRecord } from './types.js';

/** The journal's file name in the search folder. */
export const TRIALS_FILE = 'trials.jsonl';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A line that reads as a trial record (written by this code; anything else is dropped). */
function isTrialRecord(v: unknown): v is TrialRecord {
  return isObject(v) && typeof v.id === 'string' && Number.isInteger(v.rung) && Number.isInteger(v.rounds)
    && (v.status === 'ok' || v.status === 'diverged' || v.status === 'failed') && isObject(v.config)
    && (v.value === null || typeof v.value === 'number');
}

/** The finished trial-rungs of one search folder; open it with `TrialJournal.open`. */
export class TrialJournal {
  readonly file: string;
  /** Latest record per trial-rung (`id@rung`); a failed rung retried later is replaced by the retry. */
  readonly #latest = new Map<string, TrialRecord>();
  /** Every record in file order. */
  readonly #all: TrialRecord[] = [];

  private constructor(file: string) {
    this.file = file;
  }

  /** Opens `<out>/trials.jsonl`, reading what an earlier run of the search wrote, and drops a torn last line. */
  static async open(out: string): Promise<TrialJournal> {
    const journal = new TrialJournal(path.join(out, TRIALS_FILE));
    if (!existsSync(journal.file)) {
      await atomicWrite(journal.file, '');
      return journal;
    }
    const text = await readFile(journal.file, 'utf8');
    const kept: string[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;   // a line cut short by a crash: that trial-rung is run again
      }
      if (!isTrialRecord(value)) continue;
      kept.push(line);
      journal.#keep(value);
    }
    const clean = kept.map((l) => `${l}\n`).join('');
    if (clean !== text) await atomicWrite(journal.file, clean);
    return journal;
  }

  #keep(record: TrialRecord): void {
    this.#all.push(record);
    this.#latest.set(`${record.id}@${record.rung}`, record);
  }

  /** The record of trial `id` at rung `rung` when it finished (`ok` or `diverged`); failed rungs are run again. */
  finished(id: string, rung: number): TrialRecord | undefined {
    const r = this.#latest.get(`${id}@${rung}`);
    return r && r.status !== 'failed' ? r : undefined;
  }

  /** The latest record of every trial-rung. */
  latest(): TrialRecord[] {
    return [...this.#latest.values()];
  }

  /** Every record in the order written (retries included). */
  all(): readonly TrialRecord[] {
    return this.#all;
  }

  /** Appends `record` as one line. A single small append is written whole or not at all in practice. */
  async append(record: TrialRecord): Promise<void> {
    await appendFile(this.file, `${JSON.stringify(record)}\n`);
    this.#keep(record);
  }
}
