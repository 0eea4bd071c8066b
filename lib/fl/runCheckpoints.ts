/**
 * A FedTrainer run's round boundary and resume: after every round the round's records are appended to
 * `metrics.jsonl` and, every `output.checkpointEvery` rounds (and after the last), a checkpoint is written;
 * a resumed run loads the newest one into the server and its clients. A checkpoint carries the fingerprint
 * of the options that wrote it, and a run with other options refuses to continue from it.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ResolvedOptions } from '../config/index.js';
import { fsllmError } from '../errors/index.js';
import { adapterFileConfig, loadAdapter } from '../native/peftAdapter.js';
import { writeCheckpoint, type RunCheckpoint } from './checkpoint.js';
import type { ClientModel } from './clientModel.js';
import type { RunClients } from './RunClients.js';
import type { RunOutput } from './runOutput.js';
import type { RunRecorder } from './RunRecorder.js';
import type { Server } from './Server.js';

/**
 * Options that change results: everything but the output switches, the round budget and the phase deadline
 * (a resumed server may be given more time to wait for its clients). Plain FedAvg without personalisation
 * leaves the aggregator and personalization sections out, so checkpoints written before those sections
 * existed still resume.
 */
function fingerprintOf(o: ResolvedOptions): string {
  const { output: _output, aggregator, personalization, ...rest } = o;
  const { totalRounds: _rounds, deadlineSeconds: _deadline, ...federate } = rest.federate;
  const plain = aggregator.rule === 'fedavg' && aggregator.normBound === 0 && aggregator.serverOptimizer.type === 'none' && personalization.method === 'none';
  const hashed = plain ? { ...rest, federate } : { ...rest, federate, aggregator, personalization };
  return createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, 16);
}

export interface RunCheckpointsContext {
  output: RunOutput;
  /** Holds the round's records, and gets the `checkpoint` event. */
  recorder: RunRecorder;
  model: ClientModel;
  clients: RunClients;
}

export class RunCheckpoints {
  readonly #o: ResolvedOptions;
  readonly #context: RunCheckpointsContext;
  readonly #fingerprint: string;

  constructor(o: ResolvedOptions, context: RunCheckpointsContext) {
    this.#o = o;
    this.#context = context;
    this.#fingerprint = fingerprintOf(o);
  }

  /** Awaited after round `round`: appends its records, then checkpoints when the round is due. */
  async afterRound(round: number, server: Server): Promise<void> {
    const { output, recorder, model, clients } = this.#context;
    await output.append(recorder.take());
    const every = this.#o.output.checkpointEvery;
    if (every <= 0 || (round % every !== 0 && round !== this.#o.federate.totalRounds)) return;
    const dir = await writeCheckpoint(output.dir, {
      server: server.snapshot,
      global: server.global,
      personal: server.personal,
      serverResidual: server.broadcastResidual,
      aggregatorState: server.aggregatorState,
      clients: clients.snapshots(),
      adapter: await model.turn.run(() => adapterFileConfig(model.model, server.global)),
      model: model.model.config,
      baseModel: path.basename(model.model.source),
      fingerprint: this.#fingerprint,
    });
    recorder.emit('checkpoint', { round, dir });
  }

  /**
   * Continues from `checkpoint`: the global adapter goes through the model (so it is read as the model holds
   * it), the server and the clients in this process or in child processes get their states back.
   * @throws `ERR_FSLLM_CONFIG` when the checkpoint was written with other options.
   */
  async resume(checkpoint: RunCheckpoint, server: Server): Promise<void> {
    const { output, model, clients } = this.#context;
    if (checkpoint.fingerprint !== this.#fingerprint) {
      throw fsllmError('ERR_FSLLM_CONFIG', `${output.dir}: the checkpoint was written by a run with other options; resume with the same options (only federate.totalRounds may change) or use another output.dir`);
    }
    await loadAdapter(model.model, checkpoint.adapterDir);
    server.restore(checkpoint.server, (await model.model.exportAdapter()).data, checkpoint.personal, checkpoint.serverResidual, checkpoint.aggregatorState);
    clients.restore(checkpoint.clients);
  }
}
