/**
 * Renames adapter tensors between the emulator model and the full model: block k of the emulator model
 * is block `plan.layout[k]` of the full one. Used to evaluate a client-trained adapter on the full model
 * (FedBiOT's AdapFu) and to hand the full model's adapter back to clients.
 */
import { invalidArg } from '../errors/index.js';
import type { EmulatorPlan } from './layerPlan.js';

/** Which way {@link adapterTensorNameMap} renames. */
export type AdapterNameDirection = 'emulatorToFull' | 'fullToEmulator';

// The block index in a HF or PEFT key: `...model.layers.<i>.` (LLaMA family) or `...transformer.h.<i>.` (GPT-2).
const BLOCK = /(^|\.)(model\.layers|transformer\.h)\.(\d+)\./;

/**
 * A function renaming a tensor key (HF or PEFT, e.g.
 * `base_model.model.model.layers.4.self_attn.q_proj.lora_A.weight`) of an adapter block from one model's
 * block index to the other's. It returns null for keys with no counterpart: keys of emulator blocks (they
 * exist only in the emulator model, and stand for other blocks of the full model), of dropped or emulated
 * full-model blocks, and keys naming no block (embeddings, head), which are not part of the adapter.
 * @param plan the plan the emulator was built from.
 * @param direction `'emulatorToFull'` or `'fullToEmulator'`.
 * @throws `ERR_FSLLM_INVALID_ARG` for an unknown direction.
 * @example
 * const toFull = adapterTensorNameMap(plan, 'emulatorToFull'); // plan.layout [0, 3, 4]
 * toFull('base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight');
 * // 'base_model.model.model.layers.4.self_attn.q_proj.lora_A.weight'
 * toFull('base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight'); // null (emulator block)
 */
export function adapterTensorNameMap(plan: EmulatorPlan, direction: AdapterNameDirection): (name: string) => string | null {
  if (direction !== 'emulatorToFull' && direction !== 'fullToEmulator') {
    throw invalidArg('direction', "'emulatorToFull' or 'fullToEmulator'", direction);
  }
  const pairs = plan.adapterLayersInModel.map((k) => [k, plan.layout[k]!] as const);
  const map = new Map(direction === 'emulatorToFull' ? pairs : pairs.map(([k, full]) => [full, k]));
  return (name: string) => {
    const match = BLOCK.exec(name);
    if (match === null) return null;
    const to = map.get(Number(match[3]));
    if (to === undefined) return null;
    return `${name.slice(0, match.index)}${match[1]}${match[2]}.${to}.${name.slice(match.index + match[0].length)}`;
  };
}
