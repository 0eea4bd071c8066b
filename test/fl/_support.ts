// Shared set-up of the federated tests (no suites here): the embedded model and data sample.
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { readInstructions, tokenizeInstruction, type TokenizedExample } from '../../lib/data/index.js';
import { Model } from '../../lib/native/Model.js';
import { REPO, storiesModelPath } from '../helpers/paths.js';

export const DOLLY_SAMPLE = path.join(REPO, 'assets/data/dolly-sample.jsonl');
export const TOK_LEN = 256;

/** stories260K with its tokenizer. */
export async function loadStories(): Promise<Model> {
  return Model.load(storiesModelPath());
}

/** The embedded Dolly sample as tokenized examples (examples with no target left are dropped). */
export async function dollyExamples(model: Model): Promise<TokenizedExample[]> {
  const records = await readInstructions(DOLLY_SAMPLE, { input: 'context', output: 'response' });
  return records.map((r) => tokenizeInstruction(model.tokenizer!, r, TOK_LEN)).filter((e): e is TokenizedExample => e !== null);
}

/** shared/datasets beside the repository (locally /work/shared; in CI beside the fresh clone). */
export const DATASETS = [path.join(REPO, '../shared/datasets'), '/work/shared/datasets'].find((dir) => existsSync(dir)) ?? '/work/shared/datasets';

/** A fresh temporary folder. */
export function tempDir(prefix = 'fsllm-fl-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
