// The five prompt-learning variants of the golden fixtures (test/fixtures/golden/prompt-learning/ and ours-prompt/),
// by fixture folder name, as fsllm-native's options; PEFT's configs are in each folder's meta.json.
import type { PromptOptions } from '../../lib/index.js';

export const PROMPT_VARIANTS: Readonly<Record<string, PromptOptions>> = {
  prompt: { method: 'prompt', virtualTokens: 4 },
  'ptuning-mlp': { method: 'p-tuning', virtualTokens: 4, encoder: 'mlp', encoderHiddenSize: 32 },
  'ptuning-lstm': { method: 'p-tuning', virtualTokens: 4, encoder: 'lstm', encoderHiddenSize: 16, encoderLayers: 2 },
  prefix: { method: 'prefix', virtualTokens: 4 },
  'prefix-proj': { method: 'prefix', virtualTokens: 4, encoder: 'projection', encoderHiddenSize: 32 },
};
