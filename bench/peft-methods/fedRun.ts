/**
 * One federated Fed-Dolly run with a given adapter and lr, and what the bench reads from it: the held-out
 * loss before and after, ROUGE-L before and after, and the costs cost.json records.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { FedTrainer, type AdapterOptions, type CostSummary, type EvalRecord, type RunRecord } from '../../lib/index.js';

/** What every method shares: model, data, rounds, clients and the local step budget. */
export interface JobSetup {
  modelPath: string;
  dataRoot: string;
  rounds: number;
  localSteps: number;
  batchSize: number;
  tokLen: number;
  /** Share of Dolly-15k used (each category keeps its share, so the 8 meta clients stay). */
  subsample: number;
  /** Clients sampled per round (of 8). */
  sampleClients: number;
  seed: number;
  rougeLimit: number;
  maxNewTokens: number;
  /** Score ROUGE-L at all (the sweep skips it). */
  rouge: boolean;
}

export interface RunOutcome {
  lr: number;
  trainableParameters: number;
  messageBytes: number;
  bytesUpPerRound: number;
  startLoss: number;
  finalLoss: number;
  rougeLStart: number | null;
  rougeL: number | null;
  seconds: number;
}

const globalTest = (history: RunRecord[], round: number, metric: string) =>
  history.find((r): r is EvalRecord => r.kind === 'eval' && r.round === round && r.target === 'global' && r.split === 'test' && r.metric === metric && r.variant === undefined)?.value ?? NaN;

/** Runs the job once under `adapter` at `lr`, writing into `dir`. */
export async function runJob(setup: JobSetup, adapter: AdapterOptions, lr: number, dir: string): Promise<RunOutcome> {
  const started = Date.now();
  const { rounds } = setup;
  const result = await new FedTrainer({
    model: { path: setup.modelPath },
    // Dolly-meta as FS-LLM: one client per category (8).
    data: { type: 'dolly-15k', root: setup.dataRoot, splitter: 'meta', subsample: setup.subsample, splits: [0.8, 0.1, 0.1], tokLen: setup.tokLen },
    federate: { totalRounds: rounds, sampleClients: setup.sampleClients, seed: setup.seed },
    adapter,
    // Fresh AdamW moments each round (FS-LLM's default); gradient norm clipped at 1 as the demo does, for every method.
    train: { localSteps: setup.localSteps, batchSize: setup.batchSize, optimizer: { type: 'adamw', lr, weightDecay: 0 }, maxGradNorm: 1 },
    // Round 0 (the start) and the last round only: the rounds between carry training traffic alone.
    eval: {
      every: rounds,
      splits: ['test'],
      ...(setup.rouge ? { tasks: [{ type: 'rouge' as const, limit: setup.rougeLimit, maxNewTokens: setup.maxNewTokens }], tasksEvery: rounds } : {}),
    },
    output: { dir, checkpointEvery: 0, report: false },
  }).run();
  const cost = JSON.parse(readFileSync(path.join(result.outDir, 'cost.json'), 'utf8')) as CostSummary;
  return {
    lr,
    trainableParameters: cost.trainableParameters,
    messageBytes: cost.adapterMessageBytes,
    bytesUpPerRound: cost.bytesUpPerRound,
    startLoss: globalTest(result.history, 0, 'loss'),
    finalLoss: globalTest(result.history, rounds, 'loss'),
    rougeLStart: setup.rouge ? globalTest(result.history, 0, 'rouge.rougeL') : null,
    rougeL: setup.rouge ? globalTest(result.history, rounds, 'rouge.rougeL') : null,
    seconds: (Date.now() - started) / 1000,
  };
}
