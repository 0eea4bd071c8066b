// Shared helpers of the lib/data tests (no suites here).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as assert from 'uvu/assert';

export { DATASETS } from '../../helpers/paths.js';

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'fsllm-data-'));
}

/** Shannon entropy (nats) of the label distribution of `indices`. */
export function labelEntropy(labels: readonly string[], indices: readonly number[]): number {
  const counts = new Map<string, number>();
  for (const i of indices) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / indices.length) * Math.log(c / indices.length);
  return h;
}

/** Asserts that `parts` are disjoint and together hold exactly 0..n-1. */
export function assertPartition(parts: readonly number[][], n: number): void {
  const all = parts.flat().sort((a, b) => a - b);
  assert.is(all.length, n, 'every index exactly once');
  all.forEach((v, i) => assert.is(v, i));
}
