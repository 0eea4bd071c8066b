/**
 * A run's output folder: `config.json`, `metrics.jsonl` (one RunRecord a line, appended per round),
 * `cost.json`, the final adapter and `report.html`. On resume, records after the checkpoint's round are
 * cut, so the file reads as if the run had never stopped.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { atomicWrite } from '../util/atomicWrite.js';
import type { CostSummary, RunRecord } from '../report/records.js';

export class RunOutput {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  get metricsFile(): string {
    return path.join(this.dir, 'metrics.jsonl');
  }

  /** Creates the folder and writes the resolved configuration; a fresh run starts an empty metrics file. */
  async start(config: unknown, resumedAt: number | null): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await atomicWrite(path.join(this.dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    if (resumedAt === null) await atomicWrite(this.metricsFile, '');
    else {
      const kept = (await this.records()).filter((r) => r.round <= resumedAt);
      await atomicWrite(this.metricsFile, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    }
  }

  async append(records: RunRecord[]): Promise<void> {
    if (records.length > 0) await appendFile(this.metricsFile, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  /** Every record written so far (NaN losses are written as null by JSON and read back as NaN). */
  async records(): Promise<RunRecord[]> {
    if (!existsSync(this.metricsFile)) return [];
    const text = await readFile(this.metricsFile, 'utf8');
    return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
      const r = JSON.parse(l) as RunRecord;
      if (r.kind === 'eval' && r.value === null) r.value = NaN;
      return r;
    });
  }

  async writeCost(cost: CostSummary): Promise<void> {
    await atomicWrite(path.join(this.dir, 'cost.json'), `${JSON.stringify(cost, null, 2)}\n`);
  }
}
