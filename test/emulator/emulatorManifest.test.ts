import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CheckpointError, InvalidArgumentError } from '../../lib/errors/index.js';
import { buildEmulator, loadEmulator, planEmulator, readEmulatorManifest } from '../../lib/emulator/index.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { expectError } from './_support.js';

interface Ctx {
  tmp: string;
  /** A complete emulator folder (stories260K, FedBiOT s 1, beta 0.5); tests corrupt copies of it. */
  built: string;
}

/** A copy of the built folder, changed by `edit`. */
async function variant(ctx: Ctx, name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(ctx.tmp, name);
  await cp(ctx.built, dir, { recursive: true });
  await edit(dir);
  return dir;
}

async function editManifest(dir: string, change: (m: Record<string, unknown>) => void): Promise<void> {
  const file = path.join(dir, 'emulator.json');
  const manifest = JSON.parse(await readFile(file, 'utf8'));
  change(manifest);
  await writeFile(file, JSON.stringify(manifest));
}

const checkpointFault = (dir: string, message: RegExp) => expectError(() => readEmulatorManifest(dir), CheckpointError, 'ERR_FSLLM_CHECKPOINT', message);

// ---

const manifest = suite<Ctx>('readEmulatorManifest');

manifest.before(async (ctx) => {
  ctx.tmp = await mkdtemp(path.join(os.tmpdir(), 'fsllm-emu-manifest-'));
  ctx.built = path.join(ctx.tmp, 'built');
  await buildEmulator(STORIES_BIN, planEmulator({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 0.5 }), ctx.built);
});

manifest.after(async (ctx) => {
  if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
});

manifest('should return the manifest of a complete folder', async (ctx) => {
  const m = await readEmulatorManifest(ctx.built);
  assert.is(m.format, 'fsllm-emulator');
  assert.equal(m.plan.layout, [0, 3, 4]);
  assert.equal(m.files, ['config.json', 'model.safetensors', 'tok512.bin']);
});

manifest('should refuse a folder without a manifest :: partial build', async (ctx) => {
  const dir = await variant(ctx, 'partial', (d) => unlink(path.join(d, 'emulator.json')));
  const e = await checkpointFault(dir, /^emulator\.json: is missing: the folder is not an emulator, or its build did not finish/);
  assert.is(e.path, path.join(dir, 'emulator.json'));
  await expectError(() => loadEmulator(dir), CheckpointError, 'ERR_FSLLM_CHECKPOINT', /is missing/);
});

manifest('should refuse a manifest that is not JSON :: truncated', async (ctx) => {
  const dir = await variant(ctx, 'truncated', async (d) => {
    const text = await readFile(path.join(d, 'emulator.json'), 'utf8');
    await writeFile(path.join(d, 'emulator.json'), text.slice(0, text.length / 2));
  });
  await checkpointFault(dir, /is not valid JSON/);
});

manifest('should name the bad field :: format, version, plan, hash, absolute tokenizer path', async (ctx) => {
  const cases: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ['format', (m) => { m['format'] = 'peft'; }, /field format is "peft"/],
    ['version', (m) => { m['version'] = 2; }, /field version 2 is not supported/],
    ['plan', (m) => { (m['plan'] as { layout: number[] }).layout = [0, 1, 4]; }, /field plan\.layout holds a dropped block/],
    ['sha', (m) => { m['sourceSha256'] = 'abc'; }, /field sourceSha256/],
    ['tokenizer', (m) => { m['tokenizer'] = '/etc/passwd'; }, /field tokenizer must be a file name/],
    ['array', (m) => { m['files'] = 'model.safetensors'; }, /field files/],
  ];
  for (const [name, change, message] of cases) {
    await checkpointFault(await variant(ctx, `field-${name}`, (d) => editManifest(d, change)), message);
  }
  await checkpointFault(await variant(ctx, 'not-object', (d) => writeFile(path.join(d, 'emulator.json'), '[1]')), /is not a JSON object/);
});

manifest('should refuse a folder missing a file the manifest lists', async (ctx) => {
  const dir = await variant(ctx, 'no-weights', (d) => unlink(path.join(d, 'model.safetensors')));
  await checkpointFault(dir, /lists model\.safetensors, which is missing from the folder/);
});

manifest('should refuse a config whose layer count the plan does not match :: loadEmulator', async (ctx) => {
  const dir = await variant(ctx, 'altered', async (d) => {
    const config = JSON.parse(await readFile(path.join(d, 'config.json'), 'utf8'));
    await writeFile(path.join(d, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 2 }));
  });
  await expectError(() => loadEmulator(dir), CheckpointError, 'ERR_FSLLM_CHECKPOINT', /plans 3 blocks but config\.json has 2/);
});

manifest('should refuse a non-string folder', async () => {
  await expectError(() => readEmulatorManifest(42 as unknown as string), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /for dir/);
});

manifest.run();
