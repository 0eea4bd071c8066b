import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const CHILD = fileURLToPath(new URL('./_forkDuringCompute.ts', import.meta.url));
// A hang is the failure this guards against; the child takes a few seconds when it works.
const TIMEOUT_MS = 120_000;

interface Outcome {
  rows: number;
  steps: number;
  spawnsDuringGenerate: number;
  spawnsDuringTrain: number;
}

/** Runs the child in its own process group and kills the group if it has not ended in time. */
function runChild(): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`the child hung: no exit after ${TIMEOUT_MS / 1000} s of starting processes during native compute (stdout: ${stdout})`));
    }, TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (code !== 0) reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim()) as Outcome);
    });
  });
}

const gate = suite('fork gate');

gate('child processes started during generate and trainStep should neither hang nor stop the compute', async () => {
  const outcome = await runChild();
  assert.is(outcome.rows, 16);
  assert.is(outcome.steps, 3);
  // The loop really overlapped the native calls (else it proves nothing about forking during compute).
  assert.ok(outcome.spawnsDuringGenerate >= 3, `only ${outcome.spawnsDuringGenerate} processes started during generate`);
  assert.ok(outcome.spawnsDuringTrain >= 3, `only ${outcome.spawnsDuringTrain} processes started during training`);
});

gate.run();
