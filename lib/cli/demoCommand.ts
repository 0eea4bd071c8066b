import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pack, readInstructions, tokenizeInstruction, type TokenizedExample } from '../data/index.js';
import { invalidArg } from '../errors/index.js';
import { Model } from '../native/Model.js';
import { saveAdapter } from '../native/peftAdapter.js';
import { TrainSession } from '../native/TrainSession.js';
import { atomicWrite } from '../util/atomicWrite.js';
import { shuffled } from '../util/random.js';
import { alpacaPrompt } from '../data/alpacaTemplate.js';
import { embedded } from './assets.js';
import { Progress } from './progress.js';

export const DEMO_USAGE = `fsllm demo [--out DIR] [--steps N] [--batch B] [--lr LR] [--seed S] [--tok-len T]
  LoRA fine-tuning of the embedded stories260K model on the embedded Dolly sample (one client; the
  federated demo builds on this). Writes DIR (default runs/demo): metrics.jsonl and adapter/ (PEFT).`;

// Examples are packed into rows of tokLen (segment ids keep them apart), so no compute goes to padding.
async function heldOutLoss(model: Model, examples: TokenizedExample[], tokLen: number, padId: number): Promise<number> {
  const batches = [];
  for (let i = 0; i < examples.length; i += 8) batches.push(pack(examples.slice(i, i + 8), tokLen, padId));
  const { lossSum, tokens } = await model.evalLoss(batches);
  return lossSum / tokens;
}

/** `fsllm demo`: a real LoRA run on the embedded model and data, with a progress display. */
export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: 'runs/demo' },
      steps: { type: 'string', default: '40' },
      batch: { type: 'string', default: '8' },
      lr: { type: 'string', default: '0.002' },
      seed: { type: 'string', default: '0' },
      'tok-len': { type: 'string', default: '256' },
    },
    strict: true,
  });
  const steps = Number(values.steps);
  const batchSize = Number(values.batch);
  const lr = Number(values.lr);
  const seed = Number(values.seed);
  const tokLen = Number(values['tok-len']);
  if (!Number.isInteger(tokLen) || tokLen < 8) throw invalidArg('--tok-len', 'an integer of at least 8', values['tok-len']);
  if (!Number.isInteger(steps) || steps < 1) throw invalidArg('--steps', 'a positive integer', values.steps);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArg('--batch', 'a positive integer', values.batch);
  if (!(lr > 0)) throw invalidArg('--lr', 'a positive number', values.lr);

  const model = await Model.load(embedded.model);
  const tokenizer = model.tokenizer!;
  const records = shuffled(await readInstructions(embedded.dollySample, { input: 'context', output: 'response' }), seed);
  const tokenized = records.map((r) => tokenizeInstruction(tokenizer, r, tokLen));
  const examples = tokenized.filter((e): e is TokenizedExample => e !== null);
  const heldOut = examples.slice(0, 32);
  const train = examples.slice(32);
  const padId = 0;
  console.log(`fsllm demo: stories260K (${model.numParameters.toLocaleString()} parameters), ${train.length} Dolly examples to train, ${heldOut.length} held out` +
    (examples.length < records.length ? `, ${records.length - examples.length} dropped (no target token left after truncation)` : ''));

  const { modules, trainableParameters } = await model.attachLora({ r: 8, alpha: 16, dropout: 0.05, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], seed });
  console.log(`LoRA r=8 on ${modules.length} projections: ${trainableParameters.toLocaleString()} trainable parameters`);
  const session = await TrainSession.create(model, { optimizer: { type: 'adamw', weightDecay: 0 } });
  const sample = records[0]!;
  const before = await heldOutLoss(model, heldOut, tokLen, padId);
  const lines: string[] = [];
  const progress = new Progress('train', steps);
  for (let step = 1; step <= steps; step++) {
    const start = ((step - 1) * batchSize) % train.length;
    const picked = Array.from({ length: batchSize }, (_, i) => train[(start + i) % train.length]!);
    const m = await session.trainStep(pack(picked, tokLen, padId), { lr, maxGradNorm: 1 });
    lines.push(JSON.stringify({ step, loss: m.loss, gradNorm: m.gradNorm, tokens: m.targetTokens, ms: m.ms }));
    progress.update(step, `loss ${m.loss.toFixed(3)}`);
  }
  const after = await heldOutLoss(model, heldOut, tokLen, padId);
  console.log(`held-out loss: ${before.toFixed(3)} -> ${after.toFixed(3)} (${(((before - after) / before) * 100).toFixed(1)}% lower)`);
  const reply = await model.generate(alpacaPrompt(sample), { maxNewTokens: 40 });
  console.log(`sample response to "${sample.instruction}":\n  ${reply.text.trim()}`);

  const out = path.resolve(values.out);
  await mkdir(out, { recursive: true });
  await atomicWrite(path.join(out, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  await saveAdapter(model, path.join(out, 'adapter'));
  console.log(`wrote ${path.join(out, 'metrics.jsonl')} and ${path.join(out, 'adapter')}/ (PEFT format)`);
  await session.dispose();
  await model.dispose();
}
