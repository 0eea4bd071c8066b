/**
 * The `dolly` workload's batches for bench/lora-step/ourStep.ts: databricks-dolly-15k shuffled by `seed`, each
 * record an Alpaca-prompted example cut to `seq` tokens, `batch` examples packed into rows of `seq` tokens per
 * step (as this system batches: no padding compute). Optionally the first `heldOut` usable examples are set
 * aside, packed the same way, for a held-out loss: training never sees them, and the same seed gives the same
 * split and batches whatever the model's base dtype.
 */
import { pack, readInstructions, tokenizeInstruction, type RawBatch, type Tokenizer, type TokenizedExample } from '../../lib/index.js';
import { shuffled } from '../../lib/util/random.js';

export interface DollyBatchesOptions {
  file: string;
  seed: number;
  /** Examples per batch, tokens per row. */
  batch: number;
  seq: number;
  /** Training batches to build. */
  steps: number;
  /** Examples to hold out (default 0). */
  heldOut?: number;
}

export interface DollyBatches {
  train: RawBatch[];
  heldOut: RawBatch[];
  /** Records left with no target token after truncation, passed over. */
  skipped: number;
}

function packBy(examples: readonly TokenizedExample[], batch: number, seq: number): RawBatch[] {
  const out: RawBatch[] = [];
  for (let i = 0; i < examples.length; i += batch) out.push(pack(examples.slice(i, i + batch), seq, 0));
  return out;
}

/** Builds the batches; see the file comment. */
export async function dollyBatches(tokenizer: Tokenizer, options: DollyBatchesOptions): Promise<DollyBatches> {
  const { batch, seq, steps } = options;
  const records = shuffled(await readInstructions(options.file, { input: 'context', output: 'response' }), options.seed);
  let skipped = 0;
  let next = 0;
  // The next usable example; after the held-out ones it cycles over the records after them only.
  const take = (first: number): TokenizedExample => {
    for (;;) {
      const record = records[first + ((next++ - first) % (records.length - first))]!;
      const example = tokenizeInstruction(tokenizer, record, seq);
      if (example) return example;
      skipped += 1;
    }
  };
  const heldOut = Array.from({ length: options.heldOut ?? 0 }, () => take(0));
  const first = next;
  const train = Array.from({ length: steps * batch }, () => take(first));
  return { train: packBy(train, batch, seq), heldOut: packBy(heldOut, batch, seq), skipped };
}
