import { rename, writeFile } from 'node:fs/promises';

/** Writes `data` to `file` through a temporary file and a rename, so a crash never leaves half a file. */
export async function atomicWrite(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}
