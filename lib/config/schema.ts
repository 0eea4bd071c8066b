/**
 * The one options schema of FedTrainer (zod v4). Every object is strict, every leaf carries the
 * words used in its error message (`fieldHelp`), and defaults live here and nowhere else.
 * Data-dependent defaults (splitter by dataset, client count, local steps) are filled by
 * resolveOptions, because they depend on more than one field.
 * Just over 300 lines on purpose: one schema for one options tree, its sections in the order a config file
 * lists them; split by section, the leaf builders and their wording would have to be shared across files.
 */
import { z } from 'zod';

import {
  AGGREGATION_RULES, DATASET_TYPES, EVAL_SPLITS, OPTIMIZERS, PRECISIONS, SCHEDULERS, SERVER_OPTIMIZERS, SPLITTERS,
  type FedTrainerOptions,
} from './types.js';
import { BASE_DTYPES } from '../native/baseDtype.js';
import { DEVICE_PATTERN, type Device } from '../native/device.js';

/** What a leaf expects and how to fix a bad value, as used in `<path>: expected <expected>, got <x> (<fix>)`. */
export interface FieldHelp {
  expected: string;
  fix: string;
}

/** @internal Leaf schema → its message words. */
export const fieldHelp = z.registry<FieldHelp>();

// --- Leaf builders: the constraint and its wording are written once, side by side.

function int(min: number, example: number) {
  return z.int().min(min).register(fieldHelp, { expected: `an integer ≥ ${min}`, fix: `set an integer such as ${example}` });
}

interface Range { gt?: number; gte?: number; lt?: number; lte?: number }

function rangeWords(r: Range): string {
  const low = r.gt !== undefined ? `(${r.gt}` : r.gte !== undefined ? `[${r.gte}` : undefined;
  const high = r.lt !== undefined ? `${r.lt})` : r.lte !== undefined ? `${r.lte}]` : undefined;
  if (low !== undefined && high !== undefined) return `a number in ${low}, ${high}`;
  if (r.gt === 0) return 'a positive number';
  if (r.gt !== undefined) return `a number > ${r.gt}`;
  if (r.gte !== undefined) return `a number ≥ ${r.gte}`;
  return 'a number';
}

function num(r: Range, example: string) {
  let s = z.number();
  if (r.gt !== undefined) s = s.gt(r.gt);
  if (r.gte !== undefined) s = s.gte(r.gte);
  if (r.lt !== undefined) s = s.lt(r.lt);
  if (r.lte !== undefined) s = s.lte(r.lte);
  return s.register(fieldHelp, { expected: rangeWords(r), fix: `set a number such as ${example}` });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const list = values.map((v) => `"${v}"`).join(', ');
  return z.enum(values).register(fieldHelp, { expected: `one of ${list}`, fix: `use one of ${list}` });
}

function str(fix: string) {
  return z.string().min(1).register(fieldHelp, { expected: 'a non-empty string', fix });
}

function bool() {
  return z.boolean().register(fieldHelp, { expected: 'true or false', fix: 'set true or false' });
}

/** A strict sub-object that may be left out; its own defaults then apply (`{}` is parsed). */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  // `{}` is valid for every section (all keys optional or defaulted); TS cannot see that generically.
  return z.strictObject(shape).prefault({} as never);
}

// --- The schema

const share = num({ gte: 0, lte: 1 }, '0.1');
const splits = z.tuple([share, share, share])
  .refine((s) => Math.abs(s[0] + s[1] + s[2] - 1) < 1e-6)
  .register(fieldHelp, { expected: 'three shares [train, val, test] summing to 1', fix: 'set e.g. [0.8, 0.1, 0.1]' });

const model = z.strictObject({
  path: str('set the path of a model folder or file, e.g. "./models/smollm2-135m"'),
  threads: int(1, 4).optional(),
  device: z.custom<Device>((v) => typeof v === 'string' && DEVICE_PATTERN.test(v))
    .register(fieldHelp, { expected: '"cpu", "cuda" or "cuda:N"', fix: 'set "cpu", or "cuda" with a CUDA build of libtorch' })
    .default('cpu'),
  baseDtype: oneOf(BASE_DTYPES).default('fp32'),
}).register(fieldHelp, { expected: 'a mapping such as { path: "./models/smollm2-135m" }', fix: 'set model.path' });

const data = z.strictObject({
  type: oneOf(DATASET_TYPES),
  file: str('set the path of a .json or .jsonl file').optional(),
  keys: z.strictObject({
    instruction: str('set the field name holding the instruction').optional(),
    input: str('set the field name holding the input').optional(),
    output: str('set the field name holding the response').optional(),
    category: str('set the field name holding the category').optional(),
  }).optional(),
  root: str('set a folder, e.g. "./data"').optional(),
  cacheDir: str('set a folder, e.g. "~/.cache/fsllm"').optional(),
  splitter: oneOf(SPLITTERS).optional(),
  alpha: num({ gt: 0 }, '0.5').default(0.5),
  splits: splits.default([0.8, 0.1, 0.1]),
  tokLen: int(8, 512).default(128),
  subsample: num({ gt: 0, lte: 1 }, '0.5').default(1),
}).register(fieldHelp, { expected: 'a mapping such as { type: "gsm8k" }', fix: 'set data.type' });

const federate = section({
  mode: oneOf(['standalone', 'distributed']).default('standalone'),
  scenario: oneOf(['fed', 'local', 'global']).default('fed'),
  clientNum: int(1, 8).optional(),
  totalRounds: int(1, 50).default(10),
  sampleClients: int(1, 4).optional(),
  sampleRate: num({ gt: 0, lte: 1 }, '0.5').optional(),
  weighting: oneOf(['samples', 'uniform']).default('samples'),
  seed: int(0, 42).default(0),
  clientProcesses: bool().default(false),
  deadlineSeconds: num({ gte: 0 }, '600').default(0),
  minClients: int(1, 2).optional(),
  maxRetries: int(0, 2).default(2),
});

const adapter = section({
  // LoRA (r, alpha, dropout, targets, rslora, layers) or a prompt-learning method (the fields below them).
  method: oneOf(['lora', 'prompt', 'p-tuning', 'prefix']).default('lora'),
  r: int(1, 8).default(8),
  alpha: num({ gt: 0 }, '16').default(16),
  dropout: num({ gte: 0, lt: 1 }, '0.05').default(0.05),
  targets: z.array(str('set a module name such as "q_proj"')).min(1)
    .register(fieldHelp, { expected: 'a non-empty list of module names', fix: 'set e.g. [q_proj, v_proj]' })
    .default(['q_proj', 'v_proj']),
  rslora: bool().default(false),
  layers: z.array(int(0, 0)).min(1)
    .register(fieldHelp, { expected: 'a non-empty list of layer indices', fix: 'set e.g. [0, 1] or leave it out for all layers' })
    .optional(),
  virtualTokens: int(1, 20).optional(),
  encoder: oneOf(['none', 'mlp', 'lstm', 'projection']).optional(),
  encoderHiddenSize: int(1, 128).optional(),
  encoderLayers: int(1, 2).optional(),
  encoderDropout: num({ gte: 0, lt: 1 }, '0').optional(),
  init: oneOf(['random', 'text', 'sample-vocab']).optional(),
  initText: str('set the text whose tokens start the prompt').optional(),
});

const optimizer = section({
  type: oneOf(OPTIMIZERS).default('adamw'),
  lr: num({ gt: 0 }, '3e-4').default(3e-4),
  weightDecay: num({ gte: 0 }, '0.01').optional(),
  beta1: num({ gte: 0, lt: 1 }, '0.9').optional(),
  beta2: num({ gte: 0, lt: 1 }, '0.999').optional(),
  eps: num({ gt: 0 }, '1e-8').optional(),
  momentum: num({ gte: 0, lt: 1 }, '0.9').optional(),
  nesterov: bool().optional(),
});

const train = section({
  localSteps: int(1, 10).optional(),
  localEpochs: int(1, 1).optional(),
  batchSize: int(1, 4).default(4),
  gradAccum: int(1, 2).default(1),
  optimizer,
  scheduler: section({
    type: oneOf(SCHEDULERS).default('constant'),
    warmupSteps: int(0, 100).default(0),
    warmupRatio: num({ gte: 0, lt: 1 }, '0.03').optional(),
  }),
  maxGradNorm: num({ gte: 0 }, '1.0').default(0),
  checkpointActivations: bool().default(false),
  dataParallel: section({
    processes: int(1, 2).default(1),
    backend: oneOf(['gloo', 'nccl']).default('gloo'),
    timeoutSeconds: num({ gt: 0 }, '600').default(600),
  }),
  precision: oneOf(PRECISIONS).default('fp32'),
  fedprox: section({ mu: num({ gte: 0 }, '0.01').default(0) }),
  keepOptimizerState: bool().default(false),
  pack: bool().default(true),
});

const limit = int(1, 200);
const maxNewTokens = int(1, 256);
const evalTask = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('gsm8k'), style: oneOf(['cot', 'alpaca']).optional(), shots: z.int().min(0).max(8).register(fieldHelp, { expected: 'an integer in [0, 8]', fix: 'set 8 (FS-LLM) or 0 (FedBiOT)' }).optional(), limit: limit.optional(), maxNewTokens: maxNewTokens.optional() }),
  z.strictObject({
    type: z.literal('humaneval'), suite: oneOf(['humaneval', 'humaneval-x']).optional(), language: oneOf(['python', 'cpp', 'go', 'java', 'js', 'rust']).optional(),
    samples: int(1, 5).optional(), k: z.array(int(1, 1)).min(1).register(fieldHelp, { expected: 'a non-empty list of integers ≥ 1', fix: 'set e.g. [1]' }).optional(),
    limit: limit.optional(), maxNewTokens: maxNewTokens.optional(), temperature: num({ gte: 0 }, '0.1').optional(),
  }),
  z.strictObject({ type: z.literal('mmlu'), shots: int(0, 5).optional(), limit: limit.optional() }),
  z.strictObject({ type: z.literal('rouge'), limit: limit.optional(), maxNewTokens: maxNewTokens.optional() }),
]).register(fieldHelp, { expected: 'a task { type: "gsm8k" | "humaneval" | "mmlu" | "rouge", ... }', fix: 'set e.g. { type: gsm8k, limit: 200 }' });

const evaluation = section({
  every: int(0, 10).default(1),
  splits: z.array(oneOf(EVAL_SPLITS)).min(1)
    .register(fieldHelp, { expected: 'a non-empty list of "val" and/or "test"', fix: 'set e.g. [val, test]' })
    .default(['val', 'test']),
  batchSize: int(1, 8).default(8),
  // Default (resolveOptions): val_loss when val is evaluated and non-empty, else test_loss.
  // val_loss, test_loss, or <task>.<metric> of a task in eval.tasks (checked in resolveOptions).
  bestKey: z.string().regex(/^(val_loss|test_loss|[a-z0-9:-]+\.[A-Za-z0-9@]+)$/)
    .register(fieldHelp, { expected: '"val_loss", "test_loss" or "<task>.<metric>"', fix: 'set e.g. val_loss, or gsm8k.accuracy with a gsm8k task in eval.tasks' }).optional(),
  // Task scores (generation, code execution, multiple choice) on the server's adapter; see lib/eval.
  tasks: z.array(evalTask).default([]),
  // Default (resolveOptions): eval.every.
  tasksEvery: int(0, 5).optional(),
  earlyStop: section({ patience: int(0, 5).default(0), delta: num({ gte: 0 }, '0.001').default(0) }),
});

const output = section({
  dir: str('set a folder, e.g. "runs/my-run"').default('runs/fsllm'),
  checkpointEvery: int(0, 10).default(1),
  resume: bool().default(false),
  report: bool().default(true),
});

const offsite = z.strictObject({
  algorithm: oneOf(['fedot', 'fedbiot']),
  adapterLayers: int(1, 2).optional(),
  emuL: int(0, 1).optional(),
  emuR: int(1, 10).optional(),
  dropRate: num({ gte: 0, lt: 1 }, '0.2').default(0.2),
  proxWeight: num({ gte: 0 }, '0.01').optional(),
  adapterTraining: oneOf(['lora', 'full']).default('lora'),
  align: section({
    use: bool().optional(),
    data: z.strictObject({
      type: oneOf(DATASET_TYPES).default('alpaca'),
      file: str('set the path of a .json or .jsonl file').optional(),
      keys: data.shape.keys,
      root: str('set a folder, e.g. "./data"').optional(),
      cacheDir: str('set a folder, e.g. "~/.cache/fsllm"').optional(),
      subsample: num({ gt: 0, lte: 1 }, '0.1').default(1),
    }).prefault({} as never),
    preSteps: int(0, 50).default(50),
    stepsPerRound: int(0, 10).default(10),
    batchSize: int(1, 4).default(4),
    tokLen: int(8, 512).optional(),
    reprWeight: num({ gte: 0 }, '1').optional(),
    klWeight: num({ gte: 0 }, '0.9').optional(),
    lmWeight: num({ gte: 0 }, '0.1').optional(),
    optimizer: section({ type: oneOf(OPTIMIZERS).default('adamw'), lr: num({ gt: 0 }, '1e-3').default(1e-3) }),
  }),
}).register(fieldHelp, { expected: 'a mapping such as { algorithm: "fedbiot" }', fix: 'set offsite.algorithm' });

const pemFile = str('set the path of a PEM file').optional();
// 0 is valid: the server then binds a free port and reports it (GrpcServerTransport.listen).
const port = z.int().min(0).max(65535)
  .register(fieldHelp, { expected: 'a TCP port in [0, 65535]', fix: 'set a port such as 50051, or 0 to let the server pick a free one' });
const distribute = section({
  host: str('set a host name or address, e.g. "127.0.0.1"').default('127.0.0.1'),
  port: port.default(50051),
  tls: z.strictObject({ cert: pemFile, key: pemFile, ca: pemFile, requireClientCert: bool().optional() }).optional(),
  tokens: z.record(z.string(), str('set a token string')).optional(),
  token: str('set this client\'s token').optional(),
  insecure: bool().default(false),
  // Client: how long it keeps trying to reach a server that went away (e.g. restarting with --resume).
  reconnectSeconds: int(1, 60).default(60),
  // Both sides: the largest message accepted, checked against the size a message declares before it is buffered.
  maxMessageMiB: int(1, 512).default(512),
});

const comm = section({
  codec: oneOf(['fp32', 'fp16', 'bf16', 'int8', 'int4']).default('fp32'),
  groupSize: int(1, 64).default(64),
  compression: oneOf(['none', 'deflate', 'gzip']).default('none'),
  errorFeedback: bool().default(false),
  fp32Below: int(0, 256).default(0),
});

// Per-optimiser defaults of lr and tau are filled by resolveOptions.
const aggregator = section({
  rule: oneOf(AGGREGATION_RULES).default('fedavg'),
  trimRatio: num({ gte: 0, lt: 0.5 }, '0.1').default(0.1),
  byzantine: int(0, 1).default(1),
  krumSelect: int(1, 3).optional(),
  normBound: num({ gte: 0 }, '1.0').default(0),
  serverOptimizer: section({
    type: oneOf(SERVER_OPTIMIZERS).default('none'),
    lr: num({ gt: 0 }, '0.1').optional(),
    momentum: num({ gte: 0, lt: 1 }, '0.9').default(0.9),
    beta1: num({ gte: 0, lt: 1 }, '0.9').default(0.9),
    beta2: num({ gte: 0, lt: 1 }, '0.99').default(0.99),
    tau: num({ gt: 0 }, '1e-3').optional(),
  }),
});

// Per-method lambda defaults and the train.* fallbacks are filled by resolveOptions.
const personalization = section({
  method: oneOf(['none', 'ditto', 'pfedme']).default('none'),
  lambda: num({ gte: 0 }, '0.1').optional(),
  localSteps: int(1, 10).optional(),
  innerSteps: int(1, 5).default(5),
  beta: num({ gt: 0, lte: 2 }, '1').default(1),
  personalLr: num({ gt: 0 }, '3e-4').optional(),
});

/** The options schema. Parse with `resolveOptions`, which maps its issues to readable messages. */
export const optionsSchema = z.strictObject({ model, data, federate, adapter, train, eval: evaluation, output, offsite: offsite.optional(), distribute, comm, aggregator, personalization });

/** What the schema alone yields, before the data-dependent defaults of resolveOptions. */
export type ParsedOptions = z.output<typeof optionsSchema>;

// Compile-time check: every well-typed FedTrainerOptions is accepted by the schema's input type.
const inputMatches: (o: FedTrainerOptions) => z.input<typeof optionsSchema> = (o) => o;
void inputMatches;
