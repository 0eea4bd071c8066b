/**
 * `loadRunConfig`: a run config file (YAML or JSON, ours or FS-LLM's) plus `key=value` overrides
 * → resolved options, with every problem of file, translation, overrides and values in one error.
 */
import { configError, type ConfigIssue } from './configError.js';
import { looksLikeFsllm, translateFsllm, type FsllmTranslation } from './fsllmYaml.js';
import { mergeOptions, setPath, deletePath, type PlainObject } from './objectPath.js';
import { applyOverride, clearPartners, parseOverrides, unknownOverride, vocabularyOf, type Override } from './overrides.js';
import { readDocument } from './readDocument.js';
import { checkOptions } from './resolveOptions.js';
import type { ResolvedOptions } from './types.js';

/** What `loadRunConfig` returns. */
export interface RunConfig {
  options: ResolvedOptions;
  /** Human-readable notes: FS-LLM keys with no effect here, and FS-LLM defaults applied. */
  ignored: string[];
  /** Which vocabulary the file was written in. */
  source: 'fsllm' | 'native';
}

/**
 * Reads a run config, translates it if it is FS-LLM style, applies overrides, and resolves it.
 * @param file YAML or JSON (JSON is read as YAML, which it is).
 * @param overrides `key=value` strings with dotted keys in either vocabulary, e.g.
 *   `train.optimizer.lr=1e-3`, `federate.client_num=4`, `adapter.targets=[q_proj,v_proj]`.
 *   With an FS-LLM file, FS-LLM keys edit the file before translation and our keys edit the
 *   result (so ours win); with our file, FS-LLM keys are translated on their own and merged last.
 * @throws FsllmError `ERR_FSLLM_CONFIG` listing every problem (YAML syntax errors with file:line:column;
 *   errors about FS-LLM values name the FS-LLM key), or `ERR_FSLLM_UNSUPPORTED` when every problem
 *   is a feature we do not have yet.
 * @example
 * const { options, ignored } = await loadRunConfig('gsm_federate.yaml', ['federate.total_round_num=5']);
 */
export async function loadRunConfig(file: string, overrides: readonly string[] = []): Promise<RunConfig> {
  const doc = await readDocument(file);
  const parsed = parseOverrides(overrides);
  const issues: ConfigIssue[] = [...parsed.issues];
  const source = looksLikeFsllm(doc) ? 'fsllm' : 'native';
  const built = source === 'fsllm' ? fromFsllmFile(doc, parsed.overrides, issues) : fromNativeFile(doc, parsed.overrides, issues);

  const checked = checkOptions(built.options);
  const rename = renamer(built.origins);
  const covered = [...built.covered];
  for (const issue of checked.issues) {
    if (covered.some((p) => issue.path === p || issue.path.startsWith(`${p}.`) || issue.path.startsWith(`${p}[`))) continue;
    const renamed = { ...issue, path: rename(issue.path) };
    // Two of our options can come from one FS-LLM key (betas → beta1, beta2): report it once.
    if (!issues.some((i) => i.path === renamed.path && i.message === renamed.message)) issues.push(renamed);
  }
  if (issues.length > 0 || !checked.options) throw configError(issues, `config file ${file}`, file);
  return { options: checked.options, ignored: built.ignored, source };
}

type Built = Pick<FsllmTranslation, 'options' | 'ignored' | 'origins' | 'covered'>;

function fromFsllmFile(doc: PlainObject, overrides: Override[], issues: ConfigIssue[]): Built {
  const ours: Override[] = [];
  for (const o of overrides) {
    const vocabulary = vocabularyOf(o.key, 'fsllm');
    if (vocabulary === 'fsllm') {
      if (o.value === null) deletePath(doc, o.key);
      else setPath(doc, o.key, o.value);
    } else if (vocabulary === 'ours') {
      ours.push(o);
    } else {
      issues.push(unknownOverride(o.key));
    }
  }
  const t = translateFsllm(doc, false);
  issues.push(...t.issues);
  for (const o of ours) {
    applyOverride(t.options, o.key, o.value);
    for (const k of [...t.origins.keys()]) if (k === o.key || k.startsWith(`${o.key}.`)) t.origins.delete(k);
  }
  return t;
}

function fromNativeFile(doc: PlainObject, overrides: Override[], issues: ConfigIssue[]): Built {
  const fsDoc: PlainObject = {};
  for (const o of overrides) {
    const vocabulary = vocabularyOf(o.key, 'ours');
    if (vocabulary === 'ours') applyOverride(doc, o.key, o.value);
    else if (vocabulary === 'fsllm') setPath(fsDoc, o.key, o.value);
    else issues.push(unknownOverride(o.key));
  }
  if (Object.keys(fsDoc).length === 0) return { options: doc, ignored: [], origins: new Map(), covered: new Set() };
  const t = translateFsllm(fsDoc, true);
  issues.push(...t.issues);
  mergeOptions(doc, t.options);
  clearPartners(doc, t.options, t.origins.keys());
  return { ...t, options: doc };
}

/** Maps a path of ours to the FS-LLM key it came from (longest matching prefix), if any. */
function renamer(origins: Map<string, string>): (p: string) => string {
  const keys = [...origins.keys()].sort((a, b) => b.length - a.length);
  return (p) => {
    const k = keys.find((k) => p === k || p.startsWith(`${k}.`) || p.startsWith(`${k}[`));
    return k === undefined ? p : `${origins.get(k) ?? k}${p.slice(k.length)}`;
  };
}
