// Child of forkGate.test.ts: starts child processes (each one a fork) in a loop while a model large enough
// for OpenBLAS to run its GEMMs on worker threads generates, then trains, on the executor. Without the
// fork gate (csrc/core/fork_gate.h) a fork that lands inside a threaded GEMM hangs this process for ever,
// which the parent sees as a timeout. Prints one JSON line: {rows, steps, spawnsDuringGenerate, spawnsDuringTrain}.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { writeSafetensors, type SafetensorsTensor } from '../../lib/formats/index.js';
import { Model, TrainSession } from '../../lib/index.js';
import { batchOf, randomRows, seededRandom } from '../helpers/batches.js';

const run = promisify(execFile);

// Wide enough that every GEMM is above OpenBLAS's threading threshold (m·n·k > 262144).
const SHAPE = { hidden: 512, intermediate: 1536, layers: 2, heads: 8, vocab: 512, positions: 256 };

async function randomModelFolder(dir: string): Promise<string> {
  const { hidden: h, intermediate: m, layers, heads, vocab, positions } = SHAPE;
  const random = seededRandom(7);
  const tensor = (name: string, shape: number[], scale = 0.05): SafetensorsTensor => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * scale;
    return { name, dtype: 'f32', shape, data };
  };
  const ones = (name: string): SafetensorsTensor => ({ name, dtype: 'f32', shape: [h], data: new Float32Array(h).fill(1) });
  const tensors = [tensor('model.embed_tokens.weight', [vocab, h]), ones('model.norm.weight')];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    tensors.push(ones(`${p}.input_layernorm.weight`), ones(`${p}.post_attention_layernorm.weight`));
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) tensors.push(tensor(`${p}.self_attn.${proj}.weight`, [h, h]));
    tensors.push(tensor(`${p}.mlp.gate_proj.weight`, [m, h]), tensor(`${p}.mlp.up_proj.weight`, [m, h]), tensor(`${p}.mlp.down_proj.weight`, [h, m]));
  }
  await writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const config = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: vocab, hidden_size: h, intermediate_size: m,
    num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: heads, head_dim: h / heads,
    max_position_embeddings: positions, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
    hidden_act: 'silu', bos_token_id: 1, eos_token_id: 2, torch_dtype: 'float32',
  };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** Starts `true` over and over until `work` settles; returns how many finished meanwhile. */
async function spawnWhile(work: Promise<unknown>): Promise<number> {
  let settled = false;
  const done = work.finally(() => (settled = true));
  let spawns = 0;
  while (!settled) {
    await run('true');
    if (!settled) spawns++;
  }
  await done;
  return spawns;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'fsllm-fork-'));
try {
  const model = await Model.load(await randomModelFolder(dir));
  const prompts = randomRows(3, 16, 96, SHAPE.vocab);
  let rows = 0;
  const spawnsDuringGenerate = await spawnWhile(
    model.generate(prompts, { maxNewTokens: 24, stopAtEos: false, batchSize: 16 }).then((r) => (rows = r.length)),
  );
  await model.attachLora({ r: 8, alpha: 16, targets: ['q_proj', 'v_proj', 'gate_proj'], seed: 1 });
  const session = await TrainSession.create(model);
  let steps = 0;
  const batch = batchOf(randomRows(5, 8, 128, SHAPE.vocab));
  const training = (async () => {
    for (let i = 0; i < 3; i++, steps++) await session.trainStep([batch, batch], { lr: 1e-3 });
  })();
  const spawnsDuringTrain = await spawnWhile(training);
  process.stdout.write(`${JSON.stringify({ rows, steps, spawnsDuringGenerate, spawnsDuringTrain })}\n`);
  await session.dispose();
  await model.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}
