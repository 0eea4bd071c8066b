/**
 * Adapters on disk in the Hugging Face PEFT format: `adapter_config.json` + `adapter_model.safetensors`
 * with PEFT key names, so files move both ways between fsllm-native and PEFT.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Model } from './Model.js';
import { sliceOf, type AdapterState } from './adapterState.js';
import { atomicWrite } from '../util/atomicWrite.js';
import type { ModelFamily } from '../formats/types.js';
import { loraFromPeftConfig, normalizeLora, peftAdapterConfig, sameLora } from './lora.js';
import { fsllmError } from '../errors/index.js';
import { writeSafetensors } from '../formats/index.js';
import { readSafetensorsF32 } from './readTensors.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** Writes `model`'s adapter into `dir` (created if needed); each file appears atomically. */
export async function saveAdapter(model: Model, dir: string): Promise<void> {
  const lora = model.lora;
  if (!lora) throw fsllmError('ERR_FSLLM_INVALID_ARG', 'The model has no adapter to save; call attachLora() or loadAdapter() first');
  await writeAdapterFiles(dir, await model.exportAdapter(), lora, model.config.family, path.basename(model.source));
}

/**
 * Writes an exported adapter `state` (e.g. a federated global adapter that is not loaded in any model) in
 * PEFT format; `lora` is the configuration it was exported under.
 */
export async function writeAdapterFiles(
  dir: string,
  state: AdapterState,
  lora: ReturnType<typeof normalizeLora>,
  family: ModelFamily,
  baseModel: string | null,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = state.manifest.map((e) => ({ name: e.name, dtype: 'f32' as const, shape: e.shape, data: sliceOf(state, e) }));
  await writeSafetensors(path.join(dir, ADAPTER_WEIGHTS), tensors, { format: 'pt' });
  const config = JSON.stringify(peftAdapterConfig(lora, family, baseModel), null, 2);
  await atomicWrite(path.join(dir, ADAPTER_CONFIG), `${config}\n`);
}

/**
 * Attaches the adapter saved in `dir` (by PEFT or by saveAdapter) to `model`, which must have no adapter.
 * @throws `ERR_FSLLM_CHECKPOINT` when tensors are missing or shaped for another model.
 */
export async function loadAdapter(model: Model, dir: string): Promise<void> {
  const configFile = path.join(dir, ADAPTER_CONFIG);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_CHECKPOINT', `${configFile}: cannot read the PEFT adapter config (${(cause as Error).message})`, { cause, path: configFile });
  }
  const options = loraFromPeftConfig(config, configFile);
  const tensors = await readSafetensorsF32(path.join(dir, ADAPTER_WEIGHTS));
  // Same configuration already attached: load the values only, so live TrainSessions stay bound.
  const current = model.lora;
  if (!current || !sameLora(current, normalizeLora(options))) {
    if (current) await model.detachLora();
    await model.attachLora(options);
  }
  await model.importAdapterTensors(tensors);
}
