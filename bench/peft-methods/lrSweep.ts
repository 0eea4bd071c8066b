/**
 * The small learning-rate sweep behind methods.ts's choices: each method's `sweep` lrs on a shorter job (no
 * ROUGE), scored by the final held-out loss; plus prompt tuning from a random start at its chosen lr, to show
 * what the text start is worth.
 */
import path from 'node:path';

import { runJob, type JobSetup } from './fedRun.ts';
import type { MethodSpec } from './methods.ts';

export interface SweepResult {
  /** lr → final held-out loss. */
  losses: Record<string, number>;
  /** The lr with the lowest final loss (NaN losses never win). */
  best: number;
  /** What methods.ts uses. */
  chosen: number;
}

/** Runs the sweep in `dir`, reporting each run on stderr. */
export async function lrSweep(setup: JobSetup, methods: MethodSpec[], dir: string): Promise<{ sweep: Record<string, SweepResult>; promptRandomStart?: number }> {
  const short: JobSetup = { ...setup, rouge: false };
  const sweep: Record<string, SweepResult> = {};
  for (const m of methods) {
    const losses: Record<string, number> = {};
    for (const lr of m.sweep) {
      const r = await runJob(short, m.adapter, lr, path.join(dir, `${m.name}-${lr}`));
      losses[String(lr)] = r.finalLoss;
      process.stderr.write(`sweep ${m.name} lr ${lr}: test loss ${r.startLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)} (${r.seconds.toFixed(0)} s)\n`);
    }
    const finite = Object.entries(losses).filter(([, v]) => Number.isFinite(v)).sort((a, b) => a[1] - b[1]);
    sweep[m.name] = { losses, best: finite.length ? Number(finite[0]![0]) : NaN, chosen: m.lr };
  }
  const prompt = methods.find((m) => m.name === 'prompt');
  if (!prompt) return { sweep };
  const { init, initText, ...randomStart } = prompt.adapter;
  const r = await runJob(short, { ...randomStart, init: 'random' }, prompt.lr, path.join(dir, 'prompt-random'));
  process.stderr.write(`sweep prompt (random start) lr ${prompt.lr}: test loss ${r.startLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)}\n`);
  return { sweep, promptRandomStart: r.finalLoss };
}
