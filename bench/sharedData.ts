/**
 * Where the benches find data sets: the `shared/` folder beside the repository (`<repo>/../shared/datasets`)
 * unless a flag names another folder, so no bench depends on one machine's paths. bench/python/hf_lora_step.py
 * derives the same folder from its own location.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `<repo>/../shared/datasets`. */
export const sharedDatasets = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'datasets');

/**
 * The folder `--data-root` named (`flag`), else {@link sharedDatasets}.
 * @param holds what the bench reads there, for the error (e.g. `gsm8k/`).
 * @throws Error naming the folder when it does not exist.
 */
export function dataRoot(flag: string | undefined, holds: string): string {
  const root = flag ?? sharedDatasets;
  if (!existsSync(root)) throw new Error(`no data sets at ${root}: pass --data-root DIR (a folder laid out like shared/datasets, with ${holds})`);
  return root;
}
