/** Federated orchestration: FedTrainer, the server and client workers, run records. */
export { FedTrainer, type FedTrainerSetup } from './FedTrainer.js';
export type { FedResults, FinalAdapter } from './runResults.js';
export { Server, type ServerOptions, type ServerSnapshot } from './Server.js';
export { Client, type ClientOptions, type ClientSnapshot, type SharedModel } from './Client.js';
export { sampleClients, type SamplingOptions } from './sampling.js';
export { readCheckpoint, writeCheckpoint, type RunCheckpoint } from './checkpoint.js';
export type { FedEvents, FedEmitter, FedReporter } from './events.js';
export type { CostSummary, EvalRecord, RoundRecord, RunRecord, TrainRecord } from '../report/records.js';
