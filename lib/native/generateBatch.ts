/**
 * One native batch of `Model.generate`: the prompts decoded together in one call, each row's tokens streamed
 * into its {@link RowText}, stop strings turned into that row's native stop flag, rows reported as they end.
 */
import type { RawFinishReason, RawGeneratedRow, RawGenerateStep, RawModel } from './binding.js';
import { callNative } from './callNative.js';
import type { CheckedGenerateOptions, FinishReason, GenerateRow } from './generateOptions.js';
import { RowText } from './RowText.js';

/** @internal A prompt of the caller's list: its index there, its token ids, and the key that seeds its rows. */
export interface IndexedPrompt {
  index: number;
  ids: number[];
  seedKey: number;
}

/** @internal What a batch reports to the whole call. */
export interface BatchListener {
  /** A RowText for sample `sample` of prompt `index`. */
  rowText(index: number, sample: number): RowText;
  /** A row ended (called once per row, in the order rows end). */
  rowDone(row: GenerateRow): void;
}

function reasonOf(raw: RawFinishReason): FinishReason {
  // 'stopped' only follows a stop flag TS set on seeing a stop string.
  return raw === 'stopped' ? 'stop' : raw;
}

/** @internal Rows of a batch that never ran (the signal fired first): no ids, finishReason 'aborted'. */
export function abortedRows(prompts: readonly IndexedPrompt[], samples: number): GenerateRow[] {
  return prompts.flatMap((p) =>
    Array.from({ length: samples }, (_, sample): GenerateRow => ({ index: p.index, sample, promptIds: p.ids, ids: [], text: '', finishReason: 'aborted' })),
  );
}

/**
 * @internal Decodes `prompts` in one native call (call with the model's lock held). Resolves with the rows in
 * prompt order, sample order within a prompt.
 */
export async function generateBatch(native: RawModel, prompts: readonly IndexedPrompt[], o: CheckedGenerateOptions, listener: BatchListener): Promise<GenerateRow[]> {
  const n = o.numReturnSequences;
  const texts = prompts.flatMap((p) => Array.from({ length: n }, (_, s) => listener.rowText(p.index, s)));
  const done: (GenerateRow | undefined)[] = new Array(texts.length);
  let settled = false;
  const finish = (r: number, reason: FinishReason) => {
    if (done[r]) return;
    const text = texts[r]!;
    text.close();
    const prompt = prompts[Math.floor(r / n)]!;
    const row: GenerateRow = { index: prompt.index, sample: r % n, promptIds: prompt.ids, ids: text.ids, text: text.text, finishReason: text.stopped ? 'stop' : reason };
    done[r] = row;
    listener.rowDone(row);
  };
  const take = (r: number, token: number) => {
    if (texts[r]!.push(token)) {
      native.stopGeneration(r);
      finish(r, 'stop');
    }
  };
  const onStep = (step: RawGenerateStep) => {
    // Steps can be delivered after the promise settled; by then the result has been read instead.
    if (settled) return;
    for (let i = 0; i < step.rows.length; i++) take(step.rows[i]!, step.tokens[i]!);
    for (const f of step.finished) finish(f.row, reasonOf(f.reason));
  };
  const raw = {
    maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed, eosIds: o.eosIds,
    numReturnSequences: n, seedKeys: prompts.map((p) => p.seedKey), precision: o.precision,
  };
  let rows: RawGeneratedRow[];
  try {
    rows = await callNative(() => native.generate(prompts.map((p) => Int32Array.from(p.ids)), raw, onStep));
  } finally {
    settled = true;
  }
  // Rows whose end the stream had not yet delivered: catch up from the result, which holds every token.
  rows.forEach((row, r) => {
    if (done[r]) return;
    for (let i = texts[r]!.count; i < row.ids.length && !texts[r]!.closed; i++) take(r, row.ids[i]!);
    finish(r, reasonOf(row.reason));
  });
  return done as GenerateRow[];
}
