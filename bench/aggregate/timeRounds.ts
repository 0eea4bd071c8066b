/**
 * Times a round of aggregation: warm-up rounds, then timed ones, each given the global adapter of its round.
 * Beside the wall time it keeps the JS thread's longest stall (perf_hooks' event-loop delay, which shows
 * whether the work ran off the thread) and the peak RSS the rounds reached.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

import type { Aggregator } from '../../lib/index.js';
import { procMemory, resetPeakRss } from '../procMemory.ts';

export interface RoundTimes {
  ms: number[];
  p50Ms: number;
  /** p50 ÷ clients. */
  msPerClient: number;
  /** Longest the event loop waited during the timed rounds. */
  eventLoopMaxMs: number;
  /** VmHWM over the warm-up and timed rounds (reset after a GC, so earlier rules' garbage is not in it). */
  peakRssBytes: number;
}

// The bench runs without --expose-gc (npm run bench); turned on here, a collection before each rule frees the
// last rule's buffers, so its peak RSS is its own.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** One round through `aggregator`: every update added in client order, then the result. */
export async function aggregateRound(aggregator: Aggregator, round: number, global: Float32Array, updates: Float32Array[], weights: number[]): Promise<Float32Array> {
  const r = aggregator.begin(round, global);
  for (let c = 0; c < updates.length; c++) await r.add({ client: c + 1, data: updates[c]!, weight: weights[c]! });
  return r.result();
}

/**
 * Runs `round(i, global)` `warmup` times untimed, then `reps` times timed; round i's global adapter is filled
 * with 2·(i + 1), so each round's deltas differ from the last (normBound clips again every round).
 */
export async function timeRounds(round: (i: number, global: Float32Array) => Promise<unknown> | unknown, o: { values: number; clients: number; warmup: number; reps: number }): Promise<RoundTimes> {
  const global = new Float32Array(o.values);
  // Touched before the peak is reset, so the peak is the rounds' own.
  global.fill(1);
  collectGarbage();
  // V8 frees array buffers' memory on a background thread after the collection: give it time to finish.
  await sleep(200);
  resetPeakRss();
  const ms: number[] = [];
  let eventLoopMaxMs = 0;
  for (let i = 0; i < o.warmup + o.reps; i++) {
    global.fill(2 * (i + 1));
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    // The histogram measures between its timer's ticks: let it tick before the round, so a stall from the
    // round's first instant counts.
    await sleep(20);
    const t0 = performance.now();
    await round(i, global);
    const t = performance.now() - t0;
    // Let the delay timer fire once after a blocking (synchronous) round, so the stall is recorded.
    await sleep(20);
    delay.disable();
    if (i < o.warmup) continue;
    ms.push(t);
    eventLoopMaxMs = Math.max(eventLoopMaxMs, delay.max / 1e6);
  }
  return { ms, p50Ms: p50(ms), msPerClient: p50(ms) / o.clients, eventLoopMaxMs, peakRssBytes: procMemory()!.peakRss };
}
