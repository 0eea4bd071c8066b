/**
 * `emulator.json`, the manifest of an emulator folder. It is written last, so a folder that has one is
 * complete; reading it validates the manifest and checks that the files it lists are present.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { checkpointError } from '../formats/errors.js';
import type { Checkpoint } from '../formats/types.js';
import { invalidArg } from '../errors/index.js';
import { planFault, type EmulatorPlan } from './layerPlan.js';

/** File name of the manifest inside an emulator folder. */
export const EMULATOR_MANIFEST = 'emulator.json';

/** One source file the emulator was cut from. */
export interface EmulatorSourceFile {
  /** Path relative to the source (the base name for a single-file checkpoint). */
  name: string;
  sha256: string;
  bytes: number;
}

/** The manifest of an emulator folder. Paths are never absolute: the folder can be moved or sent. */
export interface EmulatorManifest {
  format: 'fsllm-emulator';
  version: 1;
  /** Base name of the full model's file or folder (never its full path). */
  source: string;
  sourceFormat: Checkpoint['format'];
  /**
   * SHA-256 of the source: of its one file, or, for several (an HF folder: config.json and the weight
   * files), of the text `"<sha256>  <name>\n"` per file, sorted by name (`sha256sum`'s format).
   */
  sourceSha256: string;
  sourceFiles: EmulatorSourceFile[];
  plan: EmulatorPlan;
  /** Tokenizer file in the folder to load the model with, or null when the source had none. */
  tokenizer: string | null;
  /** Every file of the artefact except the manifest. */
  files: string[];
  /** ISO 8601. */
  createdAt: string;
  /** Bytes of tensor data in model.safetensors (float32). */
  tensorBytes: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !path.isAbsolute(v) && !v.split(/[\\/]/).includes('..');

// The first fault of a parsed manifest, or null.
function manifestFault(m: Record<string, unknown>): string | null {
  if (m['format'] !== 'fsllm-emulator') return `field format is ${JSON.stringify(m['format'])}, not "fsllm-emulator"`;
  if (m['version'] !== 1) return `field version ${JSON.stringify(m['version'])} is not supported (only 1); rebuild the emulator`;
  if (!isName(m['source'])) return 'field source must be a base name';
  if (!['safetensors', 'gguf', 'llama2c'].includes(m['sourceFormat'] as string)) return 'field sourceFormat must be safetensors, gguf or llama2c';
  if (typeof m['sourceSha256'] !== 'string' || !HEX64.test(m['sourceSha256'])) return 'field sourceSha256 must be 64 hex digits';
  const sources = m['sourceFiles'];
  if (!Array.isArray(sources) || !sources.every((f) => isName(f?.name) && HEX64.test(f?.sha256) && Number.isSafeInteger(f?.bytes))) {
    return 'field sourceFiles must list {name, sha256, bytes}';
  }
  const fault = planFault(m['plan']);
  if (fault !== null) return `field ${fault}`;
  if (m['tokenizer'] !== null && !isName(m['tokenizer'])) return 'field tokenizer must be a file name or null';
  const files = m['files'];
  if (!Array.isArray(files) || !files.every(isName)) return 'field files must list file names';
  if (!files.includes('config.json') || !files.includes('model.safetensors')) return 'field files must include config.json and model.safetensors';
  if (m['tokenizer'] !== null && !files.includes(m['tokenizer'])) return 'field tokenizer names a file that files does not list';
  if (typeof m['createdAt'] !== 'string' || Number.isNaN(Date.parse(m['createdAt']))) return 'field createdAt must be an ISO date';
  if (!Number.isSafeInteger(m['tensorBytes']) || (m['tensorBytes'] as number) < 0) return 'field tensorBytes must be a non-negative integer';
  return null;
}

/**
 * Reads and validates an emulator folder's manifest, and checks that every file it lists is there.
 * @param dir the folder `buildEmulator` wrote.
 * @throws `ERR_FSLLM_INVALID_ARG` when `dir` is not a non-empty string; `ERR_FSLLM_CHECKPOINT` when the
 *   manifest is missing (not an emulator folder, or a build that did not finish), is not valid JSON,
 *   has a bad field (named in the message), or a file it lists is missing.
 * @example const { plan } = await readEmulatorManifest('./emulator'); plan.layout; // [0, 3, 4]
 */
export async function readEmulatorManifest(dir: string): Promise<EmulatorManifest> {
  if (typeof dir !== 'string' || dir === '') throw invalidArg('dir', 'an emulator folder path', dir);
  const file = path.join(path.resolve(dir), EMULATOR_MANIFEST);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'is missing: the folder is not an emulator, or its build did not finish; run buildEmulator again' : `cannot be read (${code})`;
    throw checkpointError(why, file, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw checkpointError('is not valid JSON; the file is corrupt: run buildEmulator again', file, error);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw checkpointError('is not a JSON object', file);
  const fault = manifestFault(json as Record<string, unknown>);
  if (fault !== null) throw checkpointError(fault, file);
  const manifest = json as EmulatorManifest;
  for (const name of manifest.files) {
    const present = await fs.access(path.join(path.dirname(file), name)).then(() => true, () => false);
    if (!present) throw checkpointError(`lists ${name}, which is missing from the folder; copy the whole folder or rebuild it`, file);
  }
  return manifest;
}
