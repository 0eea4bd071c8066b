// Tests that need something a fresh clone lacks (the full data sets, the shared vocabularies, a GPU, a
// benchmark model) are registered through `when(requirement, suite)`: where the requirement holds they run
// as usual; where it does not, each is counted as skipped by uvu, its suite's hooks never run, and the reason
// is appended to $FSLLM_SKIP_LOG so that scripts/run-tests.mjs can say, above the closing line, why.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';

import type { Test } from 'uvu';

import { DATASETS, SHARED_TOKENIZERS } from './paths.js';

export interface Requirement {
  met: boolean;
  /** Completes "N tests ...": what is missing and how to provide it. */
  reason: string;
}

/** The named folders of the full data sets (`DATASETS/<name>`). */
export function datasets(...names: string[]): Requirement {
  const missing = names.filter((name) => !existsSync(path.join(DATASETS, name)));
  return {
    met: missing.length === 0,
    reason: `need the full data sets, which are not in ${DATASETS}; set FSLLM_DATA_ROOT or put shared/ beside the clone`,
  };
}

/** A reference vocabulary folder of shared/tokenizers (e.g. `llama2-sentencepiece`). */
export function sharedTokenizer(name: string): Requirement {
  const dir = path.join(SHARED_TOKENIZERS, name);
  return { met: existsSync(dir), reason: `need the reference vocabularies (${dir} not found); set FSLLM_SHARED or put shared/ beside the clone` };
}

/** A file that a separate step produces (e.g. a benchmark model), with the command that makes it. */
export function producedFile(file: string, makeWith: string): Requirement {
  return { met: existsSync(file), reason: `need ${file} (made by \`${makeWith}\`)` };
}

/** Commands on PATH (a toolchain: `g++`, `javac`, `rustc`, ...). */
export function onPath(...commands: string[]): Requirement {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter((dir) => dir !== '');
  const missing = commands.filter((command) => !dirs.some((dir) => existsSync(path.join(dir, command))));
  return { met: missing.length === 0, reason: `need ${missing.join(', ')} on PATH` };
}

/**
 * Network, mount and PID namespaces for the code sandbox: as root, or in a user namespace. Tests of what
 * isolation prevents need them; without, the sandbox refuses to run unless told to (allowNetwork).
 */
export function namespaces(): Requirement {
  const flags = ['--net', '--mount', '--pid', '--fork', '--mount-proc', 'true'];
  const works = (args: string[]) => spawnSync('unshare', args, { stdio: 'ignore' }).status === 0;
  const met = process.platform === 'linux' && ((process.getuid?.() === 0 && works(flags)) || works(['--user', '--map-root-user', ...flags]));
  return { met, reason: 'need Linux network, mount and PID namespaces (unshare, as root or with user namespaces allowed)' };
}

/** `test` itself when `requirement` holds; otherwise a stand-in that counts every test as skipped. */
export function when<T>(requirement: Requirement, test: Test<T>): Test<T> {
  if (requirement.met) return test;
  const skip = (name: string) => {
    test.skip(name);
    const log = process.env['FSLLM_SKIP_LOG'];
    if (log) appendFileSync(log, `${JSON.stringify({ reason: requirement.reason, test: name })}\n`);
  };
  const noHook = Object.assign(() => {}, { each: () => {} });
  return Object.assign(skip, { only: skip, skip, before: noHook, after: noHook, run: () => test.run() }) as unknown as Test<T>;
}
