/**
 * A Hugging Face model folder: `config.json` plus `model.safetensors` or a sharded
 * `model.safetensors.index.json`. Only headers are read.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { checkpointError } from './errors.js';
import { modelConfigFromHf } from './hfConfig.js';
import { checkRequiredTensors } from './requiredTensors.js';
import { readSafetensorsHeader, safetensorsSource, type SafetensorsHeader } from './safetensors.js';
import type { Checkpoint, ModelConfig, TensorSource, TensorTransform } from './types.js';

// GPT-2's Conv1D modules store their weight as [in, out].
const GPT2_CONV1D = /^transformer\.h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;
// Registered buffers that some exports include: the causal mask and a constant.
const GPT2_BUFFERS = /\.attn\.(bias|masked_bias)$/;
// Older LLaMA exports saved the RoPE inverse frequencies, which the model recomputes.
const LLAMA_BUFFERS = /\.rotary_emb\.inv_freq$/;

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw checkpointError(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, file, error);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw checkpointError('is not valid JSON', file, error);
  }
}

/**
 * Maps a stored key to the key the native model registers, and says how to lay the tensor out;
 * `null` drops the tensor (buffers the model recomputes).
 * - gpt2: keys gain the `transformer.` prefix when the checkpoint lacks it (the original `gpt2` repo
 *   saves `h.0...`, `wte.weight`); Conv1D weights are transposed.
 * @internal
 */
export function hfTensorKey(family: ModelConfig['family'], stored: string): { name: string; transform?: TensorTransform } | null {
  if (family === 'llama') return LLAMA_BUFFERS.test(stored) ? null : { name: stored };
  const name = stored.startsWith('transformer.') || stored.startsWith('lm_head.') ? stored : `transformer.${stored}`;
  if (GPT2_BUFFERS.test(name)) return null;
  return GPT2_CONV1D.test(name) ? { name, transform: { kind: 'transpose' } } : { name };
}

/**
 * Reads a Hugging Face model folder's headers.
 * @param dir folder holding `config.json` and the weights.
 * @throws `ERR_FSLLM_CHECKPOINT` for a missing or unsupported config, missing or corrupt weight files,
 *   an index naming a tensor its shard lacks, or a model tensor that is absent.
 */
export async function readHfFolder(dir: string): Promise<Checkpoint> {
  const root = path.resolve(dir);
  const configFile = path.join(root, 'config.json');
  const config = modelConfigFromHf(await readJson(configFile), configFile);

  const single = path.join(root, 'model.safetensors');
  const index = path.join(root, 'model.safetensors.index.json');
  let where: string;
  let entries: { header: SafetensorsHeader; names: Set<string> | null }[];
  if (await exists(single)) {
    where = single;
    entries = [{ header: await readSafetensorsHeader(single), names: null }];
  } else if (await exists(index)) {
    where = index;
    entries = await readShards(index, root);
  } else {
    const pickle = await exists(path.join(root, 'pytorch_model.bin'));
    throw checkpointError(
      'has no model.safetensors or model.safetensors.index.json' +
        (pickle ? '; pytorch_model.bin (pickle) is not read: save the model with safe_serialization=True' : ''),
      root,
    );
  }

  const tensors: TensorSource[] = [];
  for (const { header, names } of entries) {
    for (const entry of header.tensors) {
      if (names !== null && !names.has(entry.name)) continue;
      const key = hfTensorKey(config.family, entry.name);
      if (key === null) continue;
      const source: TensorSource = { ...safetensorsSource(entry, header.file), name: key.name };
      if (key.transform) source.transform = key.transform;
      tensors.push(source);
    }
  }
  checkRequiredTensors(config, tensors, where);
  const tokenizer = path.join(root, 'tokenizer.json');
  return { format: 'safetensors', config, tensors, tokenizerPath: (await exists(tokenizer)) ? tokenizer : null };
}

// Reads each shard named by the index once; `names` are the keys the index assigns to that shard.
async function readShards(index: string, root: string): Promise<{ header: SafetensorsHeader; names: Set<string> }[]> {
  const json = await readJson(index);
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw checkpointError('field weight_map must map tensor names to shard file names', index);
  }
  const byShard = new Map<string, Set<string>>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string') throw checkpointError(`field weight_map.${name} must be a file name`, index);
    const file = path.resolve(root, shard);
    const names = byShard.get(file) ?? new Set<string>();
    names.add(name);
    byShard.set(file, names);
  }
  const shards: { header: SafetensorsHeader; names: Set<string> }[] = [];
  for (const [file, names] of byShard) {
    const header = await readSafetensorsHeader(file);
    const stored = new Set(header.tensors.map((t) => t.name));
    const absent = [...names].find((name) => !stored.has(name));
    if (absent !== undefined) {
      throw checkpointError(`weight_map puts ${absent} in ${path.basename(file)}, which has no such tensor`, index);
    }
    shards.push({ header, names });
  }
  return shards;
}
