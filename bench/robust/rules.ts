/**
 * The server rules the bench pits against each attack, as run options (aggregator.*): FedAvg, and five that
 * claim robustness to one bad client of five.
 */
import type { AggregatorOptions } from '../../lib/index.js';

export const RULES = ['fedavg', 'median', 'trimmedMean', 'normBound', 'krum', 'multiKrum'] as const;
export type RuleName = (typeof RULES)[number];

/** @param normBound the L2 bound of `normBound` (the bench derives it from a clean run). */
export function ruleOptions(rule: RuleName, normBound: number): AggregatorOptions {
  switch (rule) {
    case 'fedavg':
      return { rule: 'fedavg' };
    case 'median':
      return { rule: 'median' };
    case 'trimmedMean':
      // floor(0.2 · 5) = 1 value cut at each end of every coordinate: room for exactly the one attacker.
      return { rule: 'trimmedMean', trimRatio: 0.2 };
    case 'normBound':
      // Each delta clipped, then plain FedAvg.
      return { rule: 'fedavg', normBound };
    case 'krum':
      // f = 1 needs K > 2f + 2 = 4: five clients are the fewest it runs with.
      return { rule: 'krum', byzantine: 1 };
    case 'multiKrum':
      // The same scores; the K − f = 4 best updates averaged.
      return { rule: 'multiKrum', byzantine: 1 };
  }
}

/** The names of a comma list (`--rules median,krum`) checked against `known`, in the list's order. */
export function pickNames<T extends string>(flag: string, list: string, known: readonly T[]): T[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = names.filter((n) => !(known as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) throw new Error(`--${flag}: unknown ${unknown.join(', ') || '(empty list)'}; choose from ${known.join(', ')}`);
  return names as T[];
}
