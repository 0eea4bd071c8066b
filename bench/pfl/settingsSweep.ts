/**
 * The small sweep behind methods.ts's lambdas: Ditto's and pFedMe's `sweep` settings (lambda, and for pFedMe
 * also the inner steps' lr) on the bench's job, scored by the personal adapters' mean client loss on the
 * **validation** split (the test split stays for the measured runs).
 */
import path from 'node:path';

import type { PersonalizationOptions } from '../../lib/index.js';
import type { PflMethod } from './methods.ts';
import { runPfl, type PflSetup } from './pflRun.ts';

export interface SettingsSweep {
  /** Setting ('lambda 15', 'lambda 15, personalLr 0.003') → mean client val loss of the personal adapters (and test, for reference). */
  losses: Record<string, { val: number; test: number }>;
  /** The setting with the lowest val loss (NaN never wins). */
  best: string | null;
  /** What methods.ts uses. */
  chosen: string;
}

const labelOf = (p: PersonalizationOptions) => `lambda ${p.lambda}${p.personalLr !== undefined ? `, personalLr ${p.personalLr}` : ''}`;

export async function settingsSweep(setup: PflSetup, methods: PflMethod[], dir: string): Promise<Record<string, SettingsSweep>> {
  const out: Record<string, SettingsSweep> = {};
  for (const m of methods) {
    if (!m.sweep || !m.personalization) continue;
    const losses: SettingsSweep['losses'] = {};
    // Each point names its lambda and lr; what it leaves out takes the library's default, not the chosen value.
    const { lambda: _lambda, personalLr: _lr, ...base } = m.personalization;
    for (const [i, setting] of m.sweep.entries()) {
      const personalization = { ...base, ...setting };
      const label = labelOf(personalization);
      const r = await runPfl(setup, { ...m, personalization }, path.join(dir, `${m.name}-${i}`), `${m.name} ${label}`);
      losses[label] = { val: r.val, test: r.test };
      process.stderr.write(`pfl sweep ${m.name} ${label}: personal mean val loss ${r.val.toFixed(4)}, test ${r.test.toFixed(4)} (${r.seconds.toFixed(0)} s)\n`);
    }
    const ranked = Object.entries(losses).filter(([, v]) => Number.isFinite(v.val)).sort((a, b) => a[1].val - b[1].val);
    out[m.name] = { losses, best: ranked[0]?.[0] ?? null, chosen: labelOf(m.personalization) };
  }
  return out;
}
