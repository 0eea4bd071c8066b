// Runs the built CLI (dist/cli/main.js) as a real process, for the command tests (no suites here).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import * as assert from 'uvu/assert';

import { REPO } from '../helpers/paths.js';

const run = promisify(execFile);
export const CLI = path.join(REPO, 'dist', 'cli', 'main.js');

/** `fsllm <args>`; rejects with the exit code and output when it exits non-zero. */
export function fsllm(args: string[], timeout = 60_000): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { cwd: REPO, timeout });
}

/** `fsllm <args>`, which must exit 1; returns its stderr. */
export async function fsllmFails(args: string[]): Promise<string> {
  try {
    await fsllm(args);
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    assert.is(e.code, 1, `exit code of ${args.join(' ')}`);
    return e.stderr ?? '';
  }
  assert.unreachable(`${args.join(' ')} should have failed`);
  throw new Error('unreachable');
}
