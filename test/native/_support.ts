// Shared assertions of the native tests (no suites here).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import * as assert from 'uvu/assert';

import { FsllmError } from '../../lib/index.js';
import { fails } from '../helpers/errors.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `action`, which must throw or reject with an instance of `cls` carrying `code` and a message
 * matching `message` (the three checks of STYLE §10); returns the error.
 */
export async function expectError(action: () => unknown, cls: ErrorClass, code: string, message: RegExp): Promise<FsllmError> {
  const e = await fails(action, code, message);
  assert.instance(e, cls, `${String(e)} should be a ${cls.name}`);
  assert.instance(e, FsllmError);
  return e as FsllmError;
}

/** Largest |a[i] - b[i]|; the lengths must match. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'lengths differ');
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return Number.NaN;
    if (d > worst) worst = d;
  }
  return worst;
}

/** Asserts `a` and `b` agree within `tol` (absolute), naming `what` on failure. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  const d = maxAbsDiff(a, b);
  assert.ok(d <= tol, `${what}: max |diff| ${d} > ${tol}`);
}

/** Asserts `a` and `b` hold exactly the same values. */
export function assertSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assertClose(a, b, 0, what);
}

/**
 * A full garbage collection, also when node runs without --expose-gc (uvu runs in-process): the flag
 * is turned on at run time and `gc` fetched from a fresh context.
 */
export function forceGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
