// The one "this must fail with a coded error" assertion of the tests (no suites here).
import * as assert from 'uvu/assert';

export type CodedError = Error & { code?: string; path?: string };

/**
 * Runs `action`, which must throw or reject with an Error carrying `code` and a message matching every
 * regex; returns the error for further checks.
 */
export async function fails(action: () => unknown, code: string, ...messages: RegExp[]): Promise<CodedError> {
  try {
    await action();
  } catch (error) {
    const e = error as CodedError;
    assert.instance(e, Error);
    assert.is(e.code, code, `code of: ${e.message}`);
    for (const m of messages) assert.match(e.message, m);
    return e;
  }
  assert.unreachable(`should fail with ${code}`);
  throw new Error('unreachable');
}
