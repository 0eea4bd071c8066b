/** Client sampling per round: all, a count, or a rate; seeded by (seed, round) so any round can be redrawn. */
import { mixSeed, shuffled } from '../util/random.js';

export interface SamplingOptions {
  /** Clients per round. */
  count?: number;
  /** Share of clients per round (at least one). */
  rate?: number;
}

/** The clients of `round`, in ascending id order. */
export function sampleClients(ids: readonly number[], round: number, seed: number, options: SamplingOptions): number[] {
  const k = options.count !== undefined
    ? Math.min(ids.length, options.count)
    : options.rate !== undefined
      ? Math.max(1, Math.round(options.rate * ids.length))
      : ids.length;
  if (k >= ids.length) return [...ids];
  return shuffled(ids, mixSeed(seed, round, 0x5a3)).slice(0, k).sort((a, b) => a - b);
}
