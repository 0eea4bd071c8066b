// Shared set-up of the federated tests (no suites here): the embedded model and data sample.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { readInstructions, tokenizeInstruction, type TokenizedExample } from '../../lib/data/index.js';
import { Model } from '../../lib/native/Model.js';
import { SAMPLE_DATA, STORIES_BIN } from '../helpers/paths.js';

export const DOLLY_SAMPLE = path.join(SAMPLE_DATA, 'dolly-sample.jsonl');
export const TOK_LEN = 256;

/** stories260K with its tokenizer. */
export async function loadStories(): Promise<Model> {
  return Model.load(STORIES_BIN);
}

/** The embedded Dolly sample as tokenized examples (examples with no target left are dropped). */
export async function dollyExamples(model: Model): Promise<TokenizedExample[]> {
  const records = await readInstructions(DOLLY_SAMPLE, { input: 'context', output: 'response' });
  return records.map((r) => tokenizeInstruction(model.tokenizer!, r, TOK_LEN)).filter((e): e is TokenizedExample => e !== null);
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'fsllm-fl-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
