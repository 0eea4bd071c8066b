/** Helpers the languages' `locate()` share: run a host command for its output, and the "not found" error. */
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import path from 'node:path';

import { fsllmError, type FsllmError } from '../../../errors/index.js';
import { findExecutable } from '../findExecutable.js';
import type { SandboxLanguage } from '../types.js';
import type { Toolchain } from './languageSpec.js';

/** The trimmed stdout of a trusted host command (the harness's own environment), or undefined if it fails. */
export function hostOutput(command: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000, maxBuffer: 1 << 20 }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

/** The `ERR_FSLLM_UNSUPPORTED` of a language whose toolchain is missing or broken. */
export function toolchainMissing(language: SandboxLanguage, tool: string, detail = 'is not on PATH'): FsllmError {
  return fsllmError('ERR_FSLLM_UNSUPPORTED', `${language} samples need ${tool}, which ${detail}; install it or put it on PATH`);
}

/** A toolchain laid out as `<root>/bin/<program>` for every program, found through the first one's real path. */
export async function binToolchain(language: SandboxLanguage, names: readonly string[]): Promise<Toolchain> {
  const found = findExecutable(names[0]!);
  if (found === undefined) throw toolchainMissing(language, names[0]!);
  const real = await realpath(found);
  const root = path.dirname(path.dirname(real));
  const programs: Record<string, string> = { [names[0]!]: path.relative(root, real) };
  for (const name of names.slice(1)) programs[name] = path.join(path.relative(root, path.dirname(real)), name);
  return { root, programs };
}
