/** Finds a command the way a shell would, on the harness's own PATH (never the sample's). */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** The absolute path of the first executable file `name` on `searchPath`, or undefined. */
export function findExecutable(name: string, searchPath: string = process.env['PATH'] ?? ''): string | undefined {
  if (name.includes('/')) return isExecutableFile(name) ? path.resolve(name) : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.resolve(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
