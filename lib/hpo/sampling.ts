/**
 * The configurations of a search: every combination of the space's values (grid), or seeded random draws.
 * Pure functions of the space and the seed, so a resumed search draws the same configurations again.
 */
import { configError } from '../config/configError.js';
import { seededRandom } from '../util/random.js';
import { isChoice } from './searchSpace.js';
import type { RangeDimension, SearchDimension, SearchSpace, TrialConfig } from './types.js';

/** Sampled floats keep 6 significant digits: readable in reports and overrides, finer than any search needs. */
const round6 = (v: number): number => Number(v.toPrecision(6));

/** `count` points from low to high (ends included), evenly spaced, or geometrically with `log`. */
function rangePoints(d: RangeDimension, count: number): number[] {
  const points: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = i / (count - 1);
    const v = d.log ? Math.exp(Math.log(d.low) + t * (Math.log(d.high) - Math.log(d.low))) : d.low + t * (d.high - d.low);
    points.push(d.type === 'int' ? Math.round(v) : round6(v));
  }
  return [...new Set(points)];   // int points may coincide on a narrow range
}

/** The values a dimension takes in a grid, or undefined for a range without a `grid` count. */
export function gridValues(d: SearchDimension): readonly unknown[] | undefined {
  if (isChoice(d)) return d.choices;
  return d.grid === undefined ? undefined : rangePoints(d, d.grid);
}

/**
 * Every combination of the space's values; the first dimension varies slowest (nested loops in file order).
 * @throws `ERR_FSLLM_CONFIG` naming each range without a `grid` count.
 */
export function gridConfigs(space: SearchSpace, what: string): TrialConfig[] {
  const missing = space.filter((d) => gridValues(d) === undefined);
  if (missing.length > 0) {
    throw configError(missing.map((d) => ({
      path: d.key,
      message: 'a range has no grid points (give it grid: N for N evenly spaced values, list its choices, or use the rs scheduler)',
    })), what);
  }
  let configs: Record<string, unknown>[] = [{}];
  for (const d of space) {
    const values = gridValues(d)!;
    configs = configs.flatMap((c) => values.map((v) => ({ ...c, [d.key]: v })));
  }
  return configs;
}

/** One value of `d` from `random` (uniform in [0, 1)). */
function draw(d: SearchDimension, random: () => number): unknown {
  if (isChoice(d)) return d.choices[Math.floor(random() * d.choices.length)];
  if (d.type === 'int') {
    if (!d.log) return d.low + Math.floor(random() * (d.high - d.low + 1));
    // Log-uniform over [low - 0.5, high + 0.5), rounded: every integer gets the mass of its log-interval.
    const lo = Math.log(d.low - 0.5 > 0 ? d.low - 0.5 : d.low);
    const v = Math.round(Math.exp(lo + random() * (Math.log(d.high + 0.5) - lo)));
    return Math.min(d.high, Math.max(d.low, v));
  }
  const v = d.log ? Math.exp(Math.log(d.low) + random() * (Math.log(d.high) - Math.log(d.low))) : d.low + random() * (d.high - d.low);
  return Math.min(d.high, Math.max(d.low, round6(v)));
}

/** How many distinct configurations the space has (Infinity with a float range). */
export function spaceSize(space: SearchSpace): number {
  return space.reduce((n, d) => n * (isChoice(d) ? d.choices.length : d.type === 'int' ? d.high - d.low + 1 : Infinity), 1);
}

/**
 * `count` distinct configurations drawn with `seededRandom(seed)`, each dimension in file order. A space with
 * fewer distinct configurations than `count` gives all of them (in the order drawn), never a repeat.
 */
export function sampleConfigs(space: SearchSpace, count: number, seed: number): TrialConfig[] {
  const random = seededRandom(seed);
  const wanted = Math.min(count, spaceSize(space));
  const seen = new Set<string>();
  const out: TrialConfig[] = [];
  // Repeats are redrawn; a bounded number of attempts keeps a nearly exhausted space from looping long.
  for (let attempt = 0; out.length < wanted && attempt < count * 50; attempt++) {
    const config = Object.fromEntries(space.map((d) => [d.key, draw(d, random)]));
    const key = JSON.stringify(config);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(config);
  }
  return out;
}
