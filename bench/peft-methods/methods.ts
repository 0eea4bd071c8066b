/**
 * The five PEFT configurations the bench compares and the learning rate each trains with. One place, so the
 * federated runs, the lr sweep and the LLaMA-7B message table all mean the same settings.
 */
import type { AdapterOptions } from '../../lib/index.js';

export type MethodName = 'lora' | 'prompt' | 'p-tuning' | 'prefix' | 'prefix-projection';

export interface MethodSpec {
  name: MethodName;
  adapter: AdapterOptions;
  /** AdamW learning rate of the measured runs (chosen by `--sweep`; bench/README.md § peft-methods). */
  lr: number;
  /** The lrs `--sweep` tries on a short run. */
  sweep: number[];
}

// Prompt tuning starts from the Alpaca template's first sentence, which opens every training prompt: Lester
// et al. 2021 (§3.2, fig. 3b) found text-like starts beat N(0, 1) noise, most of all on small models, and a
// random start's rows sit far from the embedding rows these models were trained on. `--sweep` also runs the
// random start at the chosen lr to show what the choice is worth here.
export const INIT_TEXT = 'Below is an instruction that describes a task.';

/**
 * 20 virtual tokens everywhere (PEFT's num_virtual_tokens default; FS-LLM's P-tuning message size is
 * reproduced with it, see llama7bMessages.ts); encoder widths left at PEFT's default (the token width).
 * Chosen lrs: the sweep of 2026-12-03 on stories260K (bench/README.md § peft-methods).
 */
export const METHODS: readonly MethodSpec[] = [
  { name: 'lora', adapter: { method: 'lora', r: 8, alpha: 16, dropout: 0.05, targets: ['q_proj', 'v_proj'] }, lr: 1e-2, sweep: [3e-3, 1e-2, 3e-2] },
  { name: 'prompt', adapter: { method: 'prompt', virtualTokens: 20, init: 'text', initText: INIT_TEXT }, lr: 1e-1, sweep: [3e-2, 1e-1, 3e-1] },
  { name: 'p-tuning', adapter: { method: 'p-tuning', virtualTokens: 20, encoder: 'mlp' }, lr: 3e-2, sweep: [1e-2, 3e-2, 1e-1] },
  { name: 'prefix', adapter: { method: 'prefix', virtualTokens: 20, encoder: 'none' }, lr: 1e-1, sweep: [3e-2, 1e-1, 3e-1] },
  { name: 'prefix-projection', adapter: { method: 'prefix', virtualTokens: 20, encoder: 'projection' }, lr: 1e-2, sweep: [3e-3, 1e-2, 3e-2] },
];

/** The specs named in a comma list (`--methods lora,prompt`), in the order of {@link METHODS}; all when absent. */
export function pickMethods(list: string | undefined): MethodSpec[] {
  if (list === undefined) return [...METHODS];
  const names = list.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !METHODS.some((m) => m.name === n));
  if (unknown.length > 0) throw new Error(`--methods: unknown ${unknown.join(', ')}; choose from ${METHODS.map((m) => m.name).join(', ')}`);
  return METHODS.filter((m) => names.includes(m.name));
}

/**
 * `specs` with the lrs a `--lr` flag overrides (`prefix-projection=1e-3,lora=3e-3`): the chosen lrs come from
 * stories260K and need not suit another model.
 */
export function overrideLrs(specs: MethodSpec[], flag: string | undefined): MethodSpec[] {
  if (flag === undefined) return specs;
  const lrs = new Map<string, number>();
  for (const part of flag.split(',')) {
    const [name = '', value = ''] = part.split('=').map((s) => s.trim());
    const lr = Number(value);
    if (!METHODS.some((m) => m.name === name) || !(lr > 0)) throw new Error(`--lr: expected name=lr pairs such as prefix-projection=1e-3, got "${part}"`);
    lrs.set(name, lr);
  }
  return specs.map((m) => ({ ...m, lr: lrs.get(m.name) ?? m.lr }));
}
