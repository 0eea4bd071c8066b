/**
 * The settings of a search from what a user writes: the space file (a bare space, or `space:` with the
 * search's settings beside it), the FS-LLM `hpo:` section of the run config (with `hpo.*` overrides), and
 * flags. Later sources win: FS-LLM section < space file < flags < our defaults for anything still unset.
 */
import { configError } from '../config/configError.js';
import { looksLikeFsllm } from '../config/fsllmYaml.js';
import { isPlainObject, setPath, type PlainObject } from '../config/objectPath.js';
import { parseOverrides } from '../config/overrides.js';
import { readDocument } from '../config/readDocument.js';
import { invalidArg } from '../errors/index.js';
import { fsllmHpoSettings, fsllmObjective, type FsllmHpoSettings } from './fsllmHpo.js';
import { parseObjective } from './objective.js';
import { checkBudgets } from './schedulers.js';
import { parseSearchSpace } from './searchSpace.js';
import { HPO_SCHEDULERS, type HpoScheduler, type HpoSettings, type Objective } from './types.js';

/** Settings a space file or the flags may give (unchecked: they come from YAML or the command line). */
export interface HpoChoices {
  scheduler?: unknown;
  objective?: unknown;
  direction?: unknown;
  samples?: unknown;
  seed?: unknown;
  budgets?: unknown;
  eta?: unknown;
  workers?: unknown;
  out?: unknown;
}

/** What `loadHpoSettings` reads. */
export interface LoadHpoSettingsOptions {
  /** The run config (ours or FS-LLM's). */
  cfg: string;
  /** The space file; `hpo.ss` of an FS-LLM config when absent. */
  space?: string;
  /** `key=value`: `hpo.*` edit the FS-LLM `hpo:` section; the rest apply to every trial. */
  overrides?: readonly string[];
  /** Flags, which win over the files. */
  choices?: HpoChoices;
}

const SETTINGS = ['scheduler', 'objective', 'direction', 'samples', 'seed', 'budgets', 'eta', 'workers'] as const;

/** Splits a space file into its settings and its space: `space:` beside settings, or the space alone. */
function splitSpaceFile(doc: PlainObject, file: string): { choices: HpoChoices; space: unknown } {
  const hasSettings = Object.keys(doc).some((k) => k === 'space' || (SETTINGS as readonly string[]).includes(k));
  if (!hasSettings) return { choices: {}, space: doc };
  const unknown = Object.keys(doc).filter((k) => k !== 'space' && !(SETTINGS as readonly string[]).includes(k));
  if (unknown.length > 0 || doc.space === undefined) {
    const issues = unknown.map((k) => ({ path: k, message: `unknown setting (a space file has space: plus ${SETTINGS.join(', ')})` }));
    if (doc.space === undefined) issues.push({ path: 'space', message: 'missing: list the searched options under space:, e.g. space: { train.optimizer.lr: [1e-3, 1e-2] }' });
    throw configError(issues, `search space ${file}`, file);
  }
  const { space, ...choices } = doc;
  return { choices: choices as HpoChoices, space };
}

/** The FS-LLM `hpo:` section of `doc` with `hpo.*` overrides applied, or null when the config has none. */
function hpoSection(doc: PlainObject, cfg: string, hpoOverrides: readonly string[]): PlainObject | null {
  const fsllm = looksLikeFsllm(doc);
  if (hpoOverrides.length > 0 && !fsllm) {
    throw configError(hpoOverrides.map((o) => ({ path: o.split('=')[0]!, message: "hpo.* keys are FS-LLM's; with a config of ours use the space file or flags (--scheduler, --budgets, ...)" })), `command line of fsllm hpo --cfg ${cfg}`);
  }
  if (!fsllm || (doc.hpo === undefined && hpoOverrides.length === 0)) return null;
  if (doc.hpo !== undefined && doc.hpo !== null && !isPlainObject(doc.hpo)) {
    throw configError([{ path: 'hpo', message: `expected a mapping of FS-LLM hpo options, got ${JSON.stringify(doc.hpo)}` }], `config file ${cfg}`, cfg);
  }
  const section: PlainObject = isPlainObject(doc.hpo) ? structuredClone(doc.hpo) : {};
  const parsed = parseOverrides(hpoOverrides);
  if (parsed.issues.length > 0) throw configError(parsed.issues, 'command line of fsllm hpo');
  for (const o of parsed.overrides) setPath(section, o.key.slice(4), o.value);
  return section;
}

function integer(v: unknown, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw invalidArg(name, `an integer ≥ ${min}`, v);
  return n;
}

function budgetsOf(v: unknown): readonly number[] | undefined {
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? v.replace(/^\[|\]$/g, '').split(',').map((s) => Number(s.trim())) : v;
  return checkBudgets(list);
}

function schedulerOf(v: unknown): HpoScheduler | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (HPO_SCHEDULERS as readonly string[]).includes(v)) return v as HpoScheduler;
  throw invalidArg('scheduler', `one of ${HPO_SCHEDULERS.map((s) => `"${s}"`).join(', ')}`, v);
}

/** The objective from a name (ours or FS-LLM's) and a direction, or the FS-LLM section's. */
function objectiveOf(name: unknown, direction: unknown, fs: FsllmHpoSettings | null): Objective {
  if (direction !== undefined && direction !== 'min' && direction !== 'max') throw invalidArg('direction', '"min" or "max"', direction);
  if (name === undefined) {
    const base = fs?.objective ?? parseObjective('val.loss');
    return direction === undefined ? base : { ...base, direction };
  }
  if (typeof name !== 'string') throw invalidArg('objective', 'a metric such as "val.loss" or "gsm8k.accuracy"', name);
  const objective = fsllmObjective(name, direction === undefined ? undefined : direction === 'max');
  if (typeof objective === 'string') throw invalidArg('objective', `a metric such as "val.loss" or "gsm8k.accuracy" (${objective})`, name);
  return objective;
}

/**
 * Reads the settings of `fsllm hpo`.
 * @throws `ERR_FSLLM_CONFIG` for problems in the files (each named), `ERR_FSLLM_UNSUPPORTED` for FS-LLM
 *   schedulers we do not have, `ERR_FSLLM_INVALID_ARG` for a bad flag or setting value.
 * @example
 * const settings = await loadHpoSettings({ cfg: 'run.yaml', space: 'space.yaml', choices: { workers: 2 } });
 * const result = await runHpo(settings);
 */
export async function loadHpoSettings(o: LoadHpoSettingsOptions): Promise<HpoSettings> {
  const all = o.overrides ?? [];
  const hpoOverrides = all.filter((x) => x.startsWith('hpo.'));
  const overrides = all.filter((x) => !x.startsWith('hpo.'));
  const section = hpoSection(await readDocument(o.cfg), o.cfg, hpoOverrides);
  const fs = section ? fsllmHpoSettings(section, `hpo section of ${o.cfg}`) : null;
  const spaceFile = o.space ?? fs?.spaceFile;
  if (spaceFile === undefined) throw invalidArg('--space', 'a search space file (or hpo.ss in an FS-LLM config)', spaceFile);
  const { choices: file, space } = splitSpaceFile(await readDocument(spaceFile, `search space ${spaceFile}`), spaceFile);
  const flags = o.choices ?? {};
  const pick = (k: keyof HpoChoices): unknown => flags[k] ?? file[k];

  const samples = integer(pick('samples'), 'samples', 1) ?? fs?.samples;
  const scheduler = schedulerOf(pick('scheduler')) ?? fs?.scheduler ?? (samples !== undefined ? 'rs' : 'grid');
  const eta = pick('eta') === undefined ? fs?.eta ?? 3 : Number(pick('eta'));
  if (!(Number.isFinite(eta) && eta > 1)) throw invalidArg('eta', 'a number > 1 (each rung keeps the best 1/eta)', pick('eta'));
  const out = pick('out') ?? fs?.out ?? 'runs/hpo';
  if (typeof out !== 'string' || out === '') throw invalidArg('out', 'a folder', out);
  const budgets = budgetsOf(pick('budgets')) ?? fs?.budgets;
  return {
    cfg: o.cfg,
    overrides,
    space: parseSearchSpace(space, `search space ${spaceFile}`),
    scheduler,
    objective: objectiveOf(pick('objective'), pick('direction'), fs),
    seed: integer(pick('seed'), 'seed', 0) ?? 0,
    ...(samples !== undefined ? { samples } : {}),
    ...(budgets !== undefined ? { budgets } : {}),
    eta,
    out,
    workers: integer(pick('workers'), 'workers', 1) ?? fs?.workers ?? 1,
    notes: fs?.notes ?? [],
  };
}
