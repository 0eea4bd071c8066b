import { invalidArg } from '../errors/index.js';
import { mixSeed, seededRandom, shuffled } from '../util/random.js';

/**
 * Splitters: which records go to which client. Pure, seeded functions returning one array of record
 * indices per client (client k at position k-1); every index appears in exactly one client.
 */

function checkClientNum(clientNum: unknown, n: number, name = 'clientNum'): asserts clientNum is number {
  if (!Number.isInteger(clientNum) || (clientNum as number) < 1 || (clientNum as number) > n) {
    throw invalidArg(name, `an integer between 1 and the number of records (${n})`, clientNum);
  }
}

function checkSeed(seed: unknown): asserts seed is number {
  if (!Number.isInteger(seed)) throw invalidArg('seed', 'an integer', seed);
}

/**
 * IID split (FS-LLM `IIDSplitter`): shuffles `0..n-1` with `seed`, then cuts it into `clientNum`
 * contiguous chunks whose sizes differ by at most one, the larger ones first (`np.array_split`).
 * @throws `ERR_FSLLM_INVALID_ARG` unless `1 <= clientNum <= n` and `seed` is an integer.
 */
export function iidSplit(n: number, clientNum: number, seed: number): number[][] {
  if (!Number.isInteger(n) || n < 1) throw invalidArg('n', 'a positive integer (the number of records)', n);
  checkClientNum(clientNum, n);
  checkSeed(seed);
  const order = shuffled(Array.from({ length: n }, (_, i) => i), seed);
  const base = Math.floor(n / clientNum);
  const extra = n % clientNum;
  const out: number[][] = [];
  let at = 0;
  for (let k = 0; k < clientNum; k++) {
    const size = base + (k < extra ? 1 : 0);
    out.push(order.slice(at, at + size));
    at += size;
  }
  return out;
}

/**
 * A Gamma(shape, 1) draw from the uniform stream `random`.
 * Reference: Marsaglia & Tsang, "A simple method for generating gamma variables", ACM TOMS 26(3), 2000;
 * for shape < 1 the boost Gamma(a) = Gamma(a + 1) · U^(1/a) from the same paper (§6).
 */
export function gammaSample(shape: number, random: () => number): number {
  if (shape < 1) return gammaSample(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normalSample(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();  // (0, 1]: log(u) stays finite
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

// Standard normal by Box-Muller (one of the pair is enough here).
function normalSample(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Proportions ~ Dirichlet(alpha, ..., alpha) over `k` parts (normalised Gamma draws). */
function dirichletSample(k: number, alpha: number, random: () => number): number[] {
  const g = Array.from({ length: k }, () => gammaSample(alpha, random));
  const sum = g.reduce((a, b) => a + b, 0);
  // All draws can underflow to 0 for tiny alpha; then one part takes everything, as the limit does.
  if (sum === 0) return g.map((_, i) => (i === Math.floor(random() * k) ? 1 : 0));
  return g.map((x) => x / sum);
}

const MAX_DRAWS = 100;

/**
 * Label-skewed split (FS-LLM `LDASplitter`, `dirichlet_distribution_noniid_slice`): for each label
 * class, in sorted label order, draws client proportions ~ Dirichlet(alpha) and deals the class's
 * shuffled indices out in those proportions (cut points `floor(cumsum(p) · size)`). Smaller `alpha`
 * means more skew; large `alpha` approaches IID.
 *
 * Every client gets at least one record: like FS-LLM, the whole draw is repeated (with a new seed)
 * while some client is empty, up to 100 times; if one is still empty after that, one record is moved
 * to each empty client from the currently largest client.
 * @param labels One label per record (e.g. its category).
 * @param alpha Dirichlet concentration, > 0 (FS-LLM's shipped setting is 0.5).
 * @throws `ERR_FSLLM_INVALID_ARG` unless `1 <= clientNum <= labels.length`, `alpha > 0`, `seed` integer.
 */
export function dirichletSplit(labels: readonly string[], clientNum: number, alpha: number, seed: number): number[][] {
  if (!Array.isArray(labels) || labels.length === 0) throw invalidArg('labels', 'a non-empty array of labels', labels);
  checkClientNum(clientNum, labels.length);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) throw invalidArg('alpha', 'a finite number > 0', alpha);
  checkSeed(seed);
  const classes = groupByLabel(labels);
  let out: number[][] = [];
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    out = dealClasses(classes, clientNum, alpha, mixSeed(seed, draw));
    if (out.every((c) => c.length > 0)) return out;
  }
  for (const empty of out.filter((c) => c.length === 0)) {
    const largest = out.reduce((a, b) => (b.length > a.length ? b : a));
    empty.push(largest.pop()!);
  }
  return out;
}

function dealClasses(classes: readonly number[][], clientNum: number, alpha: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const out: number[][] = Array.from({ length: clientNum }, () => []);
  classes.forEach((members, c) => {
    const order = shuffled(members, mixSeed(seed, c));
    const p = dirichletSample(clientNum, alpha, random);
    let cumulative = 0;
    let from = 0;
    p.forEach((share, k) => {
      cumulative += share;
      const to = k === clientNum - 1 ? order.length : Math.min(order.length, Math.floor(cumulative * order.length));
      out[k]!.push(...order.slice(from, to));
      from = Math.max(from, to);
    });
  });
  return out;
}

/** Record indices per distinct label, in sorted label order (code-unit order, locale-independent). */
function groupByLabel(labels: readonly string[]): number[][] {
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const members = byLabel.get(label);
    if (members) members.push(i);
    else byLabel.set(label, [i]);
  });
  return [...byLabel.keys()].sort().map((label) => byLabel.get(label)!);
}

/**
 * One client per distinct label (FS-LLM `MetaSplitter`), clients in sorted label order (code-unit
 * order), each holding its label's indices in record order. Deterministic; no seed.
 *
 * Unlike FS-LLM, which ignores `federate.client_num` here (and fails on fewer clients than labels),
 * a `clientNum` that differs from the number of labels is refused.
 * Client k holds the k-th label of {@link metaLabels}.
 * @throws `ERR_FSLLM_INVALID_ARG` when `clientNum` is given and is not the number of distinct labels.
 */
export function metaSplit(labels: readonly string[], clientNum?: number): number[][] {
  if (!Array.isArray(labels) || labels.length === 0) throw invalidArg('labels', 'a non-empty array of labels', labels);
  const distinct = metaLabels(labels);
  if (clientNum !== undefined && clientNum !== distinct.length) {
    throw invalidArg(
      'clientNum (federate.clientNum)',
      `${distinct.length}, the number of categories the meta splitter makes one client each for ` +
        `(${distinct.join(', ')}), or no clientNum`,
      clientNum,
    );
  }
  return groupByLabel(labels);
}

/** The distinct labels in the client order of {@link metaSplit} (sorted by code unit). */
export function metaLabels(labels: readonly string[]): string[] {
  return [...new Set(labels)].sort();
}
