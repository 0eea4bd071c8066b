/**
 * How many CPUs other processes keep busy, sampled from /proc/stat over `ms` while this process sleeps (the
 * TS twin of bench/python/benchutil.py `busy_cpus`): 0 on an idle machine. Null where /proc/stat is missing.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

function jiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3]! + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

export async function busyCpus(ms = 1000): Promise<number | null> {
  try {
    const a = jiffies();
    await sleep(ms);
    const b = jiffies();
    return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * os.cpus().length;
  } catch {
    return null;
  }
}
