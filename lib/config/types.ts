/**
 * The option types of `FedTrainer`: `FedTrainerOptions` (what users write; anything with a default
 * may be left out) and `ResolvedOptions` (what `resolveOptions` returns; every default filled in).
 * The zod schema in schema.ts is checked against both at compile time.
 * Longer than 300 lines on purpose: it is the one reference of every option, a type per config section
 * in the order a config file lists them, with the two assembled types beside them; split by section, a
 * reader would chase one config file across a dozen small files.
 */

import type { TaskSpec } from '../eval/taskSpec.js';
import type { BaseDtype } from '../native/baseDtype.js';
import type { Device } from '../native/device.js';

/** Built-in datasets (see DESIGN §3.1), or `'file'` for an Alpaca-style JSON/JSONL file. */
export const DATASET_TYPES = ['dolly-15k', 'gsm8k', 'codealpaca', 'alpaca', 'alpaca-cleaned', 'file'] as const;
/** How data is split across clients. */
export const SPLITTERS = ['iid', 'dirichlet', 'meta'] as const;
/** Local optimizers. */
export const OPTIMIZERS = ['adamw', 'sgd'] as const;
/** Learning-rate schedules (with optional linear warm-up). */
export const SCHEDULERS = ['constant', 'linear', 'cosine'] as const;
/** Training precision: fp32, or mixed bf16/fp16 with fp32 master weights. */
export const PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;
/** Held-out splits that can be evaluated. */
export const EVAL_SPLITS = ['val', 'test'] as const;

export type DatasetType = (typeof DATASET_TYPES)[number];
export type SplitterType = (typeof SPLITTERS)[number];
export type OptimizerType = (typeof OPTIMIZERS)[number];
export type SchedulerType = (typeof SCHEDULERS)[number];
export type TrainPrecision = (typeof PRECISIONS)[number];
export type EvalSplitKind = (typeof EVAL_SPLITS)[number];

/** Field names of an instruction record, when they differ from `instruction`/`input`/`output`/`category`. */
export interface InstructionKeyOptions {
  instruction?: string;
  input?: string;
  output?: string;
  category?: string;
}

export interface ModelOptions {
  /** HF folder (config.json + *.safetensors), GGUF file or llama2.c `.bin`. Required. */
  path: string;
  /** CPU threads for the native core (≥ 1); unset = the core's choice. */
  threads?: number;
  /** Where the base model and every client's step run: "cpu" (default), "cuda" or "cuda:N". */
  device?: Device;
  /** How the blocks' frozen base weights are stored: "fp32" (default), "bf16", "fp16", "int8" or "q4" (Model.load's baseDtype). */
  baseDtype?: BaseDtype;
}

export interface DataOptions {
  /** Which dataset. Required. */
  type: DatasetType;
  /** The JSON/JSONL file; required iff `type` is `'file'`. */
  file?: string;
  keys?: InstructionKeyOptions;
  /** Local folder holding the dataset files ("dataRoot"); unset = download into `cacheDir`. */
  root?: string;
  cacheDir?: string;
  /** How to split data across clients. Default: `meta` for dolly-15k and codealpaca, else `iid`. */
  splitter?: SplitterType;
  /** Dirichlet concentration (> 0), used by the `dirichlet` splitter only. Default 0.5. */
  alpha?: number;
  /** Train/val/test shares, non-negative and summing to 1. Default [0.8, 0.1, 0.1]. */
  splits?: [number, number, number];
  /** Tokens per example (≥ 8); longer examples are truncated. Default 128. */
  tokLen?: number;
  /** Share of the data to use, in (0, 1]. Default 1. */
  subsample?: number;
}

export interface FederateOptions {
  /** Default `'standalone'` (one process; clients share the frozen base model). */
  mode?: 'standalone' | 'distributed';
  /** `fed` (federated), `local` (each client alone) or `global` (all data pooled). Default `'fed'`. */
  scenario?: 'fed' | 'local' | 'global';
  /** Number of clients (≥ 1). Default: the number of categories for `meta`, else 3. */
  clientNum?: number;
  /** Rounds (≥ 1). Default 10. */
  totalRounds?: number;
  /** Clients sampled per round (≥ 1); not together with `sampleRate`. Default: all. */
  sampleClients?: number;
  /** Share of clients sampled per round, in (0, 1]; not together with `sampleClients`. */
  sampleRate?: number;
  /** FedAvg weights: by samples trained this round, or uniform. Default `'samples'`. */
  weighting?: 'samples' | 'uniform';
  /** Seed for splits, sampling and initialisation (integer ≥ 0). Default 0. */
  seed?: number;
  /**
   * Run each client in its own child process (standalone mode still; messages cross the IPC channel).
   * Each process loads its own copy of the model. Checkpoints then hold the server's state only. Default false.
   */
  clientProcesses?: boolean;
  /**
   * Seconds a round waits for updates (and evaluations); late clients are dropped for the round. The server's
   * first wait for clients to join (fresh or resumed) has the same deadline. Default 0 (wait for all).
   */
  deadlineSeconds?: number;
  /**
   * Updates a round needs; fewer by the deadline → the round is retried. Default: every sampled client. Also the
   * clients that must join by the deadline for the run to start (default: all); fewer → the run fails.
   */
  minClients?: number;
  /** Retries of a round that got fewer than minClients updates before the run fails. Default 2. */
  maxRetries?: number;
}

export interface AdapterOptions {
  /**
   * `'lora'` (default; the fields r to layers) or a prompt-learning method (`'prompt'` tuning, `'p-tuning'`,
   * `'prefix'` tuning; the fields from virtualTokens on, as `Model.attachPrompt`'s PromptOptions).
   * Closed-model tuning (offsite) keeps LoRA.
   */
  method?: 'lora' | 'prompt' | 'p-tuning' | 'prefix';
  /** LoRA rank (≥ 1). Default 8. */
  r?: number;
  /** LoRA alpha (> 0); scaling = alpha / r (alpha / √r with rsLoRA). Default 16. */
  alpha?: number;
  /** Dropout on the LoRA input, in [0, 1). Default 0.05. */
  dropout?: number;
  /** Module names to adapt. Default ['q_proj', 'v_proj']. */
  targets?: string[];
  /** rsLoRA scaling. Default false. */
  rslora?: boolean;
  /** Layer indices to adapt (≥ 0); unset = all layers. */
  layers?: number[];
  /** Prompt learning: virtual tokens before every input (PEFT's num_virtual_tokens). Default 20. */
  virtualTokens?: number;
  /** P-tuning: `'mlp'` (default) or `'lstm'`; prefix: `'projection'` or `'none'` (default). */
  encoder?: 'none' | 'mlp' | 'lstm' | 'projection';
  /** The encoder's hidden width (PEFT's encoder_hidden_size); unset = its input width. */
  encoderHiddenSize?: number;
  /** P-tuning's LSTM layers. Default 2. */
  encoderLayers?: number;
  /** Dropout between LSTM layers in training, in [0, 1). Default 0. */
  encoderDropout?: number;
  /** Prompt tuning's start: `'random'` (default), `'text'` (with initText) or `'sample-vocab'`. */
  init?: 'random' | 'text' | 'sample-vocab';
  initText?: string;
}

export interface TrainOptimizerOptions {
  /** Default `'adamw'`. */
  type?: OptimizerType;
  /** Learning rate (> 0). Default 3e-4. */
  lr?: number;
  weightDecay?: number;
  /** AdamW only. */
  beta1?: number;
  /** AdamW only. */
  beta2?: number;
  /** AdamW only. */
  eps?: number;
  /** SGD only. */
  momentum?: number;
  /** SGD only. */
  nesterov?: boolean;
}

export interface TrainSchedulerOptions {
  /** Default `'constant'`. */
  type?: SchedulerType;
  /** Linear warm-up steps (≥ 0). Default 0. */
  warmupSteps?: number;
  /** Warm-up as a share of all steps, in [0, 1); not together with `warmupSteps` > 0. */
  warmupRatio?: number;
}

export interface TrainOptions {
  /** Optimizer steps per client per round (≥ 1); exactly one of this and `localEpochs`. Default 10. */
  localSteps?: number;
  /** Passes over the client's data per round (≥ 1). */
  localEpochs?: number;
  /** Examples per micro-batch (≥ 1). Default 4. */
  batchSize?: number;
  /** Micro-batches per optimizer step (≥ 1). Default 1. */
  gradAccum?: number;
  optimizer?: TrainOptimizerOptions;
  scheduler?: TrainSchedulerOptions;
  /** Gradient-norm clip (≥ 0; 0 = off). Default 0. */
  maxGradNorm?: number;
  /** Recompute each block in backward instead of keeping its activations (less memory, one more forward). Default false. */
  checkpointActivations?: boolean;
  /**
   * One client as several processes (c10d data parallelism): the ranks split each step's micro-batches (or,
   * with fewer micro-batches than ranks, their rows) and sum gradients with c10d's Gloo backend; rank 0 is the
   * client and talks to the server. `timeoutSeconds` bounds the rendezvous and each collective's wait for a
   * silent rank. Default one process.
   */
  dataParallel?: { processes?: number; backend?: 'gloo' | 'nccl'; timeoutSeconds?: number };
  /** Default `'fp32'`. */
  precision?: TrainPrecision;
  /** FedProx proximal weight mu (≥ 0; 0 = off). Default 0. */
  fedprox?: { mu?: number };
  /** Keep optimizer moments across rounds. Default false (fresh each round, as FS-LLM). */
  keepOptimizerState?: boolean;
  /** Pack several short examples into one row. Default true. */
  pack?: boolean;
}

export interface EvalOptions {
  /** Evaluate every N rounds (≥ 0; 0 = only after the last round). Default 1. */
  every?: number;
  /** Default ['val', 'test']. */
  splits?: EvalSplitKind[];
  /** Default 8. */
  batchSize?: number;
  /**
   * Metric that picks the best round (and drives early stopping): `'val_loss'`, `'test_loss'` (lower is better),
   * or `'<task>.<metric>'` of a task in `tasks`, e.g. `'gsm8k.accuracy'`, `'humaneval.pass@1'` (higher is better).
   * Default `'val_loss'`, or `'test_loss'` when val is not evaluated or empty.
   */
  bestKey?: string;
  /**
   * Task scores computed by the server on the global adapter (and, in the `local` scenario, on each client's
   * own adapter; in closed-model tuning on AdapEmu and AdapFu), recorded as `eval` records with metric
   * `<task>.<metric>` on the `test` split. E.g. `[{ type: 'gsm8k', limit: 200 }, { type: 'mmlu', limit: 1000 }]`.
   * `rouge` scores each client's own test split (`limit` records per client), one record per client plus the
   * merged one (target 'global', over all clients' scored records).
   */
  tasks?: TaskSpec[];
  /** Score the tasks every N rounds (0 = only after the last round; round 0 scores the starting adapter). Default `every`. */
  tasksEvery?: number;
  /** Stop when `bestKey` has not improved by more than `delta` for `patience` evaluations (0 = off). */
  earlyStop?: { patience?: number; delta?: number };
}

export interface OutputOptions {
  /** Run folder (checkpoints, report). Default 'runs/fsllm'. */
  dir?: string;
  /** Checkpoint every N rounds (≥ 0; 0 = off). Default 1. */
  checkpointEvery?: number;
  /** Resume from the latest checkpoint in `dir`. Default false. */
  resume?: boolean;
  /** Write the HTML/JSON run report. Default true. */
  report?: boolean;
}

/** Where the emulator's alignment data comes from (the server's public data set). Default: Alpaca from data.root. */
export interface AlignDataOptions {
  type?: DatasetType;
  file?: string;
  keys?: InstructionKeyOptions;
  /** Default: data.root. */
  root?: string;
  cacheDir?: string;
  /** Share of the public set to use, in (0, 1]. Default 1. */
  subsample?: number;
}

/** Server-side distillation of the emulator towards the full model (FS-LLM `llm.offsite_tuning.emu_align.*`). */
export interface AlignOptions {
  /** Default: true for FedBiOT, false for FedOT (FS-LLM `emu_align.use`). */
  use?: boolean;
  data?: AlignDataOptions;
  /** Alignment steps before round 1 (FS-LLM `initial_update_rounds` × `local_update_steps`). Default 50. */
  preSteps?: number;
  /** FedBiOT: alignment steps after every aggregation (E; FS-LLM `emu_align.train.local_update_steps`). Default 10. */
  stepsPerRound?: number;
  /** Examples per alignment step. Default 4. */
  batchSize?: number;
  /** Tokens per public example. Default data.tokLen. */
  tokLen?: number;
  /** Weight of the representation loss (teacher-RMS-normalised MSE). Default 1 (FedBiOT), 0.9 (FedOT). */
  reprWeight?: number;
  /** lambda: weight of token KL(full + adapter ‖ emulator + adapter). Default 0.9 (FedBiOT), 0 (FedOT). */
  klWeight?: number;
  /** Weight of the LM cross-entropy on the public data (FedOT's one-shot KD). Default 0 (FedBiOT), 0.1 (FedOT). */
  lmWeight?: number;
  optimizer?: { type?: OptimizerType; lr?: number };
}

/**
 * Closed-model tuning: clients train against a compressed emulator (FS-LLM `llm.offsite_tuning.*`).
 * FedOT: adapter = layers [0, emuL) and [emuR, n); emulator = the middle with `dropRate` of its layers dropped.
 * FedBiOT: adapter = the last `adapterLayers`; emulator = the rest, dropped the same way, re-aligned every round.
 */
export interface OffsiteOptions {
  algorithm: 'fedot' | 'fedbiot';
  /** FedBiOT: adapter layers s (≥ 1). Default 2, or n − emuR when emuR is given. */
  adapterLayers?: number;
  /** FedOT: first emulator layer (FS-LLM `emu_l`). Default 1. */
  emuL?: number;
  /** FedOT: end of the emulator range (FS-LLM `emu_r`). Default n − 1. */
  emuR?: number;
  /** Share of the emulator range's layers dropped (FS-LLM `kwargs.drop_ratio`), in [0, 1). Default 0.2. */
  dropRate?: number;
  /** FedBiOT client term: weight of Σ ||W − W_round_start||² over the merged adapter weights. Default 0.01 (FedBiOT), 0 (FedOT). */
  proxWeight?: number;
  /**
   * What clients train in the adapter layers: LoRA on their projections (`adapter.*`), or the layers' full
   * weights (FS-LLM offsite tuning without `llm.adapter.use`). Default 'lora'.
   */
  adapterTraining?: 'lora' | 'full';
  align?: AlignOptions;
}

/** How the server combines the round's updates: a rule, then (optionally) a server optimiser step. */
export const AGGREGATION_RULES = ['fedavg', 'median', 'trimmedMean', 'krum', 'multiKrum'] as const;
/** Server optimisers of Reddi et al. 2021 ("Adaptive Federated Optimization"), or none (the rule's result is the new global). */
export const SERVER_OPTIMIZERS = ['none', 'fedavgm', 'fedadagrad', 'fedadam', 'fedyogi'] as const;
export type AggregationRuleName = (typeof AGGREGATION_RULES)[number];
export type ServerOptimizerName = (typeof SERVER_OPTIMIZERS)[number];

export interface ServerOptimizerOptions {
  /** Default 'none'. */
  type?: ServerOptimizerName;
  /** Server learning rate eta (> 0). Default 1 (fedavgm), 0.1 (fedadagrad, fedadam), 0.01 (fedyogi). */
  lr?: number;
  /** FedAvgM momentum, in [0, 1). Default 0.9. */
  momentum?: number;
  /** First-moment decay of fedadam/fedyogi, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Second-moment decay of fedadam/fedyogi, in [0, 1). Default 0.99. */
  beta2?: number;
  /** Adaptivity tau (> 0): the denominator's floor, and v's start tau². Default 1e-9 (fedadagrad, fedadam), 1e-3 (fedyogi). */
  tau?: number;
}

/** Server-side aggregation (FS-LLM `aggregator.*` and `fedopt.*`). */
export interface AggregatorOptions {
  /**
   * `fedavg` (weighted mean, default), coordinate-wise `median`, `trimmedMean` (drop `trimRatio` of the values
   * at each end of every coordinate), `krum` (the update closest to its K − f − 2 nearest others) or
   * `multiKrum` (the mean of the `krumSelect` best by Krum's score).
   */
  rule?: AggregationRuleName;
  /** trimmedMean: share of the clients' values cut at each end of each coordinate, in [0, 0.5). Default 0.1. */
  trimRatio?: number;
  /** krum / multiKrum: how many clients may be Byzantine (f ≥ 0); a round needs more than 2f + 2 updates. Default 1. */
  byzantine?: number;
  /** multiKrum: updates averaged (m ≥ 1). Default K − f. */
  krumSelect?: number;
  /** Clip each client's delta (update − global) to this L2 norm before the rule (> 0; 0 = off). Default 0. */
  normBound?: number;
  serverOptimizer?: ServerOptimizerOptions;
}

/** Personalised FL on adapters (FS-LLM `personalization.*`, `federate.method: ditto | pfedme`). */
export interface PersonalizationOptions {
  /** `none` (default), `ditto` (Li et al. 2021) or `pfedme` (T. Dinh et al. 2020). */
  method?: 'none' | 'ditto' | 'pfedme';
  /** lambda (≥ 0): weight of the proximal term between the personal and the global adapter. Default 0.1 (ditto), 15 (pfedme). */
  lambda?: number;
  /** Ditto: personal optimizer steps per round; pFedMe: outer steps per round. Default train.localSteps. */
  localSteps?: number;
  /** pFedMe: K inner steps on each batch to approximate the personal adapter. Default 5. */
  innerSteps?: number;
  /** pFedMe: the server's mixing weight beta, in (0, 2]; 1 = plain averaging. Default 1. */
  beta?: number;
  /** Learning rate of the personal adapter (Ditto) or of the inner steps (pFedMe). Default train.optimizer.lr. */
  personalLr?: number;
}

/** Distributed mode (federate.mode 'distributed'): where the server listens and how peers authenticate. */
export interface DistributeOptions {
  /** Server address to listen on (server) or connect to (client). Default '127.0.0.1'. */
  host?: string;
  /** TCP port, 0..65535. Default 50051; 0 lets the server pick one (it prints it). */
  port?: number;
  /**
   * PEM files. Server: cert + key (+ ca and requireClientCert for mutual TLS). Client: ca (+ cert + key).
   * In distributed mode each named file must exist and be readable when the options are resolved.
   */
  tls?: { cert?: string; key?: string; ca?: string; requireClientCert?: boolean };
  /** Server: per-client tokens, e.g. { "1": "s3cret" }; unknown clients and wrong tokens are refused. */
  tokens?: Record<string, string>;
  /** Client: this client's token. */
  token?: string;
  /** Allow plaintext outside loopback (TLS is the default there). */
  insecure?: boolean;
  /**
   * Client: seconds it keeps reconnecting (one attempt a second) after losing the server, e.g. while the
   * server restarts with --resume; then it exits non-zero. An integer ≥ 1, default 60.
   */
  reconnectSeconds?: number;
  /**
   * Both sides: the largest message accepted, in MiB (default 512). A peer announcing more is refused before
   * anything is buffered, so this bounds what one client can make the server hold. The run refuses to start
   * when its adapter, sent in fp32, would not fit.
   */
  maxMessageMiB?: number;
}

/** How adapters are encoded on the wire, both directions (server broadcast and client upload). */
export interface CommOptions {
  /** Default 'fp32'. int8/int4 quantise with one fp16 scale per group. */
  codec?: 'fp32' | 'fp16' | 'bf16' | 'int8' | 'int4';
  /** Values per scale (int8/int4; even for int4). Default 64. */
  groupSize?: number;
  /** Lossless pass after quantising. Default 'none'. */
  compression?: 'none' | 'deflate' | 'gzip';
  /** Senders carry their quantisation residual into the next round. Default false. */
  errorFeedback?: boolean;
  /** Tensors with fewer values stay fp32. Default 0. */
  fp32Below?: number;
}

/** Everything a `FedTrainer` run needs; see schema.ts for limits and resolveOptions for defaults. */
export interface FedTrainerOptions {
  model: ModelOptions;
  data: DataOptions;
  federate?: FederateOptions;
  adapter?: AdapterOptions;
  train?: TrainOptions;
  eval?: EvalOptions;
  output?: OutputOptions;
  /** Closed-model tuning (FedOT / FedBiOT); absent = clients fine-tune the full model. */
  offsite?: OffsiteOptions;
  distribute?: DistributeOptions;
  comm?: CommOptions;
  aggregator?: AggregatorOptions;
  personalization?: PersonalizationOptions;
}

/** `FedTrainerOptions` after `resolveOptions`: every default filled in. */
export interface ResolvedOptions {
  model: Required<Pick<ModelOptions, 'path' | 'device' | 'baseDtype'>> & Pick<ModelOptions, 'threads'>;
  data: Required<Omit<DataOptions, 'file' | 'keys' | 'root' | 'cacheDir'>> & Pick<DataOptions, 'file' | 'keys' | 'root' | 'cacheDir'>;
  /** `clientNum` is unset only with the `meta` splitter, where the data decides (one client per category). */
  federate: Required<Omit<FederateOptions, 'clientNum' | 'sampleClients' | 'sampleRate' | 'minClients'>> &
    Pick<FederateOptions, 'clientNum' | 'sampleClients' | 'sampleRate' | 'minClients'>;
  adapter: Required<Pick<AdapterOptions, 'method' | 'r' | 'alpha' | 'dropout' | 'targets' | 'rslora'>> &
    Omit<AdapterOptions, 'method' | 'r' | 'alpha' | 'dropout' | 'targets' | 'rslora'>;
  /** Exactly one of `localSteps` and `localEpochs` is set. */
  train: Required<Omit<TrainOptions, 'localSteps' | 'localEpochs' | 'optimizer' | 'scheduler' | 'fedprox' | 'dataParallel'>> &
    Pick<TrainOptions, 'localSteps' | 'localEpochs'> & {
      optimizer: Required<Pick<TrainOptimizerOptions, 'type' | 'lr'>> & Omit<TrainOptimizerOptions, 'type' | 'lr'>;
      scheduler: Required<Pick<TrainSchedulerOptions, 'type' | 'warmupSteps'>> & Pick<TrainSchedulerOptions, 'warmupRatio'>;
      fedprox: { mu: number };
      dataParallel: Required<NonNullable<TrainOptions['dataParallel']>>;
    };
  eval: Required<Omit<EvalOptions, 'earlyStop'>> & { earlyStop: { patience: number; delta: number } };
  output: Required<OutputOptions>;
  offsite?: ResolvedOffsite;
  distribute: Required<Pick<DistributeOptions, 'host' | 'port' | 'insecure' | 'reconnectSeconds' | 'maxMessageMiB'>> & Omit<DistributeOptions, 'host' | 'port' | 'insecure' | 'reconnectSeconds' | 'maxMessageMiB'>;
  comm: Required<CommOptions>;
  aggregator: Required<Omit<AggregatorOptions, 'krumSelect' | 'serverOptimizer'>> & Pick<AggregatorOptions, 'krumSelect'> & {
    serverOptimizer: Required<ServerOptimizerOptions>;
  };
  personalization: Required<Omit<PersonalizationOptions, 'localSteps'>> & Pick<PersonalizationOptions, 'localSteps'>;
}

/** OffsiteOptions with the per-algorithm defaults filled in (layer counts wait for the model). */
export interface ResolvedOffsite {
  algorithm: 'fedot' | 'fedbiot';
  adapterLayers?: number;
  emuL?: number;
  emuR?: number;
  dropRate: number;
  proxWeight: number;
  adapterTraining: 'lora' | 'full';
  align: {
    use: boolean;
    data: Required<Pick<AlignDataOptions, 'type' | 'subsample'>> & Omit<AlignDataOptions, 'type' | 'subsample'>;
    preSteps: number;
    stepsPerRound: number;
    batchSize: number;
    tokLen: number;
    reprWeight: number;
    klWeight: number;
    lmWeight: number;
    optimizer: { type: OptimizerType; lr: number };
  };
}
