/**
 * `npm run bench -- aggregate [--clients K] [--values N] [--reps R] [--warmup W] [--rules a,b] [--byzantine F]
 * [--seed S]`: is a 100-client round with LLaMA-7B-shaped LoRA messages fast on the server?
 *
 * LLaMA-7B LoRA r 8 on q_proj and v_proj: 32 layers × 2 modules × (8 × 4096 + 4096 × 8) = 4,194,304 values,
 * 16.8 MB in fp32 (the default `--values`). The bench makes K = 100 seeded random updates of that length, one
 * allocation each (1.68 GB), with weights 100 … 199 (sample counts), and times whole rounds (every update
 * added as it would arrive, then the result) through the real Aggregator objects of lib/aggregate (rules.ts):
 * FedAvg (streaming: one fp64 running sum), coordinate median, trimmed mean (10% cut at each end), Krum and
 * Multi-Krum (f = 10, so K > 2f + 2), FedAvg + FedAdam, and norm bound + FedAvg (every update clipped).
 * FedAvg's weighted sum is also run as a plain JS loop (jsFedAvg.ts) to show what the native kernels gain,
 * and its result checked against the native one.
 *
 * Per rule: ms per round (p50 of `--reps` timed rounds after `--warmup`), ms per client, the JS thread's
 * longest stall and the peak RSS of its rounds; the RSS holding the updates, and the process peak RSS overall.
 * Progress on stderr; one JSON line on stdout.
 */
import { parseArgs } from 'node:util';

import { procMemory } from '../procMemory.ts';
import { jsFedAvg } from './jsFedAvg.ts';
import { randomUpdates } from './randomUpdates.ts';
import { buildRule, RULE_NAMES, type RuleName } from './rules.ts';
import { aggregateRound, timeRounds, type RoundTimes } from './timeRounds.ts';

/** 32 layers × 2 modules × (8 × 4096 + 4096 × 8). */
const LLAMA7B_LORA_VALUES = 32 * 2 * (8 * 4096 + 4096 * 8);

const count = (flag: string, raw: string, min: number): number => {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${flag}: expected an integer ≥ ${min}, got ${raw}`);
  return v;
};

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '100' },
      values: { type: 'string', default: String(LLAMA7B_LORA_VALUES) },
      reps: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      rules: { type: 'string', default: RULE_NAMES.join(',') },
      byzantine: { type: 'string', default: '10' },
      seed: { type: 'string', default: '0' },
    },
  });
  const clients = count('clients', values.clients, 1);
  const n = count('values', values.values, 1);
  const timing = { values: n, clients, warmup: count('warmup', values.warmup, 0), reps: count('reps', values.reps, 1) };
  const byzantine = count('byzantine', values.byzantine, 0);
  const asked = values.rules.split(',').map((s) => s.trim());
  const unknown = asked.filter((r) => !(RULE_NAMES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`--rules: unknown ${unknown.join(', ')}; choose from ${RULE_NAMES.join(', ')}`);
  // Always in RULE_NAMES order: normBound, which clips the buffers in place, runs last.
  const rules = RULE_NAMES.filter((r) => asked.includes(r));
  if (rules.some((r) => r === 'krum' || r === 'multiKrum') && clients <= 2 * byzantine + 2) {
    throw new Error(`--byzantine ${byzantine}: Krum needs more than ${2 * byzantine + 2} clients, got ${clients}`);
  }

  const started = Date.now();
  // Load the addon (libtorch) before any memory is measured, so the first rule is not charged for it.
  await aggregateRound(buildRule('fedavg', { byzantine, trimRatio: 0.1, normBound: 1 }), 0, new Float32Array(8), [new Float32Array(8)], [1]);
  process.stderr.write(`aggregate: making ${clients} updates of ${n} values (${((clients * n * 4) / 1e9).toFixed(2)} GB)\n`);
  const updates = randomUpdates(clients, n, count('seed', values.seed, 0));
  const weights = updates.map((_, c) => 100 + c);
  let processPeak = procMemory()!.peakRss;
  const rssWithUpdates = procMemory()!.rss;

  // The JS baseline first, while the updates are as generated; its result checks the native FedAvg below.
  let jsMean: Float32Array | null = null;
  const js = await timeRounds(() => { jsMean = jsFedAvg(updates, weights); }, timing);
  processPeak = Math.max(processPeak, js.peakRssBytes);
  process.stderr.write(`aggregate: plain JS fedavg ${js.p50Ms.toFixed(0)} ms per round\n`);

  const results: Partial<Record<RuleName, RoundTimes>> = {};
  let maxAbsDiff = NaN;
  for (const name of rules) {
    // normBound 1 is far below every delta's norm (at least 2·√N: each round's global sits 2 above the last),
    // so every round clips every update.
    const aggregator = buildRule(name, { byzantine, trimRatio: 0.1, normBound: 1 });
    const t = await timeRounds((i, global) => aggregateRound(aggregator, i + 1, global, updates, weights), timing);
    if (name === 'fedavg' && jsMean) {
      // One more round, untimed, checked against the JS loop's mean (FedAvg ignores the global adapter).
      const out = await aggregateRound(aggregator, 0, new Float32Array(n), updates, weights);
      maxAbsDiff = out.reduce((m, v, j) => Math.max(m, Math.abs(v - jsMean![j]!)), 0);
    }
    results[name] = t;
    processPeak = Math.max(processPeak, t.peakRssBytes);
    process.stderr.write(`aggregate: ${name} ${t.p50Ms.toFixed(0)} ms per round (${t.msPerClient.toFixed(2)} ms per client), ` +
      `event loop stalled ≤ ${t.eventLoopMaxMs.toFixed(0)} ms, peak RSS ${(t.peakRssBytes / 2 ** 30).toFixed(2)} GiB\n`);
  }

  const native = results.fedavg?.p50Ms;
  console.log(JSON.stringify({
    name: 'aggregate',
    clients,
    values: n,
    messageBytes: n * 4,
    updatesBytes: clients * n * 4,
    byzantine,
    warmup: timing.warmup,
    reps: timing.reps,
    rules: results,
    jsFedAvg: { ...js, nativeSpeedup: native ? js.p50Ms / native : null, maxAbsDiffVsNative: Number.isNaN(maxAbsDiff) ? null : maxAbsDiff },
    rssWithUpdatesBytes: rssWithUpdates,
    processPeakRssBytes: processPeak,
    seconds: (Date.now() - started) / 1000,
  }));
}
