import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError } from '../../lib/errors/index.js';
import type { AdapterState } from '../../lib/native/adapterState.js';
import { Model } from '../../lib/native/Model.js';
import type { LoraOptions } from '../../lib/native/lora.js';
import { adapterTensorNameMap, buildEmulator, loadEmulator, planEmulator, type EmulatorPlan } from '../../lib/emulator/index.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { expectError, fourBlockGpt2 } from './_support.js';

const QKVO = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];
const blockOf = (name: string) => Number(/\.(?:layers|h)\.(\d+)\./.exec(name)?.[1] ?? -1);

function slice(state: AdapterState, name: string): Float32Array {
  const entry = state.manifest.find((e) => e.name === name)!;
  return state.data.subarray(entry.offset, entry.offset + entry.shape.reduce((a, b) => a * b, 1));
}

/**
 * Builds the emulator of `plan` from `source`, attaches `lora` to all its blocks and to the full model's
 * adapter blocks (another seed),
 * and checks the map on the real PEFT names of both, then moves the adapter-block tensors into the full
 * model and reads them back (AdapFu).
 */
async function checkOnRealNames(source: string, plan: EmulatorPlan, lora: LoraOptions, dir: string): Promise<number> {
  await buildEmulator(source, plan, dir);
  const [emu, full] = [await loadEmulator(dir), await Model.load(source)];
  try {
    await emu.attachLora({ ...lora, seed: 1 });
    // The full model carries LoRA on its adapter blocks only, as the server's teacher does.
    await full.attachLora({ ...lora, layers: plan.adapter, seed: 2 });
    const [emuState, fullState] = [await emu.exportAdapter(), await full.exportAdapter()];
    const toFull = adapterTensorNameMap(plan, 'emulatorToFull');
    const toEmu = adapterTensorNameMap(plan, 'fullToEmulator');
    const fullShapes = new Map(fullState.manifest.map((e) => [e.name, JSON.stringify(e.shape)]));
    const mapped: { name: string; shape: number[]; data: Float32Array }[] = [];
    for (const entry of emuState.manifest) {
      const name = toFull(entry.name);
      const adapterBlock = plan.adapterLayersInModel.includes(blockOf(entry.name));
      assert.is(name !== null, adapterBlock, `${entry.name} maps iff it is in an adapter block`);
      if (name === null) continue;
      assert.is(fullShapes.get(name), JSON.stringify(entry.shape), `${name} exists in the full model with the same shape`);
      assert.is(toEmu(name), entry.name, 'round trip');
      mapped.push({ name, shape: entry.shape, data: slice(emuState, entry.name) });
    }
    const expected = fullState.manifest.map((e) => e.name);
    assert.ok(expected.every((name) => plan.adapter.includes(blockOf(name))));
    assert.equal(mapped.map((t) => t.name).sort(), expected.sort(), 'every adapter tensor of the full model is reached');
    await full.importAdapterTensors(mapped);
    const after = await full.exportAdapter();
    for (const t of mapped) assert.equal(slice(after, t.name), t.data);
    return mapped.length;
  } finally {
    await emu.dispose();
    await full.dispose();
  }
}

// ---

const names = suite('adapterTensorNameMap');

names('should rename adapter blocks and refuse the rest :: fedbiot [0, 3, 4]', () => {
  const plan = planEmulator({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 0.5 });
  const toFull = adapterTensorNameMap(plan, 'emulatorToFull');
  const toEmu = adapterTensorNameMap(plan, 'fullToEmulator');
  const key = (i: number) => `base_model.model.model.layers.${i}.self_attn.q_proj.lora_A.weight`;
  assert.is(toFull(key(2)), key(4));
  assert.is(toEmu(key(4)), key(2));
  for (const i of [0, 1, 3]) assert.is(toFull(key(i)), null, `emulator block ${i}`);
  for (const i of [0, 1, 2, 3]) assert.is(toEmu(key(i)), null, `full block ${i}`);
  assert.is(toFull('model.layers.2.mlp.down_proj.weight'), 'model.layers.4.mlp.down_proj.weight');
  assert.is(toFull('base_model.model.lm_head.lora_A.weight'), null);
  assert.is(toFull('base_model.model.model.embed_tokens.weight'), null);
});

names('should rename GPT-2 keys and FedOT bottom and top adapters', () => {
  const plan = planEmulator({ algorithm: 'fedot', numLayers: 12, emuL: 2, emuR: 10, dropRate: 0.5 });
  const toFull = adapterTensorNameMap(plan, 'emulatorToFull');
  const key = (i: number) => `base_model.model.transformer.h.${i}.attn.c_attn.lora_B.weight`;
  assert.equal([0, 1, 2, 5, 6, 7].map((i) => toFull(key(i))), [key(0), key(1), null, null, key(10), key(11)]);
  assert.is(adapterTensorNameMap(plan, 'fullToEmulator')(key(11)), key(7));
  assert.is(toFull('base_model.model.transformer.h.x.attn.c_attn.lora_B.weight'), null);
});

names('should refuse an unknown direction', async () => {
  const plan = planEmulator({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 0.5 });
  await expectError(() => adapterTensorNameMap(plan, 'up' as 'emulatorToFull'), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /for direction/);
});

names.run();

// ---

const real = suite<{ tmp: string }>('adapterTensorNameMap :: real PEFT names');

real.before(async (ctx) => {
  ctx.tmp = await mkdtemp(path.join(os.tmpdir(), 'fsllm-emu-names-'));
});

real.after(async (ctx) => {
  if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
});

real('should carry a LoRA of the emulator onto the full model :: stories260K fedbiot', async ({ tmp }) => {
  const plan = planEmulator({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 0.5 });
  assert.is(await checkOnRealNames(STORIES_BIN, plan, { r: 4, targets: QKVO }, path.join(tmp, 'fedbiot')), 8);
});

real('should carry a LoRA of the emulator onto the full model :: stories260K fedot', async ({ tmp }) => {
  const plan = planEmulator({ algorithm: 'fedot', numLayers: 5, emuL: 1, emuR: 4, dropRate: 0.5 });
  assert.is(await checkOnRealNames(STORIES_BIN, plan, { r: 4, targets: QKVO }, path.join(tmp, 'fedot')), 16);
});

real('should carry a LoRA of the emulator onto the full model :: GPT-2 c_attn', async ({ tmp }) => {
  const four = await fourBlockGpt2(path.join(tmp, 'gpt2-4'));
  const plan = planEmulator({ algorithm: 'fedot', numLayers: 4, emuL: 1, emuR: 3, dropRate: 0.5 });
  assert.is(await checkOnRealNames(four, plan, { r: 2, targets: ['c_attn'] }, path.join(tmp, 'gpt2')), 4);
});

real.run();
