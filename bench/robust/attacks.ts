/**
 * What the malicious client sends instead of its honest update u, from the round's global adapter g (the
 * three attacks FS-LLM's robust rules are usually shown against):
 * - `scale`: g + s·(u − g), its honest delta blown up (s = 50): a model-replacement style attack that a plain
 *   mean passes on at s/K of its size.
 * - `sign`: g + s·(u − g) with s = −4: the honest direction reversed, at the weight of the four honest
 *   clients together. Were the honest deltas of K = 5 clients equal, FedAvg's mean would be about zero and the
 *   adapter would stop moving; they agree only in part (each client's own batches), so the attacker's full
 *   reversed delta outweighs their mean and FedAvg walks backwards.
 * - `noise`: g + n, Gaussian n rescaled to s = 10 times the norm of the attacker's own honest delta (what a
 *   client that trained honestly knows); no finite update becomes NaN.
 */
import { seededRandom } from '../../lib/util/random.js';

export const ATTACKS = ['scale', 'sign', 'noise'] as const;
export type AttackName = (typeof ATTACKS)[number];

/** Each attack's factor s. */
export type AttackFactors = Record<AttackName, number>;

export const DEFAULT_FACTORS: AttackFactors = { scale: 50, sign: -4, noise: 10 };

/** ‖u − g‖₂, summed in fp64. */
export function deltaNorm(u: Float32Array, g: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < u.length; i++) {
    const d = u[i]! - g[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/** Standard normal draws by Box–Muller; 1 − random() is in (0, 1], so the log stays finite. */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * The tampered update (a new buffer; `u` and `g` are left alone).
 * @param seed draws the noise; the same seed gives the same update.
 */
export function tamper(attack: AttackName, u: Float32Array, g: Float32Array, factors: AttackFactors, seed: number): Float32Array {
  const out = new Float32Array(u.length);
  if (attack !== 'noise') {
    const s = factors[attack];
    for (let i = 0; i < u.length; i++) out[i] = g[i]! + s * (u[i]! - g[i]!);
    return out;
  }
  const draw = gaussian(seededRandom(seed));
  const noise = Float64Array.from({ length: u.length }, draw);
  const noiseNorm = Math.sqrt(noise.reduce((s, v) => s + v * v, 0));
  const scale = (factors.noise * deltaNorm(u, g)) / noiseNorm;
  for (let i = 0; i < u.length; i++) out[i] = g[i]! + scale * noise[i]!;
  return out;
}
