/**
 * `npm run bench -- codecs [--model PATH] [--repeats N] [--data-root DIR]`: wire bytes of an adapter under
 * each codec (--data-root: bench/sharedData.ts).
 * 1. stories260K with LoRA r=8 on every projection, exported twice: as attached (A random, B = 0, what the
 *    server broadcasts in round 1) and "trained-like" (B filled with A's distribution, what clients upload).
 * 2. The LLaMA-7B LoRA shape (r=8 on q_proj/v_proj of 32 layers, 4096 hidden: 4,194,304 values, 16.78 MB
 *    fp32; FS-LLM Table 3 reports 21.40 MB for its pickled message) filled with N(0, 0.02).
 * Prints progress to stderr and one JSON line to stdout: per codec × compression, frame bytes, `bytesRatio`
 * (fp32 frame bytes / codec frame bytes), encode/decode p50 ms on the 7B shape and the max abs error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FedTrainer, type FedTrainerOptions } from '../../lib/index.js';
import { fileURLToPath } from 'node:url';

import type { CodecName, Compression } from '../../lib/comm/codecOptions.js';
import { decodeAdapterFrame, encodeAdapterWith } from '../../lib/comm/codecFrame.js';
import { Model } from '../../lib/native/Model.js';
import type { AdapterState } from '../../lib/native/adapterState.js';
import { seededRandom } from '../../lib/util/random.js';
import { dataRoot } from '../sharedData.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CODECS: CodecName[] = ['fp32', 'fp16', 'bf16', 'int8', 'int4'];
const COMPRESSIONS: Compression[] = ['none', 'deflate'];
/** FS-LLM Table 3: LoRA message of LLaMA-7B (r=8, q/v), fp32 pickled. */
const FSLLM_LLAMA7B_BYTES = 21.40e6;

function argValue(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

function gaussianInto(out: Float32Array, seed: number, sigma: number): void {
  const rand = seededRandom(seed);
  for (let i = 0; i < out.length; i++) out[i] = sigma * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function llama7bLora(): AdapterState {
  const manifest: AdapterState['manifest'] = [];
  let offset = 0;
  for (let l = 0; l < 32; l++) {
    for (const t of ['q_proj', 'v_proj']) {
      for (const [ab, shape] of [['A', [8, 4096]], ['B', [4096, 8]]] as const) {
        manifest.push({ name: `base_model.model.model.layers.${l}.self_attn.${t}.lora_${ab}.weight`, shape: [...shape], offset });
        offset += 8 * 4096;
      }
    }
  }
  const data = new Float32Array(offset);
  gaussianInto(data, 7, 0.02);
  return { data, manifest };
}

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

interface Row {
  bytes: number;
  bytesRatio: number;
  encodeMs?: number;
  decodeMs?: number;
  maxAbsError: number;
}

async function measure(state: AdapterState, repeats: number): Promise<Record<string, Row>> {
  const rows: Record<string, Row> = {};
  let fp32Bytes = NaN;
  for (const compression of COMPRESSIONS) {
    for (const codec of CODECS) {
      const enc: number[] = [];
      const dec: number[] = [];
      let frame: Uint8Array = new Uint8Array();
      let back: AdapterState | undefined;
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        frame = (await encodeAdapterWith(state, { codec, compression })).frame;
        const t1 = performance.now();
        back = await decodeAdapterFrame(frame);
        dec.push(performance.now() - t1);
        enc.push(t1 - t0);
      }
      let maxAbsError = 0;
      for (let i = 0; i < state.data.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(back!.data[i]! - state.data[i]!));
      if (codec === 'fp32' && compression === 'none') fp32Bytes = frame.length;
      rows[compression === 'none' ? codec : `${codec}+${compression}`] = {
        bytes: frame.length,
        bytesRatio: Number((fp32Bytes / frame.length).toFixed(3)),
        ...(repeats > 1 ? { encodeMs: Number(p50(enc.slice(1)).toFixed(2)), decodeMs: Number(p50(dec.slice(1)).toFixed(2)) } : {}),
        maxAbsError: Number(maxAbsError.toPrecision(3)),
      };
    }
  }
  return rows;
}

export async function run(argv: string[]): Promise<void> {
  const modelPath = argValue(argv, '--model') ?? path.join(repo, 'assets/stories260K/stories260K.bin');
  const repeats = Math.max(2, Number(argValue(argv, '--repeats') ?? 5));

  const model = await Model.load(modelPath);
  let attached: AdapterState;
  try {
    await model.attachLora({ r: 8, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], seed: 1 });
    attached = await model.exportAdapter();
  } finally {
    await model.dispose();
  }
  // "Trained-like": every lora_B given the spread of the lora_A values (a trained B is dense, not zero).
  const trained: AdapterState = { data: attached.data.slice(), manifest: attached.manifest };
  let sum2 = 0;
  let count = 0;
  for (const e of attached.manifest) {
    if (!e.name.includes('lora_A')) continue;
    const n = e.shape.reduce((a, b) => a * b, 1);
    for (let i = e.offset; i < e.offset + n; i++) sum2 += attached.data[i]! ** 2;
    count += n;
  }
  for (const [k, e] of attached.manifest.entries()) {
    if (!e.name.includes('lora_B')) continue;
    gaussianInto(trained.data.subarray(e.offset, e.offset + e.shape.reduce((a, b) => a * b, 1)), 100 + k, Math.sqrt(sum2 / count));
  }
  process.stderr.write(`stories260K LoRA: ${attached.data.length} values in ${attached.manifest.length} tensors\n`);
  const storiesAttached = await measure(attached, 1);
  const storiesTrained = await measure(trained, 1);

  const big = llama7bLora();
  process.stderr.write(`LLaMA-7B LoRA shape: ${big.data.length} values\n`);
  const llama = await measure(big, repeats);
  const best = Object.entries(llama).sort((a, b) => a[1].bytes - b[1].bytes)[0]!;

  console.log(JSON.stringify({
    name: 'codecs',
    groupSize: 64,
    scaleDtype: 'fp16',
    stories260K: { values: attached.data.length, attached: storiesAttached, trainedLike: storiesTrained },
    llama7bLora: {
      values: big.data.length,
      codecs: llama,
      bestCodec: best[0],
      llama7bLoraBytes: best[1].bytes,
      ratioVsFp32: best[1].bytesRatio,
      ratioVsFsllmTable3: Number((FSLLM_LLAMA7B_BYTES / best[1].bytes).toFixed(3)),
    },
    // The same federated run under each codec: bytes measured on the wire, final held-out loss vs fp32.
    codecs: await federatedRuns(argValue(argv, '--data-root')),
    llama7bLoraBytes: best[1].bytes,
  }));
}

/** Wire bytes of the training rounds and the final held-out loss of one federated run per codec. */
async function federatedRuns(dataRootFlag: string | undefined): Promise<Record<string, { bytesRatio: number; lossDelta: number; bytesPerClientPerRound: number; bytes: number; loss: number }>> {
  const root = dataRoot(dataRootFlag, 'gsm8k/');
  const out = mkdtempSync(path.join(os.tmpdir(), 'fsllm-codecs-'));
  const codecs: Record<string, FedTrainerOptions['comm']> = {
    fp32: { codec: 'fp32' },
    fp16: { codec: 'fp16' },
    bf16: { codec: 'bf16' },
    int8: { codec: 'int8' },
    int4: { codec: 'int4' },
    'int4+ef': { codec: 'int4', errorFeedback: true },
    'int4+ef+deflate': { codec: 'int4', errorFeedback: true, compression: 'deflate' },
  };
  const measured: Record<string, { bytes: number; loss: number }> = {};
  try {
    for (const [name, comm] of Object.entries(codecs)) {
      const result = await new FedTrainer({
        model: { path: path.join(repo, 'assets/stories260K/stories260K.bin') },
        data: { type: 'gsm8k', root, subsample: 0.05, splits: [0.8, 0.1, 0.1], tokLen: 320 },
        federate: { clientNum: 3, totalRounds: 8, seed: 7 },
        adapter: { r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
        train: { localSteps: 6, batchSize: 4, optimizer: { type: 'adamw', lr: 3e-3, weightDecay: 0 } },
        eval: { every: 0, splits: ['test'] },
        output: { dir: path.join(out, name), checkpointEvery: 0, report: false },
        comm,
      }).run();
      // Rounds before the last carry training traffic only (the last one also carries the evaluation).
      const bytes = result.history.reduce((n, r) => n + (r.kind === 'round' && r.round < 8 ? r.bytesUp + r.bytesDown : 0), 0);
      const loss = result.final.find((e) => e.target === 'global' && e.split === 'test')!.value;
      measured[name] = { bytes, loss };
      process.stderr.write(`${name}: ${bytes} bytes on the wire over 7 rounds, final test loss ${loss.toFixed(4)}\n`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const base = measured.fp32!;
  return Object.fromEntries(Object.entries(measured).map(([name, m]) => [name, {
    bytesRatio: Number((base.bytes / m.bytes).toFixed(3)),
    lossDelta: Number(((m.loss - base.loss) / base.loss).toFixed(5)),
    // 7 training rounds, 3 clients, both directions.
    bytesPerClientPerRound: Math.round(m.bytes / (7 * 3)),
    bytes: m.bytes,
    loss: m.loss,
  }]));
}
