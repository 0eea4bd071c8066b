/**
 * Checks and normalises `runProgram`'s options, synchronously, before any process exists: an invalid
 * request throws, it never becomes a failed sample.
 */
import os from 'node:os';
import path from 'node:path';

import { invalidArg } from '../../errors/index.js';
import { LANGUAGES, type LanguageSpec } from './languages/index.js';
import { DEFAULT_COMPILE_LIMITS, DEFAULT_RUN_LIMITS, resolveLimits } from './limits.js';
import type { SandboxIsolation } from './probeIsolation.js';
import type { PassWhen, RunProgramOptions, SandboxLimits } from './types.js';

/** A checked request. */
export interface ProgramRequest {
  spec: LanguageSpec;
  /** Entry point first. */
  files: Record<string, string>;
  passWhen: PassWhen;
  linkLibraries: readonly string[];
  runLimits: SandboxLimits;
  compileLimits: SandboxLimits;
  allowNetwork: boolean;
  tempRoot: string;
  cacheRoot: string;
  signal?: AbortSignal;
  isolation?: SandboxIsolation;
}

// Plain names only; a leading dot is refused so that the harness's own `.fsllm/` stays its own.
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/;
const LIBRARY = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/;

/** @throws `ERR_FSLLM_INVALID_ARG` naming the first bad option. */
export function programRequest(options: RunProgramOptions & { isolation?: SandboxIsolation }): ProgramRequest {
  if (typeof options !== 'object' || options === null) throw invalidArg('options', 'an object', options);
  const spec = Object.hasOwn(LANGUAGES, options.language) ? LANGUAGES[options.language] : undefined;
  if (spec === undefined) throw invalidArg('language', `one of ${Object.keys(LANGUAGES).join(', ')}`, options.language);
  const passWhen = options.passWhen ?? 'exit0';
  if (passWhen !== 'exit0' && passWhen !== 'silent') throw invalidArg('passWhen', "'exit0' or 'silent'", passWhen);
  const linkLibraries = options.linkLibraries ?? [];
  if (!Array.isArray(linkLibraries) || !linkLibraries.every((lib) => typeof lib === 'string' && LIBRARY.test(lib))) {
    throw invalidArg('linkLibraries', 'an array of library names (letters, digits, _.+-)', linkLibraries);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArg('signal', 'an AbortSignal', options.signal);
  for (const name of ['tempRoot', 'cacheRoot'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || !path.isAbsolute(value))) throw invalidArg(name, 'an absolute path', value);
  }
  return {
    spec,
    files: programFiles(options, spec),
    passWhen,
    linkLibraries,
    runLimits: resolveLimits(options.limits, DEFAULT_RUN_LIMITS, 'limits'),
    compileLimits: resolveLimits(options.compileLimits, DEFAULT_COMPILE_LIMITS, 'compileLimits'),
    allowNetwork: options.allowNetwork === true,
    tempRoot: options.tempRoot ?? os.tmpdir(),
    cacheRoot: options.cacheRoot ?? defaultCacheRoot(),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.isolation ? { isolation: options.isolation } : {}),
  };
}

function programFiles(options: RunProgramOptions, spec: LanguageSpec): Record<string, string> {
  if ((options.source === undefined) === (options.files === undefined)) throw invalidArg('source', 'exactly one of source and files', options.source);
  if (options.source !== undefined) {
    if (typeof options.source !== 'string') throw invalidArg('source', 'a string', options.source);
    const name = options.fileName ?? spec.defaultFile;
    if (typeof name !== 'string' || !FILE_NAME.test(name)) throw invalidArg('fileName', 'a plain file name (letters, digits, _.+-; no leading dot)', name);
    return { [name]: options.source };
  }
  const files = options.files;
  if (typeof files !== 'object' || files === null || Object.keys(files).length === 0) throw invalidArg('files', 'an object of file name to text, not empty', files);
  for (const [name, text] of Object.entries(files)) {
    if (!FILE_NAME.test(name)) throw invalidArg('files', 'plain file names (letters, digits, _.+-; no leading dot)', name);
    if (typeof text !== 'string') throw invalidArg(`files.${name}`, 'a string', text);
  }
  return { ...files };
}

function defaultCacheRoot(): string {
  const base = process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'fsllm-native', 'sandbox');
}
