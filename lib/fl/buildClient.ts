/**
 * One federated client from the run options and its prepared data: batch source, hook trainer (LR
 * schedule, FedProx, FedBiOT's client term) and the Client worker on its endpoint. Used by FedTrainer for
 * in-process clients, by clientProcess.ts for a client in its own process and by distributed clients.
 */
import type { ResolvedOptions } from '../config/index.js';
import type { Endpoint } from '../comm/transport.js';
import type { CodecOptions } from '../comm/codecOptions.js';
import { fsllmError } from '../errors/index.js';
import { BatchSource } from '../trainer/batchSource.js';
import { addFedProx } from '../trainer/hooks/fedProx.js';
import { lrScheduleHook } from '../trainer/hooks/lrSchedule.js';
import { Trainer } from '../trainer/Trainer.js';
import { Client, type ClientOptions } from './Client.js';
import type { ClientModel } from './clientModel.js';
import type { FedReporter } from './events.js';
import { offsiteClientTerm } from './offsite/clientTerm.js';
import { personalTraining } from './personalTraining.js';
import type { PreparedClient } from './prepareClients.js';

export interface ClientWiring {
  endpoint: Endpoint;
  /** The model the client trains on (one model serves every in-process client, one turn at a time). */
  model: ClientModel;
  events: FedReporter;
  signal?: AbortSignal;
  /** See ClientOptions.beforeUpload (client processes send their state to the parent with it). */
  beforeUpload?: ClientOptions['beforeUpload'];
}

/** The wire codec of a run, or undefined for plain fp32 frames (the default, byte for byte as before). */
export function codecOf(o: ResolvedOptions): CodecOptions | undefined {
  const c = o.comm;
  return c.codec === 'fp32' && c.compression === 'none' ? undefined : { ...c };
}

export function buildClient(o: ResolvedOptions, p: PreparedClient, w: ClientWiring): Client {
  if (p.train.length === 0) {
    throw fsllmError('ERR_FSLLM_DATA', `Client ${p.id}${p.label ? ` (${p.label})` : ''} has no training example left; lower federate.clientNum, raise data.tokLen or use more data`);
  }
  const data = new BatchSource(p.train, {
    batchSize: o.train.batchSize,
    gradAccum: o.train.gradAccum,
    tokLen: o.data.tokLen,
    padId: w.model.model.tokenizer?.eosId ?? 0,
    pack: o.train.pack,
    seed: o.federate.seed * 1_000_003 + p.id,
  });
  const trainer = new Trainer();
  const epochs = o.train.localEpochs;
  const stepsPerFit = epochs !== undefined ? epochs * data.stepsPerEpoch : (o.train.localSteps ?? 10);
  // pFedMe: personalization.localSteps outer steps (default the usual local work) of K inner steps each.
  const pfedme = o.personalization.method === 'pfedme' ? o.personalization : null;
  const local = pfedme ? { steps: (pfedme.localSteps ?? stepsPerFit) * pfedme.innerSteps } : epochs !== undefined ? { epochs } : { steps: stepsPerFit };
  const { scheduler } = o.train;
  if (scheduler.type !== 'constant' || scheduler.warmupSteps > 0 || (scheduler.warmupRatio ?? 0) > 0) {
    const runSteps = stepsPerFit * o.federate.totalRounds;
    const warmupSteps = scheduler.warmupRatio !== undefined ? Math.round(scheduler.warmupRatio * runSteps) : scheduler.warmupSteps;
    trainer.hooks.register('batchStart', 'lrSchedule', lrScheduleHook(o.train.optimizer.lr, { type: scheduler.type, warmupSteps }, runSteps));
  }
  const { mergedProxWeight, fedProxMu } = offsiteClientTerm(o);
  const mu = o.train.fedprox.mu + fedProxMu;
  if (mu > 0) addFedProx(trainer.hooks, mu);
  if (mergedProxWeight > 0) addFedProx(trainer.hooks, mergedProxWeight, 'merged');
  const personal = personalTraining(o, trainer, stepsPerFit);
  return new Client(w.endpoint, w.model, {
    id: p.id,
    trainer,
    data,
    heldOut: { val: p.val, test: p.test },
    local,
    // pFedMe's steps are its inner steps on the personal adapter; the outer rate is train.optimizer.lr.
    lr: pfedme ? pfedme.personalLr : o.train.optimizer.lr,
    precision: o.train.precision,
    maxGradNorm: o.train.maxGradNorm,
    checkpointActivations: o.train.checkpointActivations,
    keepOptimizerState: o.train.keepOptimizerState,
    evalBatchSize: o.eval.batchSize,
    seed: o.federate.seed,
    skipLostRounds: o.federate.deadlineSeconds > 0,
    ...(w.signal ? { signal: w.signal } : {}),
    ...(w.beforeUpload ? { beforeUpload: w.beforeUpload } : {}),
    ...(w.model.uploadNames ? { uploadNames: w.model.uploadNames } : {}),
    ...(codecOf(o) ? { codec: codecOf(o)! } : {}),
    ...(personal ? { personal } : {}),
  }, w.events);
}
