// Runs the uvu suites of the given folders (TypeScript through tsx) one folder after another, then prints
// the one closing line CI reads: `N passed, M failed` (uvu's own summary is per folder and not recognised).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
const folders = process.argv.slice(2);

let passed = 0;
let failed = 0;
let exitCode = 0;
for (const folder of folders) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', uvu, folder, '\\.test\\.ts$'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
    // A hung suite is killed and counted as a failure rather than stalling CI.
    timeout: 15 * 60 * 1000,
  });
  process.stdout.write(run.stdout ?? '');
  const total = Number(/Total:\s+(\d+)/.exec(run.stdout ?? '')?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(run.stdout ?? '')?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(run.stdout ?? '')?.[1] ?? 0);
  passed += ok;
  // A suite that crashed before uvu's summary counts as one failure, so a crash is never silent.
  const crashed = run.status !== 0 && total === 0;
  failed += crashed ? 1 : total - ok - skipped;
  if (run.status !== 0) exitCode = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode);
