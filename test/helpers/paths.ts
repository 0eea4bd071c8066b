// Where the tests find the stories260K checkpoint and the repository's own files.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The llama2.c stories260K checkpoint (tok512.bin sits beside it): the copy shipped in `assets/`
 * when present, else the shared models folder beside the repository, else /work/shared.
 */
export function storiesModelPath(): string {
  const candidates = [
    path.join(REPO, 'assets/stories260K/stories260K.bin'),
    path.join(REPO, '../shared/models/stories260K/stories260K.bin'),
    '/work/shared/models/stories260K/stories260K.bin',
  ];
  return candidates.find((file) => existsSync(file)) ?? candidates[0]!;
}
