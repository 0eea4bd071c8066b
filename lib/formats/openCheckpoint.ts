import fs from 'node:fs/promises';
import path from 'node:path';

import { checkpointError, invalidArgError } from './errors.js';
import { readGgufCheckpoint } from './ggufCheckpoint.js';
import { readHfFolder } from './hfFolder.js';
import { readLlama2c } from './llama2c.js';
import { readRange } from './readRange.js';
import type { Checkpoint } from './types.js';

const SUPPORTED_FORMS =
  'a Hugging Face model folder (config.json + model.safetensors or model.safetensors.index.json), ' +
  'a LLaMA .gguf file, or a llama2.c .bin checkpoint';

/**
 * Opens a checkpoint by path and reads its headers (never its tensor data):
 * - a folder with `config.json` → Hugging Face safetensors;
 * - a `.gguf` file → GGUF (LLaMA architecture);
 * - a `.bin` file → llama2.c, unless its first bytes say GGUF (read as GGUF) or a PyTorch zip (refused).
 * @param checkpointPath file or folder; relative paths resolve against the working directory.
 * @returns the config and every tensor's location; `TensorSource.file` paths are absolute.
 * @throws `ERR_FSLLM_INVALID_ARG` when `checkpointPath` is not a non-empty string;
 *   `ERR_FSLLM_CHECKPOINT` when the path does not exist, is of no supported form (the message lists
 *   them), or the files are corrupt, truncated or unsupported.
 * @example
 * const ckpt = await openCheckpoint('models/stories260K/stories260K.bin');
 * ckpt.config.numLayers; // 5
 */
export async function openCheckpoint(checkpointPath: string): Promise<Checkpoint> {
  if (typeof checkpointPath !== 'string' || checkpointPath === '') {
    throw invalidArgError('a file or folder path', 'checkpointPath', checkpointPath);
  }
  const absolute = path.resolve(checkpointPath);
  const stat = await fs.stat(absolute).catch((error: unknown) => {
    throw checkpointError(`does not exist (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected ${SUPPORTED_FORMS}`, absolute, error);
  });

  if (stat.isDirectory()) {
    if (await fs.access(path.join(absolute, 'config.json')).then(() => true, () => false)) return readHfFolder(absolute);
    throw checkpointError(`is a folder without config.json; expected ${SUPPORTED_FORMS}`, absolute);
  }
  const extension = path.extname(absolute).toLowerCase();
  if (extension === '.gguf') return readGgufCheckpoint(absolute);
  if (extension === '.bin') {
    const magic = await sniff(absolute);
    if (magic === 'GGUF') return readGgufCheckpoint(absolute);
    if (magic === 'PK\u0003\u0004') {
      throw checkpointError('is a PyTorch (zip/pickle) checkpoint, which fsllm does not read; save the model as safetensors', absolute);
    }
    return readLlama2c(absolute);
  }
  const hint = extension === '.safetensors' ? '; pass the folder that holds it and its config.json' : '';
  throw checkpointError(`is of no supported form; expected ${SUPPORTED_FORMS}${hint}`, absolute);
}

async function sniff(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    return String.fromCharCode(...(await readRange(handle, 0, 4)));
  } finally {
    await handle.close();
  }
}
