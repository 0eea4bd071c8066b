// The process boundary of offsite-tuning: a client process given only the emulator folder trains on it
// without the full model ever being mapped, and the folder holds no tensor of a dropped block.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { openCheckpoint, readSafetensors } from '../../lib/formats/index.js';
import { binding } from '../../lib/native/binding.js';
import { callNative } from '../../lib/native/callNative.js';
import { buildEmulator, planEmulator, type EmulatorPlan } from '../../lib/emulator/index.js';
import { REPO, STORIES_BIN } from '../helpers/paths.js';

const CHILD = fileURLToPath(new URL('./childClient.ts', import.meta.url));

interface ChildReport {
  numLayers: number;
  loss: number;
  files: string[];
}

/** Runs childClient.ts with `dir` as its only argument; resolves with its JSON report. */
function runClient(dir: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (code !== 0) return reject(new Error(`client exited with ${code ?? signal}: ${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildReport);
      } catch (error) {
        reject(new Error(`client printed no JSON (${String(error)}): ${stdout}${stderr}`));
      }
    });
  });
}

const sha256 = (data: Float32Array) => createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');

/** Hashes of the full model's tensors of `blocks`, as decoded (the form an emulator stores). */
async function blockHashes(blocks: number[]): Promise<Map<string, string>> {
  const { tensors } = await openCheckpoint(STORIES_BIN);
  const wanted = tensors.filter((t) => blocks.includes(Number(/^model\.layers\.(\d+)\./.exec(t.name)?.[1] ?? -1)));
  const values = await callNative(() => binding().readTensors(wanted));
  return new Map(wanted.map((t) => [t.name, sha256(values[t.name]!)]));
}

interface Ctx {
  tmp: string;
  dir: string;
  plan: EmulatorPlan;
}

// ---

const boundary = suite<Ctx>('emulator folder across a process boundary');

boundary.before(async (ctx) => {
  ctx.tmp = await mkdtemp(path.join(os.tmpdir(), 'fsllm-emu-boundary-'));
  ctx.dir = path.join(ctx.tmp, 'emulator');
  ctx.plan = planEmulator({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 0.5 });
  await buildEmulator(STORIES_BIN, ctx.plan, ctx.dir);
});

boundary.after(async (ctx) => {
  if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
});

boundary('should train in a client that never maps the full model', async ({ dir, plan }) => {
  const report = await runClient(dir);
  assert.is(report.numLayers, plan.layout.length);
  assert.ok(Number.isFinite(report.loss) && report.loss > 0, `loss ${report.loss}`);
  assert.ok(report.files.some((f) => f.endsWith('.node')), 'the maps list is real (the addon is in it)');
  const full = await realpath(STORIES_BIN);
  const leaked = report.files.filter((f) => path.basename(f) === path.basename(full) || f.startsWith(`${path.dirname(full)}${path.sep}`));
  assert.equal(leaked, [], 'a file of the full model (or its folder) is mapped in the client');
});

boundary('should hold no tensor of a dropped block, and every tensor of a kept one', async ({ dir, plan }) => {
  assert.equal(plan.dropped, [1, 2]);
  const artefact = new Set((await readSafetensors(path.join(dir, 'model.safetensors'))).tensors.map((t) => sha256(t.data as Float32Array)));
  const dropped = await blockHashes(plan.dropped);
  assert.is(dropped.size, 2 * 9);
  for (const [name, hash] of dropped) assert.not.ok(artefact.has(hash), `${name} of a dropped block is in the artefact`);
  // Control: the same comparison finds the kept blocks, so a miss above is not an artefact of hashing.
  const kept = await blockHashes(plan.layout);
  for (const [name, hash] of kept) assert.ok(artefact.has(hash), `${name} of a kept block is missing`);
});

boundary.run();
