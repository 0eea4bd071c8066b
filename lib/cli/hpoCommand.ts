/** `fsllm hpo --cfg run.yaml --space space.yaml`: a hyper-parameter search over federated runs (FedHPO). */
import path from 'node:path';
import { parseArgs } from 'node:util';

import { fsllmError, invalidArg, type FsllmError, type FsllmErrorCode } from '../errors/index.js';
import { loadHpoSettings } from '../hpo/loadHpoSettings.js';
import { runHpo, type HpoEvent } from '../hpo/runHpo.js';
import type { TrialRecord } from '../hpo/types.js';
import { formatDuration, formatValue } from '../report/format.js';

/** The usage text of `fsllm hpo`. */
export const HPO_USAGE = `fsllm hpo --cfg FILE --space FILE [--out DIR] [--workers N] [--scheduler grid|rs|sha|wrap_rs|wrap_sha]
          [--objective val.loss] [--direction min|max] [--samples N] [--seed S] [--budgets 2,4,8] [--eta 3] [key=value ...]
  Hyper-parameter search: every trial is a real \`fsllm run\` of FILE with the trial's values as overrides,
  written to DIR/trials/<id> (default DIR runs/hpo). The space file maps run options (e.g. train.optimizer.lr)
  to a list of choices or { low, high, log, type, grid }, optionally under space: beside the settings above.
  grid: every combination; rs: --samples seeded random draws; sha: successive halving over --budgets rounds,
  keeping the best 1/eta each rung, promoted trials continuing from their checkpoints. An FS-LLM config's hpo:
  section (hpo.scheduler, hpo.ss, hpo.sha.budgets, ...) is read too; hpo.* key=value pairs edit it, other
  key=value pairs apply to every trial. Writes DIR/hpo.json, trials.jsonl, best.json and report.html; run the
  same command again to resume.`;

const rounds = (n: number): string => `${n} round${n === 1 ? '' : 's'}`;

const describe = (config: Readonly<Record<string, unknown>>): string =>
  Object.entries(config).map(([k, v]) => `${k}=${typeof v === 'number' ? v : JSON.stringify(v)}`).join(' ');

/** One line per trial start and end, so a log shows the search as it runs. */
function printer(objective: string): (e: HpoEvent) => void {
  let rungs = 1;
  const rungText = (rung: number) => (rungs > 1 ? ` rung ${rung + 1}/${rungs}` : '');
  return (e) => {
    if (e.kind === 'plan') {
      rungs = e.budgets?.length ?? 1;
      const how = e.budgets ? `, rungs of ${e.budgets.join(', ')} rounds` : '';
      console.log(`${e.resumed ? 'resuming' : 'planned'} ${e.trials} trial${e.trials === 1 ? '' : 's'}${how}`);
    } else if (e.kind === 'start') {
      console.log(`${e.id}${rungText(e.rung)}: ${rounds(e.rounds)}, ${describe(e.config)}`);
    } else if (e.kind === 'end') {
      const r = e.record;
      const value = r.status === 'failed' ? 'failed' : `${r.status === 'ok' ? `${objective} ${formatValue(r.value!)}` : 'diverged'} after ${rounds(r.rounds)}`;
      const from = e.reused ? ' (finished earlier, from trials.jsonl)' : ` (${formatDuration(r.seconds)})`;
      console.log(`${r.id}${rungText(r.rung)}: ${value}${from}`);
      if (r.status === 'failed' && !e.reused) console.log(`  ${(r.error ?? '').split('\n').slice(-3).join('\n  ')}`);
    } else {
      console.log(`rung ${e.rung + 1} (${rounds(e.budget)}) done: ${e.promoted.length ? `promoting ${e.promoted.join(', ')}` : 'no trial finished; stopping'}`);
    }
  };
}

/** The error of a search whose every trial failed (the same cause, usually): the first trial's own error. */
function everyTrialFailed(first: TrialRecord, out: string): FsllmError {
  const error = first.error ?? '';
  const code = /fsllm: (ERR_FSLLM_[A-Z_]+)/.exec(error)?.[1] ?? 'ERR_FSLLM_NATIVE';
  const said = error.slice(error.lastIndexOf('fsllm: ') >= 0 ? error.lastIndexOf('fsllm: ') + 7 : 0).trim();
  return fsllmError(code as FsllmErrorCode, `every trial failed; ${first.id} said: ${said} (log: ${path.join(out, 'trials', first.id, 'trial.log')})`);
}

/**
 * Runs `fsllm hpo` with its arguments (after the command name).
 * @throws whatever loadHpoSettings and runHpo throw; the code of the trials' own error when every trial failed.
 */
export async function hpoCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      cfg: { type: 'string' }, space: { type: 'string' }, out: { type: 'string' }, workers: { type: 'string' },
      scheduler: { type: 'string' }, objective: { type: 'string' }, direction: { type: 'string' }, samples: { type: 'string' },
      seed: { type: 'string' }, budgets: { type: 'string' }, eta: { type: 'string' },
    },
  });
  if (!values.cfg) throw invalidArg('--cfg', 'a run config file (YAML or JSON)', values.cfg);
  const bad = positionals.find((p) => !/^[A-Za-z_][\w.-]*=/.test(p));
  if (bad !== undefined) throw invalidArg(`argument ${bad}`, 'a --flag or key=value', bad);
  const { cfg, space, ...choices } = values;
  const settings = await loadHpoSettings({ cfg, ...(space ? { space } : {}), overrides: positionals, choices });
  console.log(`fsllm hpo: ${settings.scheduler} over ${settings.space.map((d) => d.key).join(', ')} of ${cfg}; objective ${settings.objective.name} (${settings.objective.direction}) -> ${settings.out}`);
  for (const note of settings.notes ?? []) console.log(`  note: ${note}`);
  const controller = new AbortController();
  // First Ctrl-C: the trials stop between steps. Second: exit now; the exit handler kills the trials' groups.
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(130);
    console.log('stopping the running trials; run the same command again to resume');
    controller.abort();
  });
  const result = await runHpo(settings, { signal: controller.signal, onEvent: printer(settings.objective.name) });
  const best = result.best;
  if (best) console.log(`best ${best.id}: ${settings.objective.name} ${formatValue(best.value!)} after ${rounds(best.rounds)} with ${describe(best.config)}`);
  else if (result.ranking.length > 0 && result.ranking.every((r) => r.status === 'failed')) throw everyTrialFailed(result.ranking[0]!, result.outDir);
  else console.log('no trial finished with a finite objective');
  console.log(`${result.totalRounds} rounds trained in all; wrote ${result.outDir} (hpo.json, trials.jsonl, best.json, report.html)`);
}
