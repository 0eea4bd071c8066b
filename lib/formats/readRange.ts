import fs, { type FileHandle } from 'node:fs/promises';
import { checkpointError } from './errors.js';

/** Opens a checkpoint file for reading; a missing or unreadable file is `ERR_FSLLM_CHECKPOINT`. */
export async function openForRead(file: string): Promise<FileHandle> {
  try {
    return await fs.open(file, 'r');
  } catch (error) {
    throw checkpointError(`cannot open the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, file, error);
  }
}

/**
 * Reads up to `length` bytes at `offset` into a fresh buffer; returns fewer only at end of file.
 * The result owns its own `ArrayBuffer` (offset 0), so typed-array views over it are aligned.
 * @param offset byte position in the file, ≥ 0.
 * @param length bytes wanted, ≥ 0.
 */
export async function readRange(handle: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(bytes, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? bytes : bytes.slice(0, filled);
}
