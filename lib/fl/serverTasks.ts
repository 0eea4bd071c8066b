/**
 * Task scores inside the federated loop (`eval.tasks`): in the evaluation rounds `eval.tasksEvery` picks
 * (round 0 for the starting adapter, every N-th, and the last), the server scores each task on the global
 * adapter with the model it holds, and in the `local` scenario on each client's own adapter; in closed-model
 * tuning on the emulator (AdapEmu) and on the full model (AdapFu). Scores become `eval` records with metric
 * `<task>.<metric>` on the test split, so the report, `metrics.jsonl`, the best round and early stopping take
 * them like losses. In-process clients share the model: scoring holds their turn lock while the adapter is
 * swapped in.
 */
import type { ResolvedOptions } from '../config/index.js';
import { evaluateTask } from '../eval/evaluateTask.js';
import { taskName, type TaskSpec } from '../eval/taskSpec.js';
import type { AdapterState, Model } from '../native/index.js';
import type { EvalRecord } from '../report/records.js';
import type { ClientModel } from './clientModel.js';
import type { FedReporter } from './events.js';
import type { OffsiteSetup } from './offsite/offsiteSetup.js';

/** One model to score: who it stands for in the records, and how to put the adapter on it. */
export interface TaskTarget {
  target: number | 'global';
  variant?: string;
  /** Loads the adapter to score and returns the model that now carries it. */
  load(): Promise<Model>;
}

/** What task scoring cost over a run (for cost.json). */
export interface TaskCost {
  taskSeconds: number;
  generatedTokens: number;
}

export class ServerTasks {
  readonly #o: ResolvedOptions;
  readonly #model: ClientModel;
  readonly #events: FedReporter;
  readonly #signal: AbortSignal | undefined;
  readonly #cost: TaskCost = { taskSeconds: 0, generatedTokens: 0 };

  constructor(o: ResolvedOptions, model: ClientModel, events: FedReporter, signal?: AbortSignal) {
    this.#o = o;
    this.#model = model;
    this.#events = events;
    this.#signal = signal;
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
  onServerModel(target: TaskTarget['target'], adapter: AdapterState, variant?: string): TaskTarget {
    return {
      target,
      ...(variant ? { variant } : {}),
      load: async () => {
        await this.#model.model.importAdapter(adapter);
        return this.#model.model;
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
        this.onServerModel('global', global, 'AdapEmu'),
        { target: 'global', variant: 'AdapFu', load: async () => (await offsite.loadAdapterIntoFull(global), offsite.full) },
      ];
    }
    if (this.#o.federate.scenario === 'local') {
      return clientIds.map((id) => this.onServerModel(id, { data: personal.get(id) ?? global.data, manifest: global.manifest }));
    }
    return [this.onServerModel('global', global)];
  }

  /** Scores every task on every target, one after another, under the clients' turn lock. */
  async score(round: number, targets: readonly TaskTarget[]): Promise<EvalRecord[]> {
    const records: EvalRecord[] = [];
    for (const t of targets) {
      for (const spec of this.#o.eval.tasks) {
        const score = await this.#model.turn.run(async () => evaluateTask(await t.load(), spec, this.#runOptions(round, t, spec)));
        this.#cost.taskSeconds += score.seconds;
        this.#cost.generatedTokens += score.generatedTokens;
        for (const [metric, value] of Object.entries(score.metrics)) {
          records.push({ kind: 'eval', round, target: t.target, split: 'test', metric: `${score.task}.${metric}`, value, count: score.n, ...(t.variant ? { variant: t.variant } : {}) });
        }
      }
    }
    return records;
  }

  #runOptions(round: number, t: TaskTarget, spec: TaskSpec) {
    const name = taskName(spec);
    const who = `${t.variant ? `${t.variant} ` : ''}${t.target === 'global' ? 'global' : `client ${t.target}`}`;
    return {
      ...(this.#o.data.root ? { dataRoot: this.#o.data.root } : {}),
      seed: this.#o.federate.seed,
      ...(this.#signal ? { signal: this.#signal } : {}),
      // No journal here: a run resumed from its checkpoint redoes the interrupted round, scoring included.
      onProgress: (done: number, total: number) => this.#events.emit('taskProgress', { round, task: name, target: who, done, total }),
    };
  }
}
