import path from 'node:path';
import { packageRoot } from '../native/packageRoot.js';

/** Paths of the defaults embedded in the package (assets/README.md lists them with licences). */
export const embedded = {
  model: path.join(packageRoot, 'assets', 'stories260K', 'stories260K.bin'),
  dollySample: path.join(packageRoot, 'assets', 'data', 'dolly-sample.jsonl'),
  gsm8kTrainSample: path.join(packageRoot, 'assets', 'data', 'gsm8k-train-sample.jsonl'),
  gsm8kTestSample: path.join(packageRoot, 'assets', 'data', 'gsm8k-test-sample.jsonl'),
};
