// Runs the uvu suites of the given folders (TypeScript through tsx) one folder after another, then prints
// why tests were skipped (test/helpers/requirements.ts logs each skip with its reason) and the one closing
// line CI reads: `N passed, M failed, K skipped` (uvu's own summary is per folder and not recognised).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
const folders = process.argv.slice(2);

const skipDir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-skips-'));
const skipLog = path.join(skipDir, 'skips.jsonl');

let passed = 0;
let failed = 0;
let skipped = 0;
let exitCode = 0;
for (const folder of folders) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', uvu, folder, '\\.test\\.ts$'], {
    cwd: root,
    env: { ...process.env, FSLLM_SKIP_LOG: skipLog },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
    // A hung suite is killed and counted as a failure rather than stalling CI.
    timeout: 15 * 60 * 1000,
  });
  process.stdout.write(run.stdout ?? '');
  // uvu colours its summary on a terminal; its Total counts the tests that ran (skipped ones are apart).
  const summary = (run.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(summary)?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(summary)?.[1] ?? 0);
  passed += ok;
  skipped += Number(/Skipped:\s+(\d+)/.exec(summary)?.[1] ?? 0);
  // A suite that crashed before uvu's summary counts as one failure, so a crash is never silent.
  const crashed = run.status !== 0 && total === 0;
  failed += crashed ? 1 : total - ok;
  if (run.status !== 0) exitCode = 1;
}

const reasons = new Map();
let logged = [];
try {
  logged = readFileSync(skipLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line).reason);
} catch {
  // no test was skipped through a requirement
}
rmSync(skipDir, { recursive: true, force: true });
for (const reason of logged) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
for (const [reason, count] of reasons) console.log(`${count} test${count === 1 ? '' : 's'} ${reason}`);
const unexplained = skipped - logged.length;
if (unexplained > 0) console.log(`${unexplained} test${unexplained === 1 ? '' : 's'} skipped by the suites themselves (test.skip)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(exitCode);
