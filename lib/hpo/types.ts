/**
 * The shapes of a hyper-parameter search (FedHPO): the search space, the objective, the settings a search
 * runs with, and what each finished trial leaves in `trials.jsonl`. No logic here.
 */

/** How configurations are chosen and how many rounds each gets. */
export type HpoScheduler = 'grid' | 'rs' | 'sha' | 'wrap_rs' | 'wrap_sha';

/** Every scheduler name `fsllm hpo` takes. */
export const HPO_SCHEDULERS: readonly HpoScheduler[] = ['grid', 'rs', 'sha', 'wrap_rs', 'wrap_sha'];

/** A run option searched over a list of values (any YAML value: numbers, strings, lists). */
export interface ChoiceDimension {
  /** Dotted run option, ours (`train.optimizer.lr`) or FS-LLM's (`train.local_update_steps`). */
  key: string;
  choices: readonly unknown[];
}

/** A run option searched over a numeric interval. */
export interface RangeDimension {
  key: string;
  low: number;
  high: number;
  /** Sample (and space grid points) evenly in log space; needs `low > 0`. */
  log: boolean;
  type: 'float' | 'int';
  /** Points on the interval for the grid scheduler (ends included); without it a range cannot be gridded. */
  grid?: number;
}

/** One searched run option. */
export type SearchDimension = ChoiceDimension | RangeDimension;

/** The dimensions, in the order the space file lists them (the order of grid nesting and of sampling). */
export type SearchSpace = readonly SearchDimension[];

/** One configuration: dotted run option → value, in the space's order. */
export type TrialConfig = Readonly<Record<string, unknown>>;

/** What a trial is judged by: one metric of the run's `eval` records. */
export interface Objective {
  /** As written by the user, e.g. `val.loss`, `gsm8k.accuracy`. */
  name: string;
  /** The record's `metric` field: `loss`, `perplexity`, `gsm8k.accuracy`, ... */
  metric: string;
  /** The record's split; any split when absent (task scores are on `test`). */
  split?: 'val' | 'test';
  /** `global` (all clients' examples pooled) or `mean` (plain mean over clients). */
  target: 'global' | 'mean';
  /** Which model of a run with several (`AdapFu`, `AdapEmu`); the one model when absent. */
  variant?: string;
  direction: 'min' | 'max';
}

/** Everything a search needs; `loadHpoSettings` builds it from a space file, an FS-LLM `hpo:` section and flags. */
export interface HpoSettings {
  /** The run config every trial starts from (ours or FS-LLM's). */
  cfg: string;
  /** `key=value` overrides applied to every trial (before the trial's own values). */
  overrides: readonly string[];
  space: SearchSpace;
  scheduler: HpoScheduler;
  objective: Objective;
  /** Seed of random sampling. */
  seed: number;
  /** Configurations drawn at random (rs; sha when set, else sha starts from the grid). */
  samples?: number;
  /** sha: the total rounds of each rung, strictly increasing; derived from the run's rounds when absent. */
  budgets?: readonly number[];
  /** sha: each rung keeps the best ceil(n / eta) trials. */
  eta: number;
  /** Output folder of the search. */
  out: string;
  /** Trials run at the same time. */
  workers: number;
  /** Human-readable remarks (e.g. FS-LLM keys with no effect), kept in hpo.json. */
  notes?: readonly string[];
}

/** How a trial-rung ended: `diverged` ran to the end with a non-finite objective; `failed` exited non-zero. */
export type TrialStatus = 'ok' | 'diverged' | 'failed';

/** One line of `trials.jsonl`: one trial run to one rung's rounds. */
export interface TrialRecord {
  /** Trial id (`t00`, `t01`, ...): one configuration, one output folder `trials/<id>`. */
  id: string;
  /** Rung index (0 for grid and random search). */
  rung: number;
  config: TrialConfig;
  /** Rounds the trial has reached at this rung (its federate.totalRounds). */
  rounds: number;
  /** Rounds trained for this rung (a promoted trial continues from its checkpoint). */
  roundsTrained: number;
  /** The objective at the last evaluated round; null unless `status` is `ok`. */
  value: number | null;
  /** The round the value was measured at. */
  evalRound: number | null;
  status: TrialStatus;
  /** Wall time of this rung's process. */
  seconds: number;
  /** Why a failed trial failed (the end of its log). */
  error?: string;
}

/** What `runHpo` resolves with. */
export interface HpoResult {
  outDir: string;
  /** The best trial (at the furthest rung any trial reached, then by objective), or null when none ended `ok`. */
  best: TrialRecord | null;
  /** Each trial's furthest record, best first. */
  ranking: TrialRecord[];
  /** Rounds trained over the whole search (resumed work counted once). */
  totalRounds: number;
}
