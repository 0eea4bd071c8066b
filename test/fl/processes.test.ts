// Clients in their own processes (real child processes over IPC): same results as in one process, in
// closed-model tuning a client process never maps the full model, and a client process that dies ends the run.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { FsllmError } from '../../lib/errors/index.js';
import { FedTrainer, type FedTrainerOptions } from '../../lib/index.js';
import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const dirs: string[] = [];
function outDir(): string {
  const d = tempDir('fsllm-procs-');
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(out: string, clientProcesses: boolean, offsite?: FedTrainerOptions['offsite']): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'gsm8k', root: SAMPLE_DATASETS, subsample: 0.55, splits: [0.8, 0.1, 0.1], tokLen: 256 },
    federate: { clientNum: 2, totalRounds: 2, seed: 6, clientProcesses },
    adapter: { r: 4, alpha: 8, dropout: 0.1, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 3, batchSize: 2, optimizer: { type: 'adamw', lr: 3e-3 } },
    eval: { every: 1, splits: ['test'] },
    output: { dir: out, checkpointEvery: 0, report: false },
    ...(offsite ? { offsite } : {}),
  };
}

test('clients in child processes give bit-identical results to clients in one process', async () => {
  const inProcess = await new FedTrainer(options(outDir(), false)).run();
  const children = await new FedTrainer(options(outDir(), true)).run();
  assert.equal(Array.from(children.adapter!.state.data), Array.from(inProcess.adapter!.state.data));
  assert.is(children.clientProcesses.length, 2);
  const losses = (h: typeof inProcess.history) => h.filter((r) => r.kind === 'eval').map((r) => (r.kind === 'eval' ? r.value : 0));
  assert.equal(losses(children.history), losses(inProcess.history));
});

test('FedBiOT with client processes: each process is given and loads only the emulator, never the full model', async () => {
  const result = await new FedTrainer(options(outDir(), true, {
    algorithm: 'fedbiot', adapterLayers: 1, dropRate: 0.5,
    align: { data: { type: 'dolly-15k', subsample: 0.35 }, preSteps: 5, stepsPerRound: 2 },
  })).run();
  const full = path.resolve(STORIES_BIN);
  assert.is(result.clientProcesses.length, 2);
  for (const c of result.clientProcesses) {
    assert.is(c.numLayers, 3, 'emulator: 2 kept layers + 1 adapter layer of 5');
    assert.is(c.modelPath, path.join(result.outDir, 'emulator'));
    assert.ok(c.givenPaths.length > 0);
    for (const p of c.givenPaths) {
      assert.not.ok(path.resolve(p) === full || path.resolve(p) === path.dirname(full), `client ${c.id} was given ${p}`);
    }
  }
  // The emulator folder holds no tensor of a dropped layer (checked byte for byte in test/emulator).
  const { readSafetensorsHeader } = await import('../../lib/formats/index.js');
  const header = await readSafetensorsHeader(path.join(result.outDir, 'emulator', 'model.safetensors'));
  assert.ok(header.tensors.every((t) => !/layers\.[3-9]\./.test(t.name)), 'three blocks only');
});

/** Pids of this process's children that run the client process script. */
function clientProcessPids(): number[] {
  const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n');
  return lines.filter((l) => /clientProcess\.(ts|js)/.test(l)).map((l) => Number.parseInt(l, 10));
}

/** Polls `check` every 100 ms until it holds or `ms` have passed; resolves with its last value. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (check()) return true;
  return check();
}

test('a client process killed in round 1 ends the run promptly with its exit, and no client process is left', async () => {
  const o = options(outDir(), true);
  // Without the transport's error the server would wait out this deadline for the dead client's update.
  const trainer = new FedTrainer({ ...o, federate: { ...o.federate, deadlineSeconds: 600 } });
  let killed = 0;
  trainer.once('roundStart', () => {
    killed = clientProcessPids()[0] ?? 0;
    if (killed) process.kill(killed, 'SIGKILL');
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 20_000);
  });
  const outcome = await Promise.race([trainer.run().then(() => 'completed' as const, (e: unknown) => e), timeout]);
  clearTimeout(timer);
  assert.ok(killed > 0, 'a client process was running when round 1 started');
  assert.instance(outcome, FsllmError, `the run should fail within 20 s, not end as '${String(outcome)}'`);
  const error = outcome as FsllmError;
  assert.is(error.code, 'ERR_FSLLM_PROTOCOL');
  assert.match(error.message, /^Client [12]'s process exited \(SIGKILL\)/);
  // The server's waits were aborted with the run: its 600 s deadline timer is not left pending.
  assert.not.ok(process.getActiveResourcesInfo().includes('Timeout'), 'no timer of the run is left');
  assert.ok(await eventually(() => clientProcessPids().length === 0, 10_000), `client processes left running: ${clientProcessPids().join(', ')}`);
});

test.run();
