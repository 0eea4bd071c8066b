/**
 * Cuts the emulator model out of a full model as its own Hugging Face folder (config.json,
 * model.safetensors in float32, the tokenizer, emulator.json), so a client is sent a path to a model
 * that never held the dropped blocks. Tensors are decoded a bounded batch at a time: a 7B model is never
 * decoded whole.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

import { invalidArg } from '../errors/index.js';
import { openCheckpoint } from '../formats/openCheckpoint.js';
import { readGguf } from '../formats/gguf.js';
import type { Checkpoint, ModelConfig, TensorSource } from '../formats/types.js';
import { readTensors } from '../native/readTensors.js';
import { atomicWrite, replaceFile } from '../util/atomicWrite.js';
import { EMULATOR_MANIFEST, type EmulatorManifest, type EmulatorSourceFile } from './emulatorManifest.js';
import { ggufTokenizerBytes } from '../formats/writeGgufTokenizer.js';
import { hfConfigFromModel } from '../formats/writeHfConfig.js';
import { planFault, type EmulatorPlan } from './layerPlan.js';
import { writeF32SafetensorsStreamed, type PlannedTensor } from '../formats/streamSafetensors.js';

/** What {@link buildEmulator} wrote. */
export interface EmulatorInfo {
  /** Absolute path of the emulator folder. */
  dir: string;
  manifest: EmulatorManifest;
  /** The emulator model's config (the full model's, with `numLayers = plan.layout.length`). */
  config: ModelConfig;
}

// Files beside an HF model that a tokenizer (or generation) needs; copied when present.
const HF_SIDE_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.json',
  'merges.txt', 'tokenizer.model', 'chat_template.jinja', 'generation_config.json',
];
// Names a build may leave in its folder; any other file means the folder is not ours to overwrite.
const OURS = (name: string) =>
  ['config.json', 'model.safetensors', EMULATOR_MANIFEST, 'tokenizer.gguf', 'tokenizer.bin', ...HF_SIDE_FILES].includes(name) ||
  /^tok\d+\.bin$/.test(name) || name.endsWith('.tmp');
const LAYER_KEY = /^(model\.layers|transformer\.h)\.(\d+)\.(.+)$/;
// Decoded bytes per readTensors call (one tensor larger than this is read alone).
const BATCH_BYTES = 256 * 1024 * 1024;

interface OutTensor extends PlannedTensor {
  source: TensorSource;
}

/**
 * Builds the emulator model of `plan` from the full model at `modelPath` into `outDir`.
 *
 * - `model.safetensors` (float32): embeddings, final norm, the head (if untied), and as block k the
 *   tensors of full-model block `plan.layout[k]`, renamed. Dropped blocks are never read.
 * - `config.json`: same family and hyper-parameters, `plan.layout.length` blocks (see hfConfigFromModel).
 * - the tokenizer: an HF folder's tokenizer files are copied; a llama2.c `tok*.bin`/`tokenizer.bin` is
 *   copied; a GGUF's tokenizer metadata is written to a tensor-less `tokenizer.gguf`. `Model.load(outDir)`
 *   finds only `tokenizer.json`: load with {@link loadEmulator} to get the tokenizer for every source.
 * - `emulator.json` (see {@link EmulatorManifest}), written last: a folder with it is complete.
 * Each file appears atomically (temporary file + rename). Rebuilding into the same folder first removes
 * its manifest, so an interrupted rebuild leaves a folder that reads as incomplete.
 * @param modelPath the full model: an HF folder (llama, mistral, qwen2, gpt2), a LLaMA GGUF (quantised
 *   blocks are decoded to float32) or a llama2.c `.bin`.
 * @param plan from `planEmulator` for this model's layer count.
 * @param outDir created if needed; must be empty, absent, or hold only files of an earlier emulator build,
 *   and must not be the source model's folder.
 * @throws `ERR_FSLLM_INVALID_ARG` for a plan that does not fit the model or a bad `outDir`;
 *   `ERR_FSLLM_CHECKPOINT` for an unreadable source or an unwritable folder; native errors from decoding.
 * @example
 * const plan = planEmulator({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 0.5 });
 * await buildEmulator('assets/stories260K/stories260K.bin', plan, 'out/emulator'); // blocks [0, 3, 4]
 */
export async function buildEmulator(modelPath: string, plan: EmulatorPlan, outDir: string): Promise<EmulatorInfo> {
  // Validate
  if (typeof outDir !== 'string' || outDir === '') throw invalidArg('outDir', 'a folder path', outDir);
  const fault = planFault(plan);
  if (fault !== null) throw invalidArg('plan', `a plan from planEmulator (${fault})`, plan);
  const checkpoint = await openCheckpoint(modelPath);
  if (plan.numLayers !== checkpoint.config.numLayers) {
    throw invalidArg('plan.numLayers', `${checkpoint.config.numLayers} (the layer count of ${path.basename(modelPath)})`, plan.numLayers);
  }
  const dir = path.resolve(outDir);
  await prepareFolder(dir, checkpoint);

  // Write: hashes run while the tensors are copied; the manifest goes last.
  const sources = sourceFiles(modelPath, checkpoint);
  const hashing = Promise.all(sources.map(async ({ file, name }) => ({ name, ...(await sha256File(file)) })));
  hashing.catch(() => {}); // awaited below; a failure of the copy must not leave it unhandled
  const tensorBytes = await writeTensors(path.join(dir, 'model.safetensors'), checkpoint, plan);
  const config: ModelConfig = { ...checkpoint.config, numLayers: plan.layout.length };
  await atomicWrite(path.join(dir, 'config.json'), `${JSON.stringify(hfConfigFromModel(config), null, 2)}\n`);
  const { files: sideFiles, tokenizer } = await writeTokenizer(dir, checkpoint, path.resolve(modelPath));
  const files = ['config.json', 'model.safetensors', ...sideFiles];
  await removeStale(dir, files);

  const hashed = await hashing;
  const manifest: EmulatorManifest = {
    format: 'fsllm-emulator',
    version: 1,
    source: path.basename(path.resolve(modelPath)),
    sourceFormat: checkpoint.format,
    sourceSha256: combinedSha256(hashed),
    sourceFiles: hashed,
    plan,
    tokenizer,
    files,
    createdAt: new Date().toISOString(),
    tensorBytes,
  };
  await atomicWrite(path.join(dir, EMULATOR_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest, config };
}

// Refuses folders that hold anything but an earlier build, then removes its manifest.
async function prepareFolder(dir: string, checkpoint: Checkpoint): Promise<void> {
  if (checkpoint.tensors.some((t) => path.dirname(t.file) === dir)) {
    throw invalidArg('outDir', "a folder other than the source model's", dir);
  }
  const names = await fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw invalidArg('outDir', `a folder (${error.code ?? 'unreadable'})`, dir);
  });
  const foreign = names.find((name) => !OURS(name));
  if (foreign !== undefined) {
    throw invalidArg('outDir', `an empty folder or an earlier emulator build (it holds ${foreign})`, dir);
  }
  await fs.mkdir(dir, { recursive: true });
  await fs.rm(path.join(dir, EMULATOR_MANIFEST), { force: true });
}

// The output tensors in file order: global tensors, then emulator-model blocks 0..L'-1.
function outputTensors(checkpoint: Checkpoint, plan: EmulatorPlan): OutTensor[] {
  const slot = new Map(plan.layout.map((full, k) => [full, k]));
  const globals: OutTensor[] = [];
  const blocks: OutTensor[][] = plan.layout.map(() => []);
  for (const source of checkpoint.tensors) {
    // A transpose only undoes the stored HF layout, which the written file keeps: read the bytes as stored.
    const { transform, ...stored } = source;
    const read: TensorSource = transform && transform.kind !== 'transpose' ? { ...stored, transform } : stored;
    const match = LAYER_KEY.exec(source.name);
    if (match === null) {
      globals.push({ name: source.name, shape: source.shape, source: read });
      continue;
    }
    const k = slot.get(Number(match[2]));
    if (k !== undefined) blocks[k]!.push({ name: `${match[1]}.${k}.${match[3]}`, shape: source.shape, source: read });
  }
  return [...globals, ...blocks.flat()];
}

async function writeTensors(file: string, checkpoint: Checkpoint, plan: EmulatorPlan): Promise<number> {
  const tensors = outputTensors(checkpoint, plan);
  async function* decoded(): AsyncGenerator<{ name: string; data: Float32Array }> {
    for (let start = 0; start < tensors.length; ) {
      let end = start;
      let bytes = 0;
      while (end < tensors.length && (end === start || bytes + numel(tensors[end]!.shape) * 4 <= BATCH_BYTES)) {
        bytes += numel(tensors[end++]!.shape) * 4;
      }
      const batch = tensors.slice(start, end);
      const values = await readTensors(batch.map((t) => t.source));
      for (const t of batch) yield { name: t.name, data: values[t.source.name]! };
      start = end;
    }
  }
  return writeF32SafetensorsStreamed(file, tensors, { format: 'pt' }, decoded());
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// Copies (or, for GGUF, extracts) the tokenizer; returns the files written and the one to load.
async function writeTokenizer(dir: string, checkpoint: Checkpoint, sourceRoot: string): Promise<{ files: string[]; tokenizer: string | null }> {
  const from = checkpoint.tokenizerPath;
  if (checkpoint.format === 'gguf') {
    const bytes = ggufTokenizerBytes(await readGguf(checkpoint.tensors[0]!.file));
    if (bytes === null) return { files: [], tokenizer: null };
    await atomicWrite(path.join(dir, 'tokenizer.gguf'), bytes);
    return { files: ['tokenizer.gguf'], tokenizer: 'tokenizer.gguf' };
  }
  if (checkpoint.format === 'llama2c') {
    if (from === null) return { files: [], tokenizer: null };
    await copyAtomic(from, path.join(dir, path.basename(from)));
    return { files: [path.basename(from)], tokenizer: path.basename(from) };
  }
  const files: string[] = [];
  for (const name of HF_SIDE_FILES) {
    const source = path.join(sourceRoot, name);
    if (await fs.access(source).then(() => true, () => false)) {
      await copyAtomic(source, path.join(dir, name));
      files.push(name);
    }
  }
  return { files, tokenizer: files.includes('tokenizer.json') ? 'tokenizer.json' : null };
}

async function copyAtomic(from: string, to: string): Promise<void> {
  // Tokenizer side files are a few MB at most: read whole, written through the one atomic path.
  const data = await fs.readFile(from);
  await replaceFile(to, (handle) => handle.writeFile(data));
}

// Files of an earlier build that this one did not write (e.g. another tokenizer).
async function removeStale(dir: string, keep: string[]): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (!keep.includes(name) && name !== EMULATOR_MANIFEST && !name.endsWith('.tmp')) await fs.rm(path.join(dir, name), { force: true });
  }
}

// The source's files and their names relative to it: the one file, or config.json plus the shards.
function sourceFiles(modelPath: string, checkpoint: Checkpoint): { file: string; name: string }[] {
  const weights = [...new Set(checkpoint.tensors.map((t) => t.file))];
  if (checkpoint.format !== 'safetensors') return weights.map((file) => ({ file, name: path.basename(file) }));
  const root = path.resolve(modelPath);
  return [path.join(root, 'config.json'), ...weights]
    .map((file) => ({ file, name: path.relative(root, file) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function combinedSha256(files: EmulatorSourceFile[]): string {
  if (files.length === 1) return files[0]!.sha256;
  return createHash('sha256').update(files.map((f) => `${f.sha256}  ${f.name}\n`).join('')).digest('hex');
}
