/**
 * FedAvg's weighted mean as a plain JS loop, the baseline the native kernels are measured against: the same
 * fp64 running sum and fp32 result as lib/aggregate/fedAvg.ts, on the JS thread.
 */
export function jsFedAvg(updates: Float32Array[], weights: number[]): Float32Array {
  const n = updates[0]?.length ?? 0;
  const sum = new Float64Array(n);
  let total = 0;
  updates.forEach((u, c) => {
    const w = weights[c]!;
    for (let i = 0; i < n; i++) sum[i]! += w * u[i]!;
    total += w;
  });
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sum[i]! / total;
  return out;
}
