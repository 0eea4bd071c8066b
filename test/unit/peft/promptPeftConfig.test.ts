// Prompt-learning adapter configs both ways against the files PEFT 0.21 wrote for the golden fixtures
// (test/fixtures/golden/prompt-learning/*/*/adapter/adapter_config.json): what PEFT wrote reads back as the
// options that made it, what we write carries PEFT's model-shape fields, and a config made for another model
// is refused naming the field.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { ModelConfig } from '../../../lib/formats/types.js';
import { normalizePrompt, type PromptOptions } from '../../../lib/native/prompt.js';
import { isPeftPromptConfig, peftPromptConfig, promptFromPeftConfig } from '../../../lib/native/promptPeftConfig.js';
import { fails } from '../../helpers/errors.js';
import { FIXTURES } from '../../helpers/paths.js';

/** The golden tiny models' shapes (test/fixtures/gen/make_golden.py). */
const MODELS: Record<string, Pick<ModelConfig, 'hiddenSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim'>> = {
  llama: { hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16 },
  gpt2: { hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 4, headDim: 16 },
};
const CASES: Record<string, PromptOptions> = {
  prompt: { method: 'prompt', virtualTokens: 4 },
  'ptuning-mlp': { method: 'p-tuning', virtualTokens: 4, encoder: 'mlp', encoderHiddenSize: 32, encoderLayers: 2, encoderDropout: 0 },
  'ptuning-lstm': { method: 'p-tuning', virtualTokens: 4, encoder: 'lstm', encoderHiddenSize: 16, encoderLayers: 2, encoderDropout: 0 },
  prefix: { method: 'prefix', virtualTokens: 4, encoder: 'none', encoderHiddenSize: 0 },
  'prefix-proj': { method: 'prefix', virtualTokens: 4, encoder: 'projection', encoderHiddenSize: 32 },
};

const model = (name: string) => MODELS[name] as ModelConfig;
async function peftConfig(modelName: string, caseName: string): Promise<Record<string, unknown>> {
  const file = path.join(FIXTURES, 'golden', 'prompt-learning', modelName, caseName, 'adapter', 'adapter_config.json');
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

const config = suite('PEFT prompt-learning adapter_config.json');

for (const m of Object.keys(MODELS)) {
  for (const [c, options] of Object.entries(CASES)) {
    config(`should read PEFT's config as the options that made it :: ${m}/${c}`, async () => {
      const cfg = await peftConfig(m, c);
      assert.ok(isPeftPromptConfig(cfg));
      const read = promptFromPeftConfig(cfg, 'adapter_config.json', model(m));
      // PEFT writes its default hidden size (the token width) when none was given: compare as normalised.
      const expected = normalizePrompt(options);
      const got = normalizePrompt(read);
      const shape = MODELS[m]!;
      const width = (o: typeof got) => (o.method === 'prefix' ? shape.numKvHeads * shape.headDim : shape.hiddenSize);
      const hidden = (o: typeof got) => (o.encoder === 'none' ? 0 : o.encoderHiddenSize || width(o));
      assert.equal({ ...got, encoderHiddenSize: hidden(got) }, { ...expected, encoderHiddenSize: hidden(expected) });
    });

    config(`should write the fields PEFT wrote :: ${m}/${c}`, async () => {
      const peft = await peftConfig(m, c);
      const ours = peftPromptConfig(normalizePrompt(options), model(m), null);
      for (const [key, value] of Object.entries(ours)) {
        if (key in peft && key !== 'encoder_hidden_size') assert.equal(value, peft[key], `${key}`);
      }
      if (options.encoder !== 'none' && options.encoderHiddenSize) assert.is(ours.encoder_hidden_size, peft.encoder_hidden_size);
      // Every field PEFT needs to rebuild the adapter is there.
      for (const key of ['peft_type', 'num_virtual_tokens', 'token_dim', 'num_layers', 'num_attention_heads']) assert.ok(key in ours, key);
    });
  }
}

config('should refuse a config made for another model, naming the field', async () => {
  const prefix = await peftConfig('llama', 'prefix');
  await fails(() => promptFromPeftConfig(prefix, 'a.json', model('gpt2')), 'ERR_FSLLM_INVALID_ARG', /a\.json token_dim/, /kv heads × head dim/);
  await fails(() => promptFromPeftConfig({ ...prefix, num_layers: 3 }, 'a.json', model('llama')), 'ERR_FSLLM_INVALID_ARG', /num_layers/);
  await fails(() => promptFromPeftConfig({ ...prefix, peft_type: 'IA3' }, 'a.json', model('llama')), 'ERR_FSLLM_INVALID_ARG', /peft_type/);
  const ptuning = await peftConfig('llama', 'ptuning-mlp');
  await fails(() => promptFromPeftConfig({ ...ptuning, encoder_reparameterization_type: 'GRU' }, 'a.json', model('llama')), 'ERR_FSLLM_INVALID_ARG', /encoder_reparameterization_type/);
  await fails(() => promptFromPeftConfig({ ...ptuning, task_type: 'SEQ_2_SEQ_LM' }, 'a.json', model('llama')), 'ERR_FSLLM_INVALID_ARG', /task_type/);
});

config.run();
