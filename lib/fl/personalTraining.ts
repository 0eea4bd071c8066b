/**
 * Personalised FL on the client's side: each client keeps an adapter of its own next to the global one it
 * helps train. It lives with the client (in simulation in its Client between turns; in a client process or
 * a remote client, there) and travels in the client's snapshot, so run checkpoints hold it.
 * - Ditto (T. Li et al., ICML 2021): after the round's global fit, a second fit moves the personal adapter v
 *   from where it was, with the proximal term (λ/2)·‖v − w‖² to the round's global adapter w.
 * - pFedMe (T. Dinh et al., NeurIPS 2020): the global fit itself runs pFedMe's inner and outer steps
 *   (lib/trainer/hooks/pfedme.ts), whose last inner solution is the personal adapter.
 */
import type { ResolvedOptions } from '../config/index.js';
import { addFedProx } from '../trainer/hooks/fedProx.js';
import { addPFedMe } from '../trainer/hooks/pfedme.js';
import { Trainer } from '../trainer/Trainer.js';

/** The client's personal adapter (the global adapter's layout), null until its first personal fit. */
export interface PersonalSlot {
  data: Float32Array | null;
}

export interface PersonalTraining {
  slot: PersonalSlot;
  /** Ditto's second fit: its trainer pulls toward `anchor.data`, which the client sets to the round's global adapter. */
  ditto?: { trainer: Trainer; steps: number; lr: number; anchor: PersonalSlot };
}

/**
 * The personal training of a client whose main trainer is `trainer` (pFedMe adds its hooks there), or
 * undefined without personalisation. `localSteps`: the global fit's optimizer steps.
 */
export function personalTraining(o: ResolvedOptions, trainer: Trainer, localSteps: number): PersonalTraining | undefined {
  const p = o.personalization;
  if (p.method === 'none') return undefined;
  const slot: PersonalSlot = { data: null };
  if (p.method === 'pfedme') {
    addPFedMe(trainer.hooks, { lambda: p.lambda, outerLr: o.train.optimizer.lr, innerSteps: p.innerSteps, keep: (personal) => { slot.data = personal.data; } });
    return { slot };
  }
  const anchor: PersonalSlot = { data: null };
  const personal = new Trainer();
  addFedProx(personal.hooks, p.lambda, 'params', () => anchor.data!);
  return { slot, ditto: { trainer: personal, steps: p.localSteps ?? localSteps, lr: p.personalLr, anchor } };
}

/** pFedMe runs K inner steps per outer step: the global fit's optimizer steps for `outerSteps` outer ones. */
export function fitSteps(o: ResolvedOptions, outerSteps: number): number {
  return o.personalization.method === 'pfedme' ? outerSteps * o.personalization.innerSteps : outerSteps;
}
