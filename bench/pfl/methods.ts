/**
 * The four ways the pfl bench fits the clients, and the proximal weight lambda (and pFedMe's inner lr) the
 * personalised two use, chosen by `--sweep` on the validation split (bench/README.md § pfl). One place, so
 * the measured runs and the sweep mean the same settings.
 */
import type { FederateOptions, PersonalizationOptions } from '../../lib/index.js';

export type PflMethodName = 'fedavg' | 'local' | 'ditto' | 'pfedme';

export interface PflMethod {
  name: PflMethodName;
  scenario: NonNullable<FederateOptions['scenario']>;
  personalization?: PersonalizationOptions;
  /** The eval records of the adapters the method serves its clients ('personal', or the one model). */
  variant?: 'personal';
  /** The settings `--sweep` tries (each over `personalization`). */
  sweep?: Pick<PersonalizationOptions, 'lambda' | 'personalLr'>[];
}

/** pFedMe's K: inner steps on each batch (its default, as in the paper's experiments). */
export const PFEDME_INNER_STEPS = 5;

/** The settings of a personalised method that the sweep chooses. */
export type PersonalSettings = Required<Pick<PersonalizationOptions, 'lambda'>> & Pick<PersonalizationOptions, 'personalLr'>;

/**
 * Ditto takes as many personal steps as global ones, at the global fit's lr unless `personalLr` says otherwise;
 * pFedMe's inner steps run at `personalLr`, its outer step at the global fit's lr (times lambda).
 */
export function pflMethods(chosen: Record<'ditto' | 'pfedme', PersonalSettings>): PflMethod[] {
  return [
    { name: 'fedavg', scenario: 'fed' },
    { name: 'local', scenario: 'local' },
    { name: 'ditto', scenario: 'fed', personalization: { method: 'ditto', ...chosen.ditto }, variant: 'personal', sweep: [0.1, 1, 10, 100].map((lambda) => ({ lambda })) },
    // beta 1: the server averages the clients' local models as FedAvg does. Its inner steps fit one batch K
    // times, so the sweep also tries them slower.
    {
      name: 'pfedme', scenario: 'fed', personalization: { method: 'pfedme', innerSteps: PFEDME_INNER_STEPS, beta: 1, ...chosen.pfedme }, variant: 'personal',
      sweep: [{ lambda: 5 }, { lambda: 15 }, { lambda: 50 }, { lambda: 15, personalLr: 3e-3 }, { lambda: 15, personalLr: 1e-3 }, { lambda: 15, personalLr: 3e-4 }],
    },
  ];
}

/** The sweep's best on the validation split, 2026-12-03 (bench/README.md § pfl). */
export const CHOSEN: Record<'ditto' | 'pfedme', PersonalSettings> = { ditto: { lambda: 10 }, pfedme: { lambda: 15, personalLr: 1e-3 } };

/**
 * Optimizer steps a client takes per round under `method` with `localSteps` in train.localSteps: Ditto adds its
 * personal fit, pFedMe makes K inner steps on each of its batches.
 */
export function stepsPerRound(method: PflMethod, localSteps: number): number {
  if (method.name === 'ditto') return 2 * localSteps;
  if (method.name === 'pfedme') return PFEDME_INNER_STEPS * localSteps;
  return localSteps;
}
