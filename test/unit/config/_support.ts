// Shared helpers of the lib/config tests (no suites here).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as assert from 'uvu/assert';

import { FsllmError } from '../../../lib/errors/index.js';
import type { ConfigError } from '../../../lib/config/index.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(REPO, 'test/fixtures/config');

/** The smallest valid options. */
export const MINIMAL = { model: { path: './m' }, data: { type: 'gsm8k' } } as const;

function check(error: unknown, code: string, lines: RegExp[]): ConfigError {
  const e = error as ConfigError;
  assert.instance(e, FsllmError);
  assert.is(e.code, code, `code of: ${e.message}`);
  for (const line of lines) assert.match(e.message, line);
  assert.ok(Array.isArray(e.issues), 'issues attached');
  return e;
}

/** Runs `action`, which must throw `code` with a message matching every regex; returns the error. */
export function throws(action: () => unknown, lines: RegExp[], code = 'ERR_FSLLM_CONFIG'): ConfigError {
  try {
    action();
  } catch (error) {
    return check(error, code, lines);
  }
  assert.unreachable(`should throw ${code}`);
  throw new Error('unreachable');
}

/** Awaits `action`, which must reject with `code` and a message matching every regex. */
export async function rejects(action: () => Promise<unknown>, lines: RegExp[], code = 'ERR_FSLLM_CONFIG'): Promise<ConfigError> {
  try {
    await action();
  } catch (error) {
    return check(error, code, lines);
  }
  assert.unreachable(`should reject with ${code}`);
  throw new Error('unreachable');
}

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'fsllm-config-'));
}
