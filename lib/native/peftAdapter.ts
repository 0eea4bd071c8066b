/**
 * Adapters on disk in the Hugging Face PEFT format: `adapter_config.json` + `adapter_model.safetensors`
 * with PEFT key names, so files move both ways between fsllm-native and PEFT.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Model } from './Model.js';
import { sliceOf, type AdapterState } from './adapterState.js';
import { atomicWrite } from '../util/atomicWrite.js';
import type { ModelConfig } from '../formats/types.js';
import { loraFromPeftConfig, normalizeLora, peftAdapterConfig, sameLora } from './lora.js';
import { fsllmError } from '../errors/index.js';
import { writeSafetensors } from '../formats/index.js';
import { readSafetensorsF32 } from './readTensors.js';
import { normalizePrompt, samePromptTensors, type NormalizedPrompt, type PromptOptions } from './prompt.js';
import { isPeftPromptConfig, peftPromptConfig, promptFromPeftConfig } from './promptPeftConfig.js';

type NamedTensor = { name: string; shape: number[]; data: Float32Array };

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
/** PEFT's one tensor of a prompt-learning adapter: the virtual tokens as the model consumes them. */
const PROMPT_EMBEDDINGS = 'prompt_embeddings';

/**
 * What an adapter's files record beside its trainable state: the LoRA configuration, or the prompt's with
 * its virtual tokens as the model consumes them (PEFT's `prompt_embeddings`, the encoder's output).
 */
export type AdapterFileConfig =
  | { method: 'lora'; lora: ReturnType<typeof normalizeLora> }
  | { method: 'prompt'; prompt: NormalizedPrompt; embeddings: { data: Float32Array; shape: number[] } };

/** Writes `model`'s adapter (LoRA or a prompt) into `dir` (created if needed); each file appears atomically. */
export async function saveAdapter(model: Model, dir: string): Promise<void> {
  const state = await model.exportAdapter();
  await writeAdapterFiles(dir, state, await adapterFileConfig(model, state), model.config, path.basename(model.source));
}

/**
 * The file configuration of `state`, a trainable state exported from a model set up as `model` is (e.g. a
 * federated global adapter). A prompt's encoder runs on `state` inside `model`, whose own values are put back
 * after; callers sharing `model` hold its turn.
 * @throws `ERR_FSLLM_INVALID_ARG` when `model` has no adapter.
 */
export async function adapterFileConfig(model: Model, state: AdapterState): Promise<AdapterFileConfig> {
  const prompt = model.prompt;
  if (prompt) {
    // Without an encoder the state is the virtual tokens themselves.
    if (prompt.encoder === 'none') return { method: 'prompt', prompt, embeddings: { data: state.data, shape: state.manifest[0]!.shape } };
    const own = await model.exportAdapter();
    await model.importAdapter(state);
    try {
      return { method: 'prompt', prompt, embeddings: await model.promptEmbeddings() };
    } finally {
      await model.importAdapter(own);
    }
  }
  if (!model.lora) throw fsllmError('ERR_FSLLM_INVALID_ARG', 'The model has no adapter to save; call attachLora(), attachPrompt() or loadAdapter() first');
  return { method: 'lora', lora: model.lora };
}

/**
 * Writes an exported adapter `state` in PEFT format. A prompt adapter is saved as PEFT saves one,
 * `prompt_embeddings` (which PEFT loads ready for inference); with an encoder (P-tuning, projected prefix) the
 * encoder's tensors follow under their PEFT names (`prompt_encoder.…`): PEFT ignores them, and loadAdapter
 * resumes the encoder from them.
 */
export async function writeAdapterFiles(dir: string, state: AdapterState, config: AdapterFileConfig, model: ModelConfig, baseModel: string | null): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = state.manifest.map((e) => ({ name: e.name, dtype: 'f32' as const, shape: e.shape, data: sliceOf(state, e) }));
  const prompt = config.method === 'prompt';
  const written = prompt
    ? [{ name: PROMPT_EMBEDDINGS, dtype: 'f32' as const, ...config.embeddings }, ...(config.prompt.encoder === 'none' ? [] : tensors)]
    : tensors;
  await writeSafetensors(path.join(dir, ADAPTER_WEIGHTS), written, { format: 'pt' });
  const peft = prompt ? peftPromptConfig(config.prompt, model, baseModel) : peftAdapterConfig(config.lora, model.family, baseModel);
  await atomicWrite(path.join(dir, ADAPTER_CONFIG), `${JSON.stringify(peft, null, 2)}\n`);
}

/**
 * Attaches the adapter saved in `dir` (by PEFT or by saveAdapter: LoRA, prompt tuning, P-tuning or prefix
 * tuning) to `model`, replacing the one it has.
 * @throws `ERR_FSLLM_CHECKPOINT` when tensors are missing or shaped for another model; `ERR_FSLLM_INVALID_ARG`
 * naming the config field that does not fit.
 */
export async function loadAdapter(model: Model, dir: string): Promise<void> {
  const configFile = path.join(dir, ADAPTER_CONFIG);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_CHECKPOINT', `${configFile}: cannot read the PEFT adapter config (${(cause as Error).message})`, { cause, path: configFile });
  }
  const tensors = await readSafetensorsF32(path.join(dir, ADAPTER_WEIGHTS));
  if (isPeftPromptConfig(config)) return loadPromptAdapter(model, promptFromPeftConfig(config, configFile, model.config), tensors, dir);
  const options = loraFromPeftConfig(config, configFile);
  if (model.prompt) await model.detachPrompt();
  // Same configuration already attached: load the values only, so live TrainSessions stay bound.
  const current = model.lora;
  if (!current || !sameLora(current, normalizeLora(options))) {
    if (current) await model.detachLora();
    await model.attachLora(options);
  }
  await model.importAdapterTensors(tensors);
}

/**
 * Our files hold the encoder's tensors and resume them. PEFT's hold only `prompt_embeddings` (PEFT itself
 * cannot train on from them): those become the virtual tokens themselves, a prompt or an unprojected prefix
 * with the same outputs, which training then moves directly.
 */
async function loadPromptAdapter(model: Model, options: PromptOptions, tensors: NamedTensor[], dir: string): Promise<void> {
  const encoder = tensors.filter((t) => t.name.startsWith('prompt_encoder.'));
  const embeddings = tensors.find((t) => t.name === PROMPT_EMBEDDINGS);
  let attach = options;
  let values = encoder;
  if (encoder.length === 0) {
    if (!embeddings) {
      throw fsllmError('ERR_FSLLM_CHECKPOINT', `${path.join(dir, ADAPTER_WEIGHTS)} has neither ${PROMPT_EMBEDDINGS} nor prompt_encoder.* tensors`);
    }
    attach = { method: options.method === 'prefix' ? 'prefix' : 'prompt', virtualTokens: options.virtualTokens };
    values = [{ ...embeddings, name: 'prompt_encoder.embedding.weight' }];
  }
  if (model.lora) await model.detachLora();
  // Same tensors already attached: load the values only, so live TrainSessions stay bound.
  const current = model.prompt;
  if (current && !samePromptTensors(current, normalizePrompt(attach))) await model.detachPrompt();
  if (!model.prompt) await model.attachPrompt(attach);
  await model.importAdapterTensors(values);
}
