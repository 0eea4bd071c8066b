// The model the native tests run on: stories260K (260K parameters, 5 layers, vocab 512), small enough to
// load in tens of milliseconds and train in a few.
import { Model, type LoraOptions } from '../../lib/index.js';
import { STORIES_BIN } from './paths.js';

/** The attention projections of a LLaMA block, the usual LoRA targets. */
export const QKVO = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];

/** LoRA r 8 on q, k, v, o of every layer, with a fixed seed. */
export const TINY_LORA: LoraOptions = { r: 8, alpha: 16, targets: QKVO, seed: 1 };

/** Loads stories260K with its tokenizer. The caller disposes it. */
export async function tinyModel(): Promise<Model> {
  return Model.load(STORIES_BIN);
}

/** Loads stories260K and attaches `lora` (default {@link TINY_LORA}). The caller disposes it. */
export async function tinyAdaptedModel(lora: LoraOptions = TINY_LORA): Promise<Model> {
  const model = await tinyModel();
  try {
    await model.attachLora(lora);
  } catch (error) {
    await model.dispose();
    throw error;
  }
  return model;
}
