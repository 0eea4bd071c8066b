/**
 * The end of a FedTrainer run: saves the final adapter(s) in PEFT format, writes `cost.json` and
 * `report.html`, and assembles the results from what `metrics.jsonl` holds.
 */
import path from 'node:path';
import { encodeAdapter } from '../comm/adapterFrame.js';
import type { ResolvedOptions } from '../config/index.js';
import type { AdapterState, Model } from '../native/index.js';
import { adapterFileConfig, writeAdapterFiles } from '../native/peftAdapter.js';
import { writeReport } from '../report/index.js';
import type { CostSummary, EvalRecord, RunRecord, TrainRecord } from '../report/records.js';
import type { ClientModel } from './clientModel.js';
import type { TaskCost } from './serverTasks.js';
import type { ClientProcessReport } from './clientProcessControl.js';
import type { RunOutput } from './runOutput.js';
import type { Server } from './Server.js';

/** An adapter the run produced, with the configuration needed to save it in PEFT format. */
export interface FinalAdapter {
  state: AdapterState;
  /** Writes `adapter_config.json` + `adapter_model.safetensors` into `dir`. */
  save(dir: string): Promise<void>;
}

export interface FedResults {
  outDir: string;
  /** Rounds completed (fewer than totalRounds after an early stop). */
  rounds: number;
  reason: 'completed' | 'earlyStop';
  /** Best evaluation of the merged split named by eval.bestKey (or, when it has no examples, the other one). */
  best: { round: number; value: number; key: string } | null;
  /** Records of the last evaluation (per client and 'global'). */
  final: EvalRecord[];
  history: RunRecord[];
  cost: CostSummary;
  /** The global adapter (fed, global scenarios); null in the local scenario. */
  adapter: FinalAdapter | null;
  /** Each client's own adapter (local scenario). */
  clientAdapters: Map<number, FinalAdapter>;
  /** With federate.clientProcesses: what each client process was given and loaded. */
  clientProcesses: { id: number; modelPath: string; numLayers: number; givenPaths: string[] }[];
}

/** What the run leaves for its results. */
export interface FinishedRun {
  output: RunOutput;
  server: Server;
  model: ClientModel;
  reason: 'completed' | 'earlyStop';
  /** `Date.now()` when the run started. */
  startedAt: number;
  reports: ReadonlyMap<number, ClientProcessReport>;
  /** What scoring eval.tasks took in this process (a resumed run counts from its resume). */
  taskCost: TaskCost;
}

function costOf(history: RunRecord[], base: Model, trainableParameters: number, adapterMessageBytes: number, wallSeconds: number, taskCost: TaskCost): CostSummary {
  const train = history.filter((r): r is TrainRecord => r.kind === 'train');
  const rounds = history.filter((r) => r.kind === 'round');
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const down = sum(rounds.map((r) => r.bytesDown));
  const up = sum(rounds.map((r) => r.bytesUp));
  return {
    trainableParameters,
    baseDtype: base.baseDtype,
    baseBytesPerParam: base.baseBytesPerParam,
    adapterMessageBytes,
    meanMsPerStep: sum(train.map((t) => t.msPerStep * t.steps)) / Math.max(1, sum(train.map((t) => t.steps))),
    peakRssBytes: Math.max(0, ...rounds.map((r) => r.rssBytes)),
    bytesDownPerRound: down / Math.max(1, rounds.length),
    bytesUpPerRound: up / Math.max(1, rounds.length),
    totalBytes: down + up,
    wallSeconds,
    ...taskCost,
  };
}

/** Saves the outputs of a finished run and returns its results. */
export async function finishRun(o: ResolvedOptions, run: FinishedRun): Promise<FedResults> {
  const { output, server, model, reason, reports } = run;
  const { initial, uploadNames } = model;
  const config = model.model.config;
  const base = path.basename(model.model.source);
  // Each adapter's file configuration is taken now, while the model can still run a prompt's encoder on it.
  const finalAdapter = async (state: AdapterState): Promise<FinalAdapter> => {
    const file = await model.turn.run(() => adapterFileConfig(model.model, state));
    return { state, save: (dir) => writeAdapterFiles(dir, state, file, config, base) };
  };
  const adapter = o.federate.scenario === 'local' ? null : await finalAdapter(server.global);
  const clientAdapters = new Map<number, FinalAdapter>();
  for (const [id, data] of server.personal) clientAdapters.set(id, await finalAdapter({ data, manifest: initial.manifest }));
  if (adapter) await adapter.save(path.join(output.dir, 'adapter'));
  for (const [id, a] of clientAdapters) await a.save(path.join(output.dir, 'adapters', `client-${id}`));
  const history = await output.records();
  // Closed-model tuning: clients train (and send) only the adapter layers' LoRA.
  const trained = uploadNames
    ? initial.manifest.filter((e) => uploadNames.has(e.name)).reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0)
    : model.trainableParameters;
  const cost = costOf(history, model.model, trained, encodeAdapter(initial).byteLength, (Date.now() - run.startedAt) / 1000, run.taskCost);
  await output.writeCost(cost);
  if (o.output.report) await writeReport(output.dir);
  const lastEvalRound = Math.max(0, ...history.filter((r) => r.kind === 'eval').map((r) => r.round));
  const best = server.snapshot.best;
  return {
    outDir: output.dir,
    rounds: server.snapshot.round,
    reason,
    best: best ? { ...best, key: server.bestKey } : null,
    final: history.filter((r): r is EvalRecord => r.kind === 'eval' && r.round === lastEvalRound),
    history,
    cost,
    adapter,
    clientAdapters,
    clientProcesses: [...reports].map(([id, r]) => ({ id, modelPath: r.modelPath, numLayers: r.numLayers, givenPaths: r.givenPaths })),
  };
}
