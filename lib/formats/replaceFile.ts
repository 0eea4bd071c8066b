/**
 * Replacing a file so that it appears whole or not at all: a sibling temporary file is written, flushed,
 * then renamed over the target. Used by the safetensors writers, whose outputs are large binaries.
 */
import { randomBytes } from 'node:crypto';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Runs `write` on a new temporary file beside `file`, flushes it and renames it over `file`.
 * @returns what `write` returned.
 * @throws whatever `write` or the file system threw, as it is, after removing the temporary file; the
 *   target is then untouched.
 */
export async function replaceFile<T>(file: string, write: (handle: FileHandle) => Promise<T>): Promise<T> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(temp, 'wx');
    let result: T;
    try {
      result = await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
    return result;
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
