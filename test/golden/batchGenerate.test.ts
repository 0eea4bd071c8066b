// Batched greedy generation against Hugging Face: `model.generate` on a left-padded batch of stories260K
// prompts of different lengths (test/fixtures/gen/make_batch_generate.py, which also checks that HF's batch
// equals its one-prompt rows). Our rows must equal HF's ids, from the llama2.c .bin and from the HF folder.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Model } from '../../lib/index.js';
import { GOLDEN_DIR } from '../helpers/golden.js';
import { STORIES_BIN } from '../helpers/paths.js';

interface Fixture {
  max_new_tokens: number;
  prompts: number[][];
  ids: number[][];
}

const DIR = path.join(GOLDEN_DIR, 'stories260k');
const SOURCES = [
  ['llama2.c .bin', STORIES_BIN],
  ['hf folder', path.join(DIR, 'hf')],
] as const;

// ---

const batch = suite<{ fixture: Fixture }>('Model.generate (prompt list) vs HF generate, stories260K');

batch.before(async (ctx) => {
  ctx.fixture = JSON.parse(await readFile(path.join(DIR, 'batch_greedy.json'), 'utf8')) as Fixture;
});

for (const [label, source] of SOURCES) {
  for (const batchSize of [5, 2]) {
    batch(`greedy rows should equal HF's left-padded batch :: ${label}, batchSize ${batchSize}`, async ({ fixture }) => {
      const model = await Model.load(source);
      try {
        const rows = await model.generate(fixture.prompts, { maxNewTokens: fixture.max_new_tokens, stopAtEos: false, batchSize });
        assert.equal(rows.map((r) => r.ids), fixture.ids);
      } finally {
        await model.dispose();
      }
    });
  }
}

batch.run();
