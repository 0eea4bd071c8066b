/**
 * Task scores inside the federated loop (`eval.tasks`): in the evaluation rounds `eval.tasksEvery` picks
 * (round 0 for the starting adapter, every N-th, and the last), the server scores each task on the global
 * adapter with the model it holds, and in the `local` scenario on each client's own adapter; in closed-model
 * tuning on the emulator (AdapEmu) and on the full model (AdapFu). Scores become `eval` records with metric
 * `<task>.<metric>` on the test split, so the report, `metrics.jsonl`, the best round and early stopping take
 * them like losses; each score's per-item details go to the run folder (`RunOutput.taskDir`). In-process
 * clients share the model: scoring holds their turn lock while the adapter is swapped in.
 *
 * The benchmark tasks (gsm8k, humaneval, mmlu) score their own test sets, one record per model. `rouge` scores
 * the clients' held-out data instead: each client's test split (`PreparedClient.testRecords`), one record per
 * client (target = its id; the global adapter's score, or in the `local` scenario the client's own), `limit`
 * records per client, then the merged record over all of them (`mergeHeldOutScores`).
 */
import type { ResolvedOptions } from '../config/index.js';
import type { InstructionRecord } from '../data/instruction.js';
import { evaluateTask } from '../eval/evaluateTask.js';
import { taskMetricNames, taskName, type TaskSpec } from '../eval/taskSpec.js';
import type { AdapterState, Model } from '../native/index.js';
import type { EvalRecord } from '../report/records.js';
import type { ClientModel } from './clientModel.js';
import type { FedReporter } from './events.js';
import { mergeHeldOutScores } from './mergeEvaluation.js';
import type { OffsiteSetup } from './offsite/offsiteSetup.js';
import type { RunOutput } from './runOutput.js';

/** One model to score: who it stands for in the records, whose held-out data it scores, and how to put the adapter on it. */
export interface TaskTarget {
  target: number | 'global';
  variant?: string;
  /** The clients whose held-out split `rouge` scores on this model: all of them for the global adapter, the one for its own. */
  clients: readonly number[];
  /** Loads the adapter to score and returns the model that now carries it. */
  load(): Promise<Model>;
}

/** What task scoring cost over a run (for cost.json). */
export interface TaskCost {
  taskSeconds: number;
  generatedTokens: number;
}

/** What {@link ServerTasks} works with besides the options. */
export interface ServerTasksSetup {
  /** The server's model (in-process clients share it, under its turn lock). */
  model: ClientModel;
  events: FedReporter;
  /** Where the details of each score go. */
  output: RunOutput;
  /** Each client's held-out records (its test split), by client id. */
  heldOut: ReadonlyMap<number, readonly InstructionRecord[]>;
  signal?: AbortSignal;
}

/** One evaluation of a task on a loaded model: who the record stands for, and (rouge) the records to score. */
interface TaskRun {
  target: number | 'global';
  instructions?: readonly InstructionRecord[];
}

export class ServerTasks {
  readonly #o: ResolvedOptions;
  readonly #setup: ServerTasksSetup;
  readonly #cost: TaskCost = { taskSeconds: 0, generatedTokens: 0 };

  constructor(o: ResolvedOptions, setup: ServerTasksSetup) {
    this.#o = o;
    this.#setup = setup;
  }

  get cost(): TaskCost {
    return { ...this.#cost };
  }

  /** Whether round `round` (an evaluation round) scores the tasks. */
  due(round: number): boolean {
    const { tasks, tasksEvery } = this.#o.eval;
    if (tasks.length === 0) return false;
    return round === 0 || round === this.#o.federate.totalRounds || (tasksEvery > 0 && round % tasksEvery === 0);
  }

  /** The server's own model carrying `adapter` (the emulator in closed-model tuning). */
  onServerModel(target: TaskTarget['target'], clients: readonly number[], adapter: AdapterState, variant?: string): TaskTarget {
    const { model } = this.#setup.model;
    return {
      target,
      clients,
      ...(variant ? { variant } : {}),
      load: async () => {
        await model.importAdapter(adapter);
        return model;
      },
    };
  }

  /**
   * The targets of round `round`'s scoring, or none when the round is not due: the global adapter; each
   * client's own adapter in the `local` scenario (`personal`, the global one until a client has its own); in
   * closed-model tuning the global adapter on the emulator (AdapEmu) and on the full model (AdapFu).
   */
  targets(round: number, global: AdapterState, personal: ReadonlyMap<number, Float32Array>, clientIds: readonly number[], offsite: OffsiteSetup | null): TaskTarget[] {
    if (!this.due(round)) return [];
    if (offsite) {
      return [
        this.onServerModel('global', clientIds, global, 'AdapEmu'),
        { target: 'global', variant: 'AdapFu', clients: clientIds, load: async () => (await offsite.loadAdapterIntoFull(global), offsite.full) },
      ];
    }
    if (this.#o.federate.scenario === 'local') {
      return clientIds.map((id) => this.onServerModel(id, [id], { data: personal.get(id) ?? global.data, manifest: global.manifest }));
    }
    return [this.onServerModel('global', clientIds, global)];
  }

  /**
   * Scores every task on every target, one after another, each target's runs of a task under one turn of the
   * clients' lock; then merges the per-client `rouge` records.
   */
  async score(round: number, targets: readonly TaskTarget[]): Promise<EvalRecord[]> {
    const records: EvalRecord[] = [];
    const heldOut: EvalRecord[] = [];
    for (const t of targets) {
      for (const spec of this.#o.eval.tasks) {
        const runs: TaskRun[] = spec.type === 'rouge'
          ? t.clients.map((id) => ({ target: id, instructions: this.#setup.heldOut.get(id) ?? [] }))
          : [{ target: t.target }];
        const scored = await this.#setup.model.turn.run(async () => {
          const model = await t.load();
          const out: EvalRecord[] = [];
          for (const run of runs) out.push(...(await this.#scoreRun(model, round, t, spec, run)));
          return out;
        });
        (spec.type === 'rouge' ? heldOut : records).push(...scored);
      }
    }
    return [...records, ...heldOut, ...mergeHeldOutScores(round, heldOut)];
  }

  /** One score as records; a client without held-out records gets NaN over count 0 (nothing measured). */
  async #scoreRun(model: Model, round: number, t: TaskTarget, spec: TaskSpec, run: TaskRun): Promise<EvalRecord[]> {
    const record = (metric: string, value: number, count: number): EvalRecord =>
      ({ kind: 'eval', round, target: run.target, split: 'test', metric: `${taskName(spec)}.${metric}`, value, count, ...(t.variant ? { variant: t.variant } : {}) });
    if (run.instructions?.length === 0) return taskMetricNames(spec).map((metric) => record(metric, NaN, 0));
    const score = await evaluateTask(model, spec, this.#runOptions(round, t, spec, run));
    this.#cost.taskSeconds += score.seconds;
    this.#cost.generatedTokens += score.generatedTokens;
    return Object.entries(score.metrics).map(([metric, value]) => record(metric, value, score.n));
  }

  #runOptions(round: number, t: TaskTarget, spec: TaskSpec, run: TaskRun) {
    const name = taskName(spec);
    const model = `${t.variant ? `${t.variant} ` : ''}${t.target === 'global' ? 'global' : `client ${t.target}`}`;
    const who = run.target === t.target ? model : `${model} on client ${run.target}'s test split`;
    const { signal } = this.#setup;
    return {
      ...(this.#o.data.root ? { dataRoot: this.#o.data.root } : {}),
      seed: this.#o.federate.seed,
      ...(signal ? { signal } : {}),
      ...(run.instructions ? { instructions: run.instructions } : {}),
      outDir: this.#setup.output.taskDir(round, run.target, t.variant),
      // No journal here: a run resumed from its checkpoint redoes the interrupted round, scoring included.
      onProgress: (done: number, total: number) => this.#setup.events.emit('taskProgress', { round, task: name, target: who, done, total }),
    };
  }
}
