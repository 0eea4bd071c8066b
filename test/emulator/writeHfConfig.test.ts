import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError } from '../../lib/errors/index.js';
import { modelConfigFromHf, openCheckpoint, type ModelConfig } from '../../lib/formats/index.js';
import { hfConfigFromModel } from '../../lib/formats/index.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { expectError, FIXTURES } from './_support.js';

function roundTrip(config: ModelConfig, numLayers: number): void {
  const json = hfConfigFromModel({ ...config, numLayers });
  assert.equal(modelConfigFromHf(JSON.parse(JSON.stringify(json)), 'config.json'), { ...config, numLayers });
}

// ---

const writer = suite('hfConfigFromModel');

const sources: [string, () => string][] = [
  ['gpt2 HF folder', () => FIXTURES.gpt2],
  ['llama HF folder (GQA, linear rope scaling, untied)', () => FIXTURES.llama],
  ['qwen2 HF folder (q/k/v bias, tied, theta 1e6, sharded)', () => FIXTURES.qwen2],
  ['stories260K HF twin', () => FIXTURES.storiesHf],
  ['llama2.c stories260K.bin', () => STORIES_BIN],
  ['LLaMA GGUF', () => FIXTURES.gguf],
];

for (const [what, where] of sources) {
  writer(`should parse back to the same config but numLayers :: ${what}`, async () => {
    const { config } = await openCheckpoint(where());
    for (const n of [1, config.numLayers, 7]) roundTrip(config, n);
  });
}

writer('should name the Hugging Face architecture of the family', async () => {
  const arch = async (p: string) => (hfConfigFromModel((await openCheckpoint(p)).config)['architectures'] as string[])[0];
  assert.is(await arch(FIXTURES.gpt2), 'GPT2LMHeadModel');
  assert.is(await arch(FIXTURES.llama), 'LlamaForCausalLM');
  assert.is(await arch(FIXTURES.qwen2), 'Qwen2ForCausalLM');
  assert.is(await arch(STORIES_BIN), 'LlamaForCausalLM');
});

writer('should round-trip rope scalings, null token ids and GPT-2 variants', async () => {
  const { config: llama } = await openCheckpoint(FIXTURES.llama);
  roundTrip({ ...llama, ropeScaling: { type: 'dynamic', factor: 4 } }, 3);
  roundTrip({ ...llama, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } }, 3);
  roundTrip({ ...llama, bosTokenId: null, eosTokenId: null, ropeTheta: 500000, normEps: 1e-6, maxPositions: 131072 }, 3);
  const { config: gpt2 } = await openCheckpoint(FIXTURES.gpt2);
  roundTrip({ ...gpt2, activation: 'gelu', tieWordEmbeddings: false, intermediateSize: 100, bosTokenId: null }, 5);
});

writer('should refuse a config no Hugging Face class spells', async () => {
  const { config } = await openCheckpoint(FIXTURES.gpt2);
  await expectError(() => hfConfigFromModel({ ...config, activation: 'silu' }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /config\.activation/);
  await expectError(() => hfConfigFromModel({ ...config, family: 'opt' as 'gpt2' }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /config\.family/);
});

writer.run();
