/**
 * The bench's client updates: `clients` buffers of `values` fp32 values, uniform in [−1, 1), one allocation
 * each (as updates arrive from separate clients) and seeded per client so every run aggregates the same numbers.
 */
import { mixSeed, seededRandom } from '../../lib/util/random.js';

export function randomUpdates(clients: number, values: number, seed: number): Float32Array[] {
  return Array.from({ length: clients }, (_, c) => {
    const random = seededRandom(mixSeed(seed, c));
    const u = new Float32Array(values);
    for (let i = 0; i < values; i++) u[i] = 2 * random() - 1;
    return u;
  });
}
