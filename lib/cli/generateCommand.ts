import { parseArgs } from 'node:util';
import { invalidArg } from '../errors/index.js';
import { loadAdapter } from '../native/peftAdapter.js';
import { checkDevice } from '../native/device.js';
import { Model } from '../native/Model.js';
import { embedded } from './assets.js';

export const GENERATE_USAGE = `fsllm generate [--model PATH] [--adapter DIR] --prompt TEXT [--max-new-tokens N]
               [--temperature T] [--top-k K] [--top-p P] [--seed S] [--stop TEXT ...] [--device D] [--json]
  --model    HF folder, GGUF or llama2.c .bin (default: the embedded stories260K)
  --adapter  a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors)
  --device   cpu (default), cuda or cuda:N (needs a CUDA libtorch build)
  --json     print {"promptIds": [...], "ids": [...], "text": "..."} instead of streaming text`;

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw invalidArg(`--${name}`, 'a number', value);
  return n;
}

/** `fsllm generate`: greedy or sampled continuation of a prompt, streamed or as JSON. */
export async function generateCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      adapter: { type: 'string' },
      prompt: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      stop: { type: 'string', multiple: true },
      device: { type: 'string', default: 'cpu' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.prompt === undefined) throw invalidArg('--prompt', 'the text to continue', undefined);
  const model = await Model.load(values.model ?? embedded.model, { device: checkDevice(values.device, '--device') });
  try {
    if (values.adapter) await loadAdapter(model, values.adapter);
    const stream = !values.json;
    if (stream) process.stdout.write(values.prompt);
    const result = await model.generate(values.prompt, {
      maxNewTokens: number('max-new-tokens', values['max-new-tokens'], 64),
      temperature: number('temperature', values.temperature, 0),
      topK: number('top-k', values['top-k'], 0),
      topP: number('top-p', values['top-p'], 1),
      seed: number('seed', values.seed, 0),
      stop: values.stop ?? [],
      ...(stream ? { onText: (t: string) => process.stdout.write(t) } : {}),
    });
    if (stream) process.stdout.write('\n');
    else process.stdout.write(`${JSON.stringify({ promptIds: result.promptIds, ids: result.ids, text: result.text })}\n`);
  } finally {
    await model.dispose();
  }
}
