import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensors } from '../../lib/formats/index.js';
import { binding } from '../../lib/index.js';
import { REPO as root } from '../helpers/paths.js';
import { fsllm, fsllmFails } from './_cli.js';

async function goldenGreedy(): Promise<number[]> {
  const { tensors } = await readSafetensors(path.join(root, 'test/fixtures/golden/stories260k/expected.safetensors'));
  const t = tensors.find((x) => x.name === 'greedy_ids')!;
  return Array.from(t.data as BigInt64Array, Number);
}

// ---

const generate = suite('fsllm generate');

generate('should print the HF greedy continuation as JSON :: embedded stories260K', async () => {
  const { stdout } = await fsllm(['generate', '--prompt', '', '--max-new-tokens', '48', '--json']);
  const out = JSON.parse(stdout) as { promptIds: number[]; ids: number[]; text: string };
  assert.equal(out.promptIds, [1]);
  assert.equal(out.ids, await goldenGreedy());
  assert.match(out.text, /^Once upon a time, there was a little girl named Lily/);
});

generate('should tokenize the prompt like llama2.c :: BOS then pieces', async () => {
  const { stdout } = await fsllm(['generate', '--prompt', 'Once upon a time', '--max-new-tokens', '5', '--json']);
  const out = JSON.parse(stdout) as { promptIds: number[]; ids: number[] };
  assert.is(out.promptIds[0], 1);
  assert.ok(out.promptIds.length > 1 && out.promptIds.length < 10);
  assert.is(out.ids.length, 5);
});

generate('should repeat a sampled run with the same seed and differ with another', async () => {
  const args = ['generate', '--prompt', 'The dog', '--max-new-tokens', '24', '--temperature', '1', '--top-p', '0.9', '--json'];
  const a = JSON.parse((await fsllm([...args, '--seed', '7'])).stdout).ids as number[];
  const b = JSON.parse((await fsllm([...args, '--seed', '7'])).stdout).ids as number[];
  const c = JSON.parse((await fsllm([...args, '--seed', '8'])).stdout).ids as number[];
  assert.equal(a, b);
  assert.not.equal(a, c);
});


generate('should refuse a --device that names no device, naming the flag', async () => {
  assert.match(await fsllmFails(['generate', '--prompt', 'x', '--device', 'gpu']), /ERR_FSLLM_INVALID_ARG.*Expected 'cpu', 'cuda' or 'cuda:N' for --device/);
});

if (binding().runtimeInfo().cudaAvailable) {
  generate('should give the CPU greedy ids with --device cuda', async () => {
    const { stdout } = await fsllm(['generate', '--prompt', '', '--max-new-tokens', '48', '--json', '--device', 'cuda']);
    assert.equal((JSON.parse(stdout) as { ids: number[] }).ids, await goldenGreedy());
  });
} else {
  generate('should exit 1 with ERR_FSLLM_UNSUPPORTED for --device cuda on a libtorch without CUDA', async () => {
    assert.match(await fsllmFails(['generate', '--prompt', 'x', '--device', 'cuda']), /ERR_FSLLM_UNSUPPORTED.*no CUDA support/);
  });
}

generate('should exit 1 with a coded message for a missing model', async () => {
  try {
    await fsllm(['generate', '--model', '/nonexistent/model.bin', '--prompt', 'x']);
    assert.unreachable('should have failed');
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    assert.is(e.code, 1);
    assert.match(e.stderr ?? '', /ERR_FSLLM_/);
  }
});

generate('should exit 1 naming the option for a bad number', async () => {
  try {
    await fsllm(['generate', '--prompt', 'x', '--max-new-tokens', 'many']);
    assert.unreachable('should have failed');
  } catch (err) {
    assert.match((err as { stderr?: string }).stderr ?? '', /--max-new-tokens/);
  }
});

generate.run();
