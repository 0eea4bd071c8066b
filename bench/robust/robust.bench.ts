/**
 * `npm run bench -- robust [--rounds N] [--steps N] [--lr LR] [--attacks a,b] [--rules a,b] [--seed S]
 * [--attacker ID] [--norm-bound B] [--scale-factor S] [--sign-factor S] [--noise-factor S] [--subsample F]
 * [--tok-len T] [--model PATH] [--data-root DIR]`: does a robust aggregation rule keep one malicious client
 * of five from spoiling a federated fine-tune?
 *
 * The job: the embedded stories260K, LoRA r 8 on q/v, Dolly-15k (10%) split iid into 5 clients, all 5
 * trained every round. First a clean run (FedAvg, nobody attacks) gives the reference loss and the honest
 * delta norms; then, for each attack (attacks.ts: `scale`, `sign`, `noise`) and each rule (rules.ts: FedAvg,
 * coordinate median, trimmed mean cutting 1 of 5 at each end, norm bound + FedAvg, Krum and Multi-Krum with
 * f = 1), a run in which client `--attacker` is malicious. The attack is simulated by wrapping the aggregator
 * (maliciousClient.ts): the attacker trains honestly, and its upload is tampered with as it reaches the
 * server, then handed to the real rule that buildAggregator made from the run's options.
 *
 * The norm bound is 1.5 × the median L2 norm of the honest deltas of the clean run (every client, every
 * round), unless `--norm-bound` gives one: an honest delta is then never clipped much, and an attacker gets at
 * most one and a half honest clients' say. `--attacks` also runs `none` by default: each robust rule without
 * an attacker, which is what robustness costs when nobody attacks.
 *
 * Score: the global adapter's held-out loss (the clients' test splits pooled) after the last round, and
 * `withinFivePercentOfClean` = |loss − clean| / clean ≤ 0.05. Progress on stderr; one JSON line on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { embedded } from '../../lib/cli/assets.js';
import { dataRoot } from '../sharedData.ts';
import { ATTACKS, DEFAULT_FACTORS, type AttackFactors, type AttackName } from './attacks.ts';
import { runRobust, type RobustOutcome, type RobustSetup } from './robustRun.ts';
import { pickNames, ruleOptions, RULES, type RuleName } from './rules.ts';

const median = (values: number[]): number => {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length === 0 ? NaN : v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
};

const positive = (flag: string, raw: string): number => {
  const v = Number(raw);
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`--${flag}: expected a positive number, got ${raw}`);
  return v;
};

const finite = (flag: string, raw: string): number => {
  const v = Number(raw);
  if (!Number.isFinite(v) || raw.trim() === '') throw new Error(`--${flag}: expected a number, got ${raw}`);
  return v;
};

const integer = (flag: string, raw: string): number => {
  const v = finite(flag, raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${flag}: expected an integer ≥ 0, got ${raw}`);
  return v;
};

/** One attacked (or, for `none`, unattacked) run as the JSON reports it. */
function row(r: RobustOutcome, clean: number) {
  const relative = Math.abs(r.finalLoss - clean) / clean;
  return {
    finalLoss: Number.isFinite(r.finalLoss) ? r.finalLoss : null,
    relativeToClean: Number.isFinite(relative) ? relative : null,
    withinFivePercentOfClean: Number.isFinite(relative) && relative <= 0.05,
    attackerDeltaNorm: r.arrivals.attacker.length > 0 ? median(r.arrivals.attacker) : null,
    honestDeltaNorm: median(r.arrivals.honest.flat()),
    ...(r.krumKeptAttacker !== undefined ? { krumKeptAttackerRounds: r.krumKeptAttacker } : {}),
    ...(r.error ? { error: r.error } : {}),
    seconds: r.seconds,
  };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '8' },
      steps: { type: 'string', default: '10' },
      lr: { type: 'string', default: '1e-2' },
      attacks: { type: 'string', default: ['none', ...ATTACKS].join(',') },
      rules: { type: 'string', default: RULES.join(',') },
      seed: { type: 'string', default: '0' },
      attacker: { type: 'string', default: '1' },
      'norm-bound': { type: 'string' },
      'scale-factor': { type: 'string', default: String(DEFAULT_FACTORS.scale) },
      'sign-factor': { type: 'string', default: String(DEFAULT_FACTORS.sign) },
      'noise-factor': { type: 'string', default: String(DEFAULT_FACTORS.noise) },
      subsample: { type: 'string', default: '0.1' },
      'tok-len': { type: 'string', default: '256' },
      model: { type: 'string', default: embedded.model },
      'data-root': { type: 'string' },
    },
  });
  const setup: RobustSetup = {
    modelPath: values.model,
    dataRoot: dataRoot(values['data-root'], 'dolly-15k/'),
    clients: 5,
    rounds: positive('rounds', values.rounds),
    localSteps: positive('steps', values.steps),
    batchSize: 4,
    tokLen: positive('tok-len', values['tok-len']),
    subsample: positive('subsample', values.subsample),
    lr: positive('lr', values.lr),
    seed: integer('seed', values.seed),
  };
  const attacker = integer('attacker', values.attacker);
  if (attacker < 1 || attacker > setup.clients) throw new Error(`--attacker: a client id from 1 to ${setup.clients}, got ${values.attacker}`);
  const factors: AttackFactors = {
    scale: finite('scale-factor', values['scale-factor']),
    sign: finite('sign-factor', values['sign-factor']),
    noise: finite('noise-factor', values['noise-factor']),
  };
  const attacks = pickNames('attacks', values.attacks, ['none', ...ATTACKS] as const);
  const rules = pickNames('rules', values.rules, RULES);

  const started = Date.now();
  const out = mkdtempSync(path.join(os.tmpdir(), 'fsllm-robust-'));
  try {
    process.stderr.write('robust: clean run (fedavg, no attacker)\n');
    const clean = await runRobust(setup, ruleOptions('fedavg', 0), null, path.join(out, 'clean'), 'clean');
    if (!Number.isFinite(clean.finalLoss)) throw new Error(`the clean run did not finish: ${clean.error ?? 'NaN loss'}`);
    const honestMedian = median(clean.arrivals.honest.flat());
    const normBound = values['norm-bound'] !== undefined ? positive('norm-bound', values['norm-bound']) : 1.5 * honestMedian;
    process.stderr.write(`robust: clean test loss ${clean.startLoss.toFixed(4)} -> ${clean.finalLoss.toFixed(4)} (${clean.seconds.toFixed(0)} s); ` +
      `honest delta norm median ${honestMedian.toFixed(4)}, norm bound ${normBound.toFixed(4)}\n`);

    const results: Partial<Record<AttackName | 'none', Partial<Record<RuleName, ReturnType<typeof row>>>>> = {};
    for (const attack of attacks) {
      const byRule: Partial<Record<RuleName, ReturnType<typeof row>>> = {};
      for (const rule of rules) {
        // FedAvg without an attacker is the clean run itself.
        if (attack === 'none' && rule === 'fedavg') continue;
        const label = `${attack}/${rule}`;
        const threat = attack === 'none' ? null : { name: attack, attacker, factors, seed: setup.seed };
        const r = await runRobust(setup, ruleOptions(rule, normBound), threat, path.join(out, `${attack}-${rule}`), label);
        byRule[rule] = row(r, clean.finalLoss);
        process.stderr.write(`robust: ${label}: test loss ${r.finalLoss.toFixed(4)} (clean ${clean.finalLoss.toFixed(4)}, ` +
          `${byRule[rule]!.withinFivePercentOfClean ? 'within' : 'NOT within'} 5%)${r.error ? ` error: ${r.error}` : ''} (${r.seconds.toFixed(0)} s)\n`);
      }
      results[attack] = byRule;
    }

    // The issue's question per attack: do the robust rules stay within 5% of the clean loss where FedAvg does not?
    const verdict = Object.fromEntries(Object.entries(results).filter(([a]) => a !== 'none').map(([a, byRule]) => {
      const robust = Object.entries(byRule).filter(([rule]) => rule !== 'fedavg');
      return [a, {
        fedavgWithinFivePercent: byRule.fedavg?.withinFivePercentOfClean ?? null,
        robustWithin: robust.filter(([, r]) => r.withinFivePercentOfClean).map(([rule]) => rule),
        robustNotWithin: robust.filter(([, r]) => !r.withinFivePercentOfClean).map(([rule]) => rule),
      }];
    }));
    console.log(JSON.stringify({
      name: 'robust',
      model: path.basename(setup.modelPath),
      setup: { ...setup, modelPath: undefined, dataRoot: undefined, data: 'dolly-15k iid', adapter: 'lora r8 q_proj,v_proj' },
      attacker,
      factors,
      normBound: { value: normBound, given: values['norm-bound'] !== undefined, honestDeltaNormMedian: honestMedian, honestDeltaNormMedianPerRound: clean.arrivals.honest.map(median) },
      clean: { startLoss: clean.startLoss, finalLoss: clean.finalLoss, seconds: clean.seconds },
      results,
      verdict,
      seconds: (Date.now() - started) / 1000,
    }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
