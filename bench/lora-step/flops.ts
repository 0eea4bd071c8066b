import type { ModelConfig, RawBatch } from '../../lib/index.js';

/**
 * Useful floating-point operations of one LoRA training step, counted from the shapes (multiply-adds x2):
 * forward matmuls of every processed token, the same again for input gradients in the backward pass
 * (frozen weights need no weight gradients), causal attention scores and mixing (forward x1, backward x2), and
 * the LM head forward and backward only for rows that have a target (the fused loss skips the others).
 * LoRA's own matmuls are < 1% at r 8 and left out.
 */
export function stepFlops(c: ModelConfig, batch: RawBatch, targetRows: number): number {
  const D = c.hiddenSize;
  const kv = c.numKvHeads * c.headDim;
  const perTokenLinear = c.family === 'gpt2'
    ? 2 * (D * 3 * D + D * D + 2 * D * c.intermediateSize)
    : 2 * (D * D + 2 * D * kv + D * D + 3 * D * c.intermediateSize);
  const processed = batch.batch * batch.seq;
  const linear = 2 * perTokenLinear * c.numLayers * processed;
  // Scores and mixing over the causal half only (T(T+1)/2 query-key pairs per head): the useful work,
  // whatever share of the full T x T a kernel actually computes.
  const pairs = (batch.seq * (batch.seq + 1)) / 2;
  const attention = 3 * 2 * 2 * batch.batch * pairs * c.numHeads * c.headDim * c.numLayers;
  const head = 2 * 2 * D * c.vocabSize * targetRows;
  return linear + attention + head;
}
