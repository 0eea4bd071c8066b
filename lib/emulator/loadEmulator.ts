/** Loads an emulator folder as a Model, with the tokenizer its manifest names. */
import path from 'node:path';

import { checkpointError } from '../formats/errors.js';
import { Model } from '../native/Model.js';
import type { LoadModelOptions } from '../native/loadModelOptions.js';
import { EMULATOR_MANIFEST, readEmulatorManifest } from './emulatorManifest.js';

/**
 * Loads the emulator model `buildEmulator` wrote: `Model.load(dir)` plus the tokenizer the manifest
 * names (an HF folder loader finds only `tokenizer.json`; emulators cut from llama2.c or GGUF models
 * carry `tok*.bin` or `tokenizer.gguf`).
 * @param dir the emulator folder.
 * @throws `ERR_FSLLM_CHECKPOINT` for a missing or corrupt manifest or model files, or a config whose
 *   layer count differs from the manifest's plan; `ERR_FSLLM_TOKENIZER` for a bad tokenizer file.
 * @example
 * await using model = await loadEmulator('out/emulator');
 * model.config.numLayers; // plan.layout.length
 */
export async function loadEmulator(dir: string, load: Pick<LoadModelOptions, 'device' | 'baseDtype'> = {}): Promise<Model> {
  const manifest = await readEmulatorManifest(dir);
  const options = manifest.tokenizer === null ? load : { ...load, tokenizerPath: path.join(path.resolve(dir), manifest.tokenizer) };
  const model = await Model.load(dir, options);
  if (model.config.numLayers !== manifest.plan.layout.length) {
    const layers = model.config.numLayers;
    await model.dispose();
    throw checkpointError(
      `plans ${manifest.plan.layout.length} blocks but config.json has ${layers}; the folder was altered: rebuild it`,
      path.join(path.resolve(dir), EMULATOR_MANIFEST),
    );
  }
  return model;
}
