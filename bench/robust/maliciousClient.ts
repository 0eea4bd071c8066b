/**
 * The simulated malicious client. Every client trains honestly; this Aggregator sits where their updates reach
 * the server (FedTrainer's `aggregator` setup option) and, for the attacker, swaps the honest update for the
 * tampered one (attacks.ts) before the run's real rule, built by buildAggregator, sees it. The server thus
 * receives exactly what a client controlled by an adversary could upload, without a second client
 * implementation. It also logs the L2 norm of every delta as it arrives (the tampered one for the attacker),
 * which sets the norm bound and shows each attack's size in the report.
 */
import type { AggregationRound, Aggregator } from '../../lib/index.js';
import { mixSeed } from '../../lib/util/random.js';
import { deltaNorm, tamper, type AttackFactors, type AttackName } from './attacks.ts';

export interface Attack {
  name: AttackName;
  /** Client id (1-based, as the run numbers them). */
  attacker: number;
  factors: AttackFactors;
  seed: number;
}

/** Delta norms as they arrived, per round: the honest clients' and the attacker's (absent in a clean run). */
export interface ArrivalLog {
  honest: number[][];
  attacker: number[];
}

export function withMaliciousClient(inner: Aggregator, attack: Attack | null, log: ArrivalLog): Aggregator {
  return {
    ...inner,
    name: attack ? `${inner.name} (client ${attack.attacker}: ${attack.name})` : inner.name,
    begin(round, global): AggregationRound {
      const rest = inner.begin(round, global);
      const honest: number[] = [];
      log.honest.push(honest);
      return {
        async add(update) {
          if (!attack || update.client !== attack.attacker) {
            honest.push(deltaNorm(update.data, global));
            return rest.add(update);
          }
          const data = tamper(attack.name, update.data, global, attack.factors, mixSeed(attack.seed, round));
          log.attacker.push(deltaNorm(data, global));
          return rest.add({ ...update, data });
        },
        result: () => rest.result(),
      };
    },
  };
}
