/**
 * A process's memory as Linux reports it in /proc/<pid>/status, for the benches that measure peak memory.
 * RSS counts the pages of memory-mapped files the process has touched (RssFile: checkpoint loaders map the
 * file) as well as its own allocations (RssAnon), so both parts are kept apart. Elsewhere the figures fall back
 * to what Node knows (lifetime max RSS; no split) and are marked null.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Bytes; null where the platform does not say. */
export interface ProcMemory {
  /** Resident now (VmRSS). */
  rss: number;
  /** Highest resident since start or the last {@link resetPeakRss} (VmHWM). */
  peakRss: number;
  /** Resident anonymous memory (heap, tensors) and resident pages of mapped files. */
  anon: number | null;
  file: number | null;
}

function kb(status: string, field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * The memory of process `pid` (default this one).
 * @returns null when the process has ended (its status is gone).
 */
export function procMemory(pid: number | 'self' = 'self'): ProcMemory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    if (pid !== 'self') return null;
    const rss = process.memoryUsage().rss;
    return { rss, peakRss: Math.max(rss, process.resourceUsage().maxRSS * 1024), anon: null, file: null };
  }
  const rss = kb(status, 'VmRSS') ?? 0;
  return { rss, peakRss: kb(status, 'VmHWM') ?? rss, anon: kb(status, 'RssAnon'), file: kb(status, 'RssFile') };
}

/** Makes VmHWM start again from the current RSS (Linux `clear_refs` 5); elsewhere the lifetime peak stays. */
export function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux: the lifetime peak is all we get.
  }
}

/** Highest RssAnon and RssFile seen by a {@link MemorySampler} (VmHWM has no such split). */
export interface MemoryPeaks {
  anon: number | null;
  file: number | null;
}

/**
 * Samples this process's RssAnon and RssFile every `ms` on the JS thread, which is free while native jobs
 * (load, train step) run on their own thread. A peak shorter than `ms` can be missed; VmHWM cannot.
 */
export class MemorySampler {
  #peaks: MemoryPeaks = { anon: null, file: null };
  readonly #timer: NodeJS.Timeout;

  constructor(ms = 50) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), ms);
    this.#timer.unref();
  }

  #sample(): void {
    const m = procMemory();
    if (m?.anon == null || m.file == null) return;
    this.#peaks = { anon: Math.max(this.#peaks.anon ?? 0, m.anon), file: Math.max(this.#peaks.file ?? 0, m.file) };
  }

  /** The peaks since construction or the last call, then starts over from the current values. */
  take(): MemoryPeaks {
    this.#sample();
    const peaks = this.#peaks;
    this.#peaks = { anon: null, file: null };
    this.#sample();
    return peaks;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
