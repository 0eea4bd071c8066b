import { fsllmError, invalidArg } from '../errors/index.js';
import { mixSeed, shuffled } from '../util/random.js';
import type { InstructionRecord } from './instruction.js';
import { dirichletSplit, iidSplit, metaLabels, metaSplit } from './splitters.js';

/** How records are divided among clients (FS-LLM `data.splitter`; `dirichlet` is its `lda`). */
export type SplitterName = 'iid' | 'dirichlet' | 'meta';

/** Options of {@link buildFederatedData}. */
export interface FederatedSplitOptions {
  splitter: SplitterName;
  /** Number of clients; required for iid and dirichlet, optional for meta (must then equal the categories). */
  clientNum?: number;
  /** Dirichlet concentration (> 0); default 0.5, FS-LLM's shipped `splitter_args`. */
  alpha?: number;
  /** Fractions `[train, val, test]` of each client's records: non-negative, summing to 1. */
  splits: readonly [number, number, number];
  /** Seeds the splitter and every client's train/val/test shuffle. */
  seed: number;
}

/** One client's data. */
export interface ClientData {
  /** 1..K, as FS-LLM numbers clients (0 is the server). */
  id: number;
  /** The category this client holds (meta splitter only). */
  label?: string;
  train: InstructionRecord[];
  val: InstructionRecord[];
  test: InstructionRecord[];
}

/** What {@link buildFederatedData} returns. */
export interface FederatedData {
  clients: ClientData[];
  /** Unions of the clients' splits, in client order (the server-side / global view). */
  merged: { train: InstructionRecord[]; val: InstructionRecord[]; test: InstructionRecord[] };
}

const SPLITTERS: readonly SplitterName[] = ['iid', 'dirichlet', 'meta'];

/**
 * Divides `records` among clients, then each client's records into train/val/test.
 *
 * Deliberate change from FS-LLM: FS-LLM first splits the whole set into train/val/test and then
 * applies the splitter to each part independently, so under `meta` client k's test data need not
 * come from client k's category. Here records are split across clients FIRST, and each client's
 * records are then shuffled (seeded) and cut into train `floor(s0·n)`, val `floor(s1·n)` and test (the
 * rest), so every client's held-out data comes from its own distribution.
 * @throws `ERR_FSLLM_INVALID_ARG` for a bad option (splitter, clientNum, alpha, splits, seed).
 * @throws `ERR_FSLLM_DATA` when `dirichlet`/`meta` meets a record without a `category`.
 * @example
 * const { clients } = buildFederatedData(records, { splitter: 'meta', splits: [0.99, 0, 0.01], seed: 0 });
 */
export function buildFederatedData(records: readonly InstructionRecord[], options: FederatedSplitOptions): FederatedData {
  // Validate
  if (!Array.isArray(records) || records.length === 0) throw invalidArg('records', 'a non-empty array of records', records);
  const { splitter, clientNum, seed } = options;
  if (!SPLITTERS.includes(splitter)) throw invalidArg('splitter', "'iid', 'dirichlet' or 'meta'", splitter);
  checkSplits(options.splits);
  if (!Number.isInteger(seed)) throw invalidArg('seed', 'an integer', seed);
  if (splitter !== 'meta' && clientNum === undefined) throw invalidArg('clientNum', `an integer >= 1 for the ${splitter} splitter`, clientNum);

  // Interpret
  let parts: number[][];
  let labels: string[] | undefined;
  if (splitter === 'iid') {
    parts = iidSplit(records.length, clientNum!, seed);
  } else {
    const categories = categoriesOf(records, splitter);
    if (splitter === 'dirichlet') {
      parts = dirichletSplit(categories, clientNum!, options.alpha ?? 0.5, seed);
    } else {
      parts = metaSplit(categories, clientNum);
      labels = metaLabels(categories);
    }
  }
  const clients = parts.map((indices, k): ClientData => {
    const own = shuffled(indices, mixSeed(seed, k + 1)).map((i) => records[i]!);
    const nTrain = Math.floor(options.splits[0] * own.length + 1e-9);
    const nVal = Math.min(own.length - nTrain, Math.floor(options.splits[1] * own.length + 1e-9));
    const client: ClientData = {
      id: k + 1,
      train: own.slice(0, nTrain),
      val: own.slice(nTrain, nTrain + nVal),
      test: own.slice(nTrain + nVal),
    };
    if (labels !== undefined) client.label = labels[k]!;
    return client;
  });
  return {
    clients,
    merged: {
      train: clients.flatMap((c) => c.train),
      val: clients.flatMap((c) => c.val),
      test: clients.flatMap((c) => c.test),
    },
  };
}

function checkSplits(splits: unknown): void {
  const ok =
    Array.isArray(splits) &&
    splits.length === 3 &&
    splits.every((s) => typeof s === 'number' && Number.isFinite(s) && s >= 0) &&
    Math.abs((splits as number[]).reduce((a, b) => a + b, 0) - 1) <= 1e-6;
  if (!ok) throw invalidArg('splits', 'three non-negative numbers [train, val, test] summing to 1', splits);
}

function categoriesOf(records: readonly InstructionRecord[], splitter: SplitterName): string[] {
  const missing: number[] = [];
  const categories = records.map((r, i) => {
    if (typeof r.category !== 'string' || r.category === '') missing.push(i);
    return r.category ?? '';
  });
  if (missing.length > 0) {
    throw fsllmError(
      'ERR_FSLLM_DATA',
      `The ${splitter} splitter needs a category on every record, but ${missing.length} of ${records.length} ` +
        `have none (first: record ${missing[0]}); map the field that holds it with keys.category ` +
        `(e.g. { category: 'label' }) or use the iid splitter`,
    );
  }
  return categories;
}
