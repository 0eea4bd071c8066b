import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  messages: string[];
  stderr: string;
  /** ms from the child's 'exiting' message to its exit. */
  exitLatency: number;
}

/** Runs `scenario` of child.ts in a fresh node (with tsx), with a 60 s guard. */
function runChild(scenario: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, FSLLM_CRASH_SCENARIO: scenario },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const messages: string[] = [];
    let stderr = '';
    let exitingAt = Number.NaN;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${scenario}: child still running after 60 s (messages: ${messages.join(', ')})`));
    }, 60_000);
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('message', (m) => {
      messages.push(String(m));
      if (m === 'exiting') exitingAt = performance.now();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, messages, stderr, exitLatency: performance.now() - exitingAt });
    });
  });
}

function assertCleanExit(r: ChildResult, code: number): void {
  assert.is(r.signal, null, `killed by ${r.signal}; stderr: ${r.stderr}`);
  assert.not.match(r.stderr, /Segmentation fault|terminate called|Aborted|FATAL ERROR|double free/);
  assert.is(r.code, code, `exit code ${r.code}; stderr: ${r.stderr}`);
  assert.ok(r.messages.includes('exiting'), `scenario did not get going: ${r.messages.join(', ')} ${r.stderr}`);
}

// ---

const exit = suite('process exit with native work in flight');

exit('process.exit() during trainStep should exit cleanly', async () => {
  assertCleanExit(await runChild('exit-during-train'), 0);
});

exit('process.exit() inside a streamed token callback should exit cleanly', async () => {
  assertCleanExit(await runChild('exit-in-token-callback'), 0);
});

exit('process.exit() with jobs queued behind the running one should exit cleanly', async () => {
  assertCleanExit(await runChild('exit-with-queued-jobs'), 0);
});

exit('an uncaught exception during trainStep should exit with code 1, not a signal', async () => {
  const r = await runChild('throw-during-train');
  assertCleanExit(r, 1);
  assert.match(r.stderr, /deliberate uncaught error/);
});

exit('a job in flight should keep the process alive until it settles', async () => {
  const r = await runChild('natural-end');
  assertCleanExit(r, 0);
  assert.ok(r.messages.includes('settled'), r.messages.join(', '));
});

exit('ending with undisposed models and sessions should exit cleanly', async () => {
  assertCleanExit(await runChild('end-without-dispose'), 0);
});

exit('terminating a worker during its trainStep should leave the process working', async () => {
  const r = await runChild('terminate-worker');
  assertCleanExit(r, 0);
  assert.ok(r.messages.includes('main alive 3'), r.messages.join(', '));
});

exit.run();
