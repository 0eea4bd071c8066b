/**
 * The entry point of a federated run: validates options, sets up the model clients train on, prepares each
 * client's data, and runs the server with its clients (in this process, in child processes, or remote over
 * gRPC), writing metrics, checkpoints, the final adapter and report.html to the output folder. Each of
 * those jobs lives in its own module; this file puts them in order.
 */
import { EventEmitter } from 'node:events';
import type { Aggregator } from '../aggregate/aggregator.js';
import { buildAggregator } from '../aggregate/buildAggregator.js';
import { resolveOptions, type FedTrainerOptions, type ResolvedOptions } from '../config/index.js';
import { fsllmError } from '../errors/index.js';
import { setNumThreads } from '../native/index.js';
import { readCheckpoint } from './checkpoint.js';
import { codecOf } from './buildClient.js';
import { openClientModel, type ClientModel } from './clientModel.js';
import { checkAdapterFitsMessages } from './messageLimit.js';
import { ServerTasks } from './serverTasks.js';
import type { FedEmitter } from './events.js';
import { offsiteServerOptions } from './offsite/offsiteServer.js';
import { OffsiteSetup } from './offsite/offsiteSetup.js';
import { prepareClients, type PreparedClient } from './prepareClients.js';
import { RunCheckpoints } from './runCheckpoints.js';
import { RunClients } from './RunClients.js';
import { RunOutput } from './runOutput.js';
import { RunRecorder } from './RunRecorder.js';
import { finishRun, type FedResults } from './runResults.js';
import { Server, type ServerOptions } from './Server.js';

/** What a run takes besides its options: parts given as code. */
export interface FedTrainerSetup {
  /**
   * The server's aggregation, replacing the one `options.aggregator` describes (e.g. a rule of your own; see
   * lib/aggregate for the interface and the built-in rules to wrap). Its `state()` is checkpointed.
   */
  aggregator?: Aggregator;
}

/**
 * A federated fine-tuning run.
 * @example
 * const run = new FedTrainer({ model: { path: 'assets/stories260K/stories260K.bin' }, data: { type: 'gsm8k', root: './data' } });
 * run.on('roundEnd', (r) => console.log(r.round, r.trainLoss));
 * const result = await run.run();
 * await result.adapter?.save('./out/adapter');
 * @throws `ERR_FSLLM_CONFIG` from the constructor when an option is invalid (the message names each one and its fix).
 */
export class FedTrainer extends (EventEmitter as new () => FedEmitter) {
  readonly options: ResolvedOptions;
  readonly #setup: FedTrainerSetup;
  #running = false;

  constructor(options: FedTrainerOptions | ResolvedOptions, setup: FedTrainerSetup = {}) {
    super();
    this.options = resolveOptions(options);
    this.#setup = setup;
  }

  /** Runs every round (or resumes from the output folder's checkpoint when output.resume is set). */
  async run(runOptions: { signal?: AbortSignal } = {}): Promise<FedResults> {
    if (this.#running) throw fsllmError('ERR_FSLLM_BUSY', 'This FedTrainer is already running; await run() before calling it again');
    this.#running = true;
    try {
      return await this.#run(runOptions.signal);
    } finally {
      this.#running = false;
    }
  }

  async #run(signal: AbortSignal | undefined): Promise<FedResults> {
    const o = this.options;
    const startedAt = Date.now();
    const output = new RunOutput(o.output.dir);
    // Everything the run reports goes through the recorder, which keeps the records for metrics.jsonl.
    const recorder = new RunRecorder(this);
    const warn = (m: string) => void recorder.emit('warning', m);
    if (o.model.threads !== undefined) setNumThreads(o.model.threads);
    // Closed-model tuning: the owner builds the emulator; clients load only the emulator folder.
    const offsite = o.offsite ? await OffsiteSetup.create(o, output.dir, warn) : null;
    let model: ClientModel | null = null;
    let clients: RunClients | null = null;
    let tasks: ServerTasks | null = null;
    try {
      model = await openClientModel(o, offsite?.emulatorDir ?? null);
      if (o.federate.mode === 'distributed') checkAdapterFitsMessages(o, model.initial);
      // Distributed: this process is the server; clients are `fsllm client` processes that connect over gRPC.
      clients = await RunClients.open(o, warn);
      const prepared = await this.#prepare(model, offsite !== null, warn);
      const checkpoint = o.output.resume ? await readCheckpoint(output.dir) : null;
      let initial = model.initial;
      // A resumed run takes the aligned emulator from its checkpoint instead of aligning again.
      if (offsite && !checkpoint) {
        const pre = await offsite.align(initial, o.offsite!.align.use ? o.offsite!.align.preSteps : 0);
        if (pre.report.steps > 0) recorder.emit('align', { round: 0, ...pre.report });
        initial = pre.state;
      }
      const checkpoints = new RunCheckpoints(o, { output, recorder, model, clients });
      const heldOut = new Map(prepared.map((p) => [p.id, p.testRecords]));
      tasks = new ServerTasks(o, { model, events: recorder, output, heldOut, ...(signal ? { signal } : {}) });
      const offsiteOptions = offsite ? offsiteServerOptions(o, offsite, prepared, recorder) : {};
      const clientIds = prepared.map((p) => p.id);
      const server: Server = new Server(clients.transport.endpoint('server'), initial, {
        ...this.#serverOptions(prepared),
        aggregator: this.#setup.aggregator ?? buildAggregator(o, (pick) => recorder.emit('krum', pick)),
        afterRound: (round) => checkpoints.afterRound(round, server),
        ...offsiteOptions,
        serverEval: async (round, global, personal) => [
          ...(await offsiteOptions.serverEval?.(round, global, personal) ?? []),
          ...(await tasks!.score(round, tasks!.targets(round, global, personal, clientIds, offsite))),
        ],
      }, recorder);
      clients.attach(server, { prepared, model, events: recorder, ...(signal ? { signal } : {}) });
      if (checkpoint) await checkpoints.resume(checkpoint, server);
      await output.start(o, checkpoint?.round ?? null);
      if (clients.port !== null) {
        const ids = prepared.map((p) => p.id);
        recorder.emit('listening', { host: o.distribute.host, port: clients.port, clients: ids, ...(offsite ? { emulatorDir: offsite.emulatorDir } : {}) });
      }
      const reason = await clients.run(server, signal);
      return await finishRun(o, { output, server, model, reason, startedAt, reports: clients.reports, taskCost: tasks.cost });
    } finally {
      clients?.transport.close();
      await model?.dispose();
      await offsite?.dispose();
    }
  }

  /**
   * Every client's data. A distributed server that knows the client count needs none of it, unless it is the
   * model owner of closed-model tuning, who evaluates full model + adapter on the held-out data, or scores the
   * `rouge` task, which prompts with every client's held-out records.
   */
  async #prepare(model: ClientModel, owner: boolean, warn: (m: string) => void): Promise<PreparedClient[]> {
    const o = this.options;
    const tokenizer = model.model.tokenizer;
    if (!tokenizer) throw fsllmError('ERR_FSLLM_TOKENIZER', `${o.model.path}: no tokenizer was found beside the model, and federated data must be tokenized`);
    const clientNum = o.federate.clientNum;
    const scoresHeldOut = o.eval.tasks.some((t) => t.type === 'rouge');
    if (o.federate.mode === 'distributed' && clientNum !== undefined && !owner && !scoresHeldOut) {
      return Array.from({ length: clientNum }, (_, i): PreparedClient => ({ id: i + 1, train: [], val: [], test: [], testRecords: [] }));
    }
    return prepareClients(o, tokenizer, warn);
  }

  /** The server options that follow from the run options alone. */
  #serverOptions(prepared: PreparedClient[]): ServerOptions {
    const o = this.options;
    const codec = codecOf(o);
    return {
      clientIds: prepared.map((p) => p.id),
      totalRounds: o.federate.totalRounds,
      sampling: { count: o.federate.sampleClients, rate: o.federate.sampleRate },
      weighting: o.federate.weighting,
      personalized: o.federate.scenario === 'local',
      evalEvery: o.eval.every,
      evalSplits: o.eval.splits,
      bestKey: o.eval.bestKey,
      earlyStop: o.eval.earlyStop,
      seed: o.federate.seed,
      deadlineMs: o.federate.deadlineSeconds * 1000,
      ...(codec ? { codec } : {}),
      maxRetries: o.federate.maxRetries,
      ...(o.federate.minClients !== undefined ? { minClients: o.federate.minClients } : {}),
    };
  }
}
