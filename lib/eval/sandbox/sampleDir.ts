/**
 * A sample's own directory on the host: made empty and private, filled with the program and the language's
 * support files, handed to the sample's uid, and removed afterwards whatever the sample did to it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Makes `<tempRoot>/fsllm-sample-XXXXXX` (mode 0700) holding `files` (relative paths), owned by `owner` if given. */
export async function makeSampleDir(tempRoot: string, files: Readonly<Record<string, string>>, owner?: number): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tempRoot, 'fsllm-sample-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(dir, name);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, text);
    }
    if (owner !== undefined) await chownTree(dir, owner);
    return dir;
  } catch (error) {
    await removeSampleDir(dir);
    throw error;
  }
}

/**
 * Removes `dir` and everything in it. A sample (or overlayfs' work folder) may leave folders without write
 * or search permission, which only matters when the harness is not root: those are opened up and retried.
 */
export async function removeSampleDir(dir: string): Promise<void> {
  try {
    await fs.rm(dir, { recursive: true, force: true });
  } catch {
    await openUp(dir);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function chownTree(dir: string, owner: number): Promise<void> {
  await fs.chown(dir, owner, owner);
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    await fs.lchown(path.join(entry.parentPath, entry.name), owner, owner);
  }
}

async function openUp(dir: string): Promise<void> {
  await fs.chmod(dir, 0o700).catch(() => undefined);
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await openUp(path.join(dir, entry.name));
}
