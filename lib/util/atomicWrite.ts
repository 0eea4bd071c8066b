/**
 * Replacing a file so that it appears whole or not at all, which is how every file we write reaches disk
 * (a crash never leaves half a checkpoint, adapter, report or data file): a sibling temporary file is
 * written, flushed, then renamed over the target.
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

/** `data` as the whole content of `file`, replaced atomically. */
export async function atomicWrite(file: string, data: string | Uint8Array): Promise<void> {
  await replaceFile(file, (handle) => handle.writeFile(data));
}
