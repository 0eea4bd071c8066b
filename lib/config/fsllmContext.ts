/**
 * The machinery of the FS-LLM translation: a tree of rules keyed by FS-LLM config keys, a context
 * the rules write our options, notes and problems into, and the walk that applies one to the other.
 * The rules themselves are in fsllmRules.ts.
 */
import { joinPath, show, type ConfigIssue } from './configError.js';
import { nearestKey } from './nearestKey.js';
import { isPlainObject, setPath, type PlainObject } from './objectPath.js';
import { childKeys, isOptionPath } from './schemaKeys.js';

/** Where a rule's value came from. */
export interface RuleSite {
  /** Dotted FS-LLM path of the value, e.g. `federate.client_num`. */
  path: string;
  /** The object holding the value, for rules that read their neighbours. */
  siblings: PlainObject;
}

/** Translates one FS-LLM key. It may accept a whole sub-tree (e.g. `wandb`). */
export type Rule = (value: unknown, c: FsContext, at: RuleSite) => void;
/** FS-LLM keys of one section: a rule, or the rules of a nested section. */
export interface Rules { readonly [key: string]: Rule | Rules }

/** Collects what the rules produce. */
export class FsContext {
  /** Our options (camelCase), built up by `set`. `undefined` values mean "unset" (see mergeOptions). */
  readonly out: PlainObject = {};
  readonly notes: string[] = [];
  readonly issues: ConfigIssue[] = [];
  /** Our dotted path → the FS-LLM path it came from, to name the user's key in later errors. */
  readonly origins = new Map<string, string>();
  /** Our paths a translation problem already covers; validation problems there are redundant. */
  readonly covered = new Set<string>();

  /**
   * @param root the whole FS-LLM document, for rules that depend on other sections.
   * @param partial true when translating override keys alone: no FS-LLM defaults, no required keys.
   */
  constructor(readonly root: PlainObject, readonly partial: boolean) {}

  set(ourPath: string, value: unknown, fsPath: string): void {
    setPath(this.out, ourPath, value);
    this.origins.set(ourPath, fsPath);
  }

  /** Records a human-readable note about `fsPath` ('' for a note about the whole file). */
  note(fsPath: string, text: string): void {
    this.notes.push(fsPath === '' ? text : `${fsPath}: ${text}`);
  }

  bad(fsPath: string, message: string, ourPath?: string): void {
    this.issues.push({ path: fsPath, message });
    if (ourPath !== undefined) this.covered.add(ourPath);
  }

  unsupported(fsPath: string, message: string, ourPath?: string): void {
    this.issues.push({ path: fsPath, message, unsupported: true });
    if (ourPath !== undefined) this.covered.add(ourPath);
  }
}

/**
 * Applies `rules` to the FS-LLM section `section` at dotted `prefix`. A key with no rule that is
 * one of our options at the same path (e.g. `train.localSteps`) passes through unchanged, so the
 * two vocabularies can be mixed; anything else is an unknown key, with the nearest suggested.
 */
export function applyRules(section: PlainObject, rules: Rules, prefix: string, c: FsContext): void {
  for (const [key, value] of Object.entries(section)) {
    const path = joinPath(prefix, key);
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    if (typeof rule === 'function') {
      rule(value, c, { path, siblings: section });
    } else if (rule !== undefined) {
      if (value === null || value === undefined) continue;   // an empty YAML section
      if (isPlainObject(value)) applyRules(value, rule, path, c);
      else c.bad(path, `expected a mapping of options, got ${show(value)} (options: ${Object.keys(rule).join(', ')})`);
    } else if (isOptionPath(path)) {
      c.set(path, value, path);
    } else {
      c.bad(path, unknownFsKey(prefix, key, rules));
    }
  }
}

function unknownFsKey(prefix: string, key: string, rules: Rules): string {
  // The file's own vocabulary first: `rounds` in an FS-LLM file means total_round_num, not totalRounds.
  const near = nearestKey(key, Object.keys(rules)) ?? nearestKey(key, childKeys(prefix) ?? []);
  if (near !== undefined) return `unknown option; did you mean ${joinPath(prefix, near)}?`;
  const known = Object.keys(rules);
  return `unknown option (FS-LLM options here: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''})`;
}

/** Every dotted FS-LLM key in `rules` (rules that take a whole sub-tree count as one key). */
export function ruleKeys(rules: Rules, prefix = ''): string[] {
  return Object.entries(rules).flatMap(([k, r]) => (typeof r === 'function' ? [joinPath(prefix, k)] : ruleKeys(r, joinPath(prefix, k))));
}

/** True when dotted `path` is an FS-LLM key or section the rules know (or lies inside a whole-sub-tree rule). */
export function isRulePath(rules: Rules, path: string): boolean {
  let r: Rule | Rules | undefined = rules;
  for (const k of path.split('.')) {
    if (typeof r === 'function') return true;
    r = r !== undefined && Object.hasOwn(r, k) ? r[k] : undefined;
    if (r === undefined) return false;
  }
  return true;
}

// --- Rule builders, shared by fsllmRules.ts and fsllmTrainRules.ts

/** Accepted with no effect and no note (the setting changes nothing here). */
export const accept: Rule = () => {};
/** Copies the value to our option `ourPath` (validated later with the rest). */
export const to = (ourPath: string): Rule => (v, c, at) => c.set(ourPath, v, at.path);
/** Accepted with no effect; notes `text` when `when(value)` (the FS-LLM setting would have done something). */
export const noteIf = (when: (v: unknown) => boolean, text: string): Rule => (v, c, at) => {
  if (when(v)) c.note(at.path, text);
};
/** Predicates for noteIf. */
export const isTrue = (v: unknown) => v === true;
/** True for anything but undefined, null, '', false, [] and {}. */
export const notEmpty = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== '' && v !== false && !(Array.isArray(v) && v.length === 0) && !(isPlainObject(v) && Object.keys(v).length === 0);
/** A plugin section with a `use` switch that we do not have. */
export const plugin = (what: string): Rule => (v, c, at) => {
  if (isPlainObject(v) && v.use === true) c.unsupported(`${at.path}.use`, `${what} is not available yet (set ${at.path}.use: false)`);
};
/** A boolean key; `then` receives it once checked. */
export const flag = (then: (v: boolean, c: FsContext, fsPath: string) => void): Rule => (v, c, at) => {
  if (typeof v === 'boolean') then(v, c, at.path);
  else c.bad(at.path, `expected true or false, got ${show(v)}`);
};
/** A string key from a fixed FS-LLM vocabulary, with "did you mean" for near misses. */
export function choice(v: unknown, c: FsContext, fsPath: string, allowed: readonly string[]): string | undefined {
  if (typeof v === 'string' && allowed.includes(v)) return v;
  const near = typeof v === 'string' ? nearestKey(v, allowed) : undefined;
  const list = allowed.map((a) => `"${a}"`).join(', ');
  c.bad(fsPath, `expected one of ${list}, got ${show(v)} (${near !== undefined ? `did you mean "${near}"?` : `use one of ${list}`})`);
  return undefined;
}
