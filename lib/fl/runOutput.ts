/**
 * A run's output folder: `config.json`, `metrics.jsonl` (one RunRecord a line, appended per round),
 * `cost.json`, the final adapter, `report.html`, and the details of the task scores under `tasks/` (see
 * {@link RunOutput.taskDir}). On resume, records after the checkpoint's round are cut, so the file reads as if
 * the run had never stopped; the task details of a redone round are written again.
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

  /**
   * Where the details of round `round`'s task scores for `target` go (`evaluateTask`'s `outDir`: per-item rows
   * and the score), e.g. `tasks/round-2/global`, `tasks/round-2/client-1`, `tasks/round-2/AdapFu/global`.
   */
  taskDir(round: number, target: number | 'global', variant?: string): string {
    return path.join(this.dir, 'tasks', `round-${round}`, ...(variant ? [variant] : []), target === 'global' ? 'global' : `client-${target}`);
  }

  async writeCost(cost: CostSummary): Promise<void> {
    await atomicWrite(path.join(this.dir, 'cost.json'), `${JSON.stringify(cost, null, 2)}\n`);
  }
}
