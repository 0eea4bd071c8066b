/**
 * Which transformer blocks form the adapter (trained by clients) and which the emulator (a uniform
 * layer drop of the rest, standing in for the blocks clients never receive), for FedOT (offsite-tuning,
 * FS-LLM) and FedBiOT. Pure: no I/O, no native calls.
 */
import { invalidArg } from '../errors/index.js';

/**
 * How many emulator layers to keep out of `m` and where.
 * - `'floor'` (default): `n' = ⌊(1−β)·m⌋`, kept at `⌊j·(m−1)/(n'−1)⌋` (exact integer maths).
 * - `'fsllm'`: FS-LLM's `model_drop_layer` exactly: `n' = round(m·(1−β))` (Python's round, half to even),
 *   kept at `int(j·stride)` with the float `stride = (m−1)/(n'−1)`.
 * They agree on every shipped FS-LLM/FedBiOT setting except `m = 28, β = 0.3` (FedBiOT gsm `adpt4_dp3`):
 * 19.6 keeps 19 layers with `'floor'`, 20 with `'fsllm'`.
 */
export type LayerRounding = 'floor' | 'fsllm';

/**
 * FedBiOT: the adapter is the last `adapterLayers` blocks; the emulator is a LayerExtract (uniform drop)
 * of blocks `[0, n − s)`.
 */
export interface FedBiotPlanOptions {
  algorithm: 'fedbiot';
  /** Blocks of the full model (`n`), >= 2. */
  numLayers: number;
  /** `s`, in [1, n − 1]: the last `s` blocks are the adapter (FedBiOT yaml: `n − llm.offsite_tuning.emu_r`). */
  adapterLayers: number;
  /** `β` in [0, 1): the fraction of emulator blocks dropped (`llm.offsite_tuning.kwargs.drop_ratio`). */
  dropRate: number;
  rounding?: LayerRounding;
}

/**
 * FedOT (offsite-tuning, FS-LLM): the adapter is blocks `[0, l) ∪ [r, n)`; the emulator is a uniform drop
 * of `[l, r)`, with FS-LLM's clamping `l = max(emuL, 1)`, `r = min(emuR, n − 1)`.
 */
export interface FedOtPlanOptions {
  algorithm: 'fedot';
  /** Blocks of the full model (`n`), >= 3. */
  numLayers: number;
  /** First emulated block (`llm.offsite_tuning.emu_l`), >= 0; raised to 1. */
  emuL: number;
  /** End of the emulated range, exclusive (`llm.offsite_tuning.emu_r`), > emuL; lowered to n − 1. */
  emuR: number;
  /** `β` in [0, 1) (`llm.offsite_tuning.kwargs.drop_ratio`). */
  dropRate: number;
  rounding?: LayerRounding;
}

export type EmulatorPlanOptions = FedBiotPlanOptions | FedOtPlanOptions;

/**
 * A layer plan. Full-model block indices unless the name says `InModel` (indices in the emulator model,
 * whose blocks are `layout` in order). JSON-serialisable; stored in the emulator manifest.
 */
export interface EmulatorPlan {
  algorithm: 'fedbiot' | 'fedot';
  numLayers: number;
  dropRate: number;
  rounding: LayerRounding;
  /** `[start, end)` of the full-model blocks the emulator stands in for (the teacher segment). */
  emulatorRange: [number, number];
  /** Adapter blocks, ascending. */
  adapter: number[];
  /** Kept emulator blocks, ascending. */
  emulator: number[];
  /** Blocks of `emulatorRange` not kept: never leave the server. */
  dropped: number[];
  /** Full-model index of each block of the emulator model, in order: bottom adapter, emulator, top adapter. */
  layout: number[];
  emulatorLayersInModel: number[];
  adapterLayersInModel: number[];
  /** Blocks after which the emulator part ends, in the emulator model (FedOT `l + n'`, FedBiOT `n'`). */
  studentTap: number;
  /** Blocks after which the emulated segment ends, in the full model (FedOT `r`, FedBiOT `n − s`). */
  teacherTap: number;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

// Python 3 round(): half to even.
function pythonRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Offsets in `[0, m)` of the blocks a uniform drop keeps (first and last always, when more than one).
 * The 1e-9 guards `(1−β)·m` against landing just below an integer, e.g. (1 − 0.9)·10 = 0.9999999999999998.
 */
function keptOffsets(m: number, dropRate: number, rounding: LayerRounding): number[] {
  if (rounding === 'fsllm') {
    const count = pythonRound(m * (1 - dropRate));
    if (count <= 1) return count === 1 ? [0] : [];
    const stride = (m - 1) / (count - 1);
    return range(0, count).map((i) => Math.trunc(i * stride));
  }
  const count = Math.floor((1 - dropRate) * m + 1e-9);
  if (count <= 1) return count === 1 ? [0] : [];
  return range(0, count).map((j) => Math.floor((j * (m - 1)) / (count - 1)));
}

/**
 * Plans the emulator and adapter for FedBiOT or FedOT.
 *
 * Emulator blocks: of the `m` blocks of the emulated range, `n' = ⌊(1−β)·m⌋` are kept at
 * `⌊j·(m−1)/(n'−1)⌋`, j = 0..n'−1 (first and last kept; `n' = 1` keeps the first). This reproduces
 * FedBiOT's Table 5 (n = 32: β 0.2 → 24 layers with s = 2, 22 with s = 4; β 0.5 → 15 and 14). FedBiOT's
 * Algorithm 1 prints `⌊β·(n−s)⌋`, reading β as the keep ratio; its code and tables use β as the drop
 * ratio, as here. FS-LLM (and FedBiOT's code) use `round()` and `int(i·stride)` instead: the same blocks
 * for the shipped settings (n = 32, emu_r 30 or 28, β 0.2 / 0.5; GPT-2 n = 12, emu 2..10), except
 * `m = 28, β = 0.3`; pass `rounding: 'fsllm'` to reproduce FS-LLM exactly.
 * @throws `ERR_FSLLM_INVALID_ARG` naming the option (and its FS-LLM key) for a non-integer or
 *   out-of-range count, `β` outside [0, 1), `emuL >= emuR`, or a drop rate that keeps no block.
 * @example
 * planEmulator({ algorithm: 'fedbiot', numLayers: 32, adapterLayers: 2, dropRate: 0.2 }).emulator.length; // 24
 * planEmulator({ algorithm: 'fedot', numLayers: 12, emuL: 2, emuR: 10, dropRate: 0.5 }).layout;
 * // [0, 1, 2, 4, 6, 9, 10, 11]
 */
export function planEmulator(options: EmulatorPlanOptions): EmulatorPlan {
  // Validate
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options);
  const { algorithm, numLayers: n, dropRate } = options;
  if (algorithm !== 'fedbiot' && algorithm !== 'fedot') throw invalidArg('options.algorithm', "'fedbiot' or 'fedot'", algorithm);
  const minLayers = algorithm === 'fedot' ? 3 : 2;
  if (!isInt(n) || n < minLayers) throw invalidArg('options.numLayers', `an integer >= ${minLayers} for ${algorithm}`, n);
  if (typeof dropRate !== 'number' || !(dropRate >= 0 && dropRate < 1)) {
    throw invalidArg('options.dropRate (llm.offsite_tuning.kwargs.drop_ratio)', 'a number in [0, 1)', dropRate);
  }
  const rounding = options.rounding ?? 'floor';
  if (rounding !== 'floor' && rounding !== 'fsllm') throw invalidArg('options.rounding', "'floor' or 'fsllm'", rounding);

  // Interpret: the emulated range [l, r)
  let l: number;
  let r: number;
  if (options.algorithm === 'fedbiot') {
    const s = options.adapterLayers;
    if (!isInt(s) || s < 1 || s > n - 1) {
      throw invalidArg('options.adapterLayers (numLayers − llm.offsite_tuning.emu_r)', `an integer in [1, ${n - 1}] (numLayers − 1)`, s);
    }
    [l, r] = [0, n - s];
  } else {
    const { emuL, emuR } = options;
    if (!isInt(emuL) || emuL < 0) throw invalidArg('options.emuL (llm.offsite_tuning.emu_l)', 'an integer >= 0', emuL);
    if (!isInt(emuR) || emuR <= emuL) throw invalidArg('options.emuR (llm.offsite_tuning.emu_r)', `an integer > emuL (${emuL})`, emuR);
    [l, r] = [Math.max(emuL, 1), Math.min(emuR, n - 1)];
    if (r <= l) {
      throw invalidArg(
        'options.emuL/emuR (llm.offsite_tuning.emu_l/emu_r)',
        `a range that still holds a block after clamping to [1, ${n - 1}) (it became [${l}, ${r}))`,
        [emuL, emuR],
      );
    }
  }
  const offsets = keptOffsets(r - l, dropRate, rounding);
  if (offsets.length === 0) {
    throw invalidArg(
      'options.dropRate (llm.offsite_tuning.kwargs.drop_ratio)',
      `a rate that keeps at least one of the ${r - l} emulated blocks (at most ${1 - 1 / (r - l)})`,
      dropRate,
    );
  }

  // Plan
  const emulator = offsets.map((o) => l + o);
  const kept = new Set(emulator);
  const layout = [...range(0, l), ...emulator, ...range(r, n)];
  return {
    algorithm,
    numLayers: n,
    dropRate,
    rounding,
    emulatorRange: [l, r],
    adapter: [...range(0, l), ...range(r, n)],
    emulator,
    dropped: range(l, r).filter((i) => !kept.has(i)),
    layout,
    emulatorLayersInModel: range(l, l + emulator.length),
    adapterLayersInModel: [...range(0, l), ...range(l + emulator.length, layout.length)],
    studentTap: l + emulator.length,
    teacherTap: r,
  };
}

/**
 * Checks that a plan read back from JSON is self-consistent (the shape {@link planEmulator} returns).
 * @returns a message describing the first fault, or null when the plan is sound.
 * @internal
 */
export function planFault(plan: unknown): string | null {
  if (plan === null || typeof plan !== 'object') return 'plan is not an object';
  const p = plan as Partial<EmulatorPlan>;
  if (p.algorithm !== 'fedbiot' && p.algorithm !== 'fedot') return `plan.algorithm ${JSON.stringify(p.algorithm)} is not fedbiot or fedot`;
  const n = p.numLayers;
  if (!isInt(n) || n < 2) return 'plan.numLayers is not an integer >= 2';
  const lists = ['adapter', 'emulator', 'dropped', 'layout', 'emulatorLayersInModel', 'adapterLayersInModel'] as const;
  for (const key of lists) {
    const list = p[key];
    if (!Array.isArray(list) || !list.every((i) => isInt(i) && i >= 0 && i < n)) return `plan.${key} is not a list of block indices below ${n}`;
  }
  const [l, r] = Array.isArray(p.emulatorRange) ? p.emulatorRange : [];
  if (!isInt(l) || !isInt(r) || l < 0 || r > n || l >= r) return 'plan.emulatorRange is not [start, end) inside the model';
  if (!p.emulator!.every((i) => i >= l && i < r)) return 'plan.emulator is not inside plan.emulatorRange';
  if (p.studentTap !== l + p.emulator!.length || p.teacherTap !== r) return 'plan.studentTap/teacherTap do not match the emulator';
  const layout = p.layout!;
  if (layout.some((v, i) => i > 0 && v <= layout[i - 1]!)) return 'plan.layout is not strictly increasing';
  const inLayout = new Set(layout);
  if (p.dropped!.some((i) => inLayout.has(i))) return 'plan.layout holds a dropped block';
  const modelIndex = (list: number[]) => list.map((k) => layout[k]);
  if (JSON.stringify(modelIndex(p.adapterLayersInModel!)) !== JSON.stringify(p.adapter)) return 'plan.adapterLayersInModel does not match plan.adapter';
  if (JSON.stringify(modelIndex(p.emulatorLayersInModel!)) !== JSON.stringify(p.emulator)) return 'plan.emulatorLayersInModel does not match plan.emulator';
  if (p.adapter!.length + p.emulator!.length !== layout.length) return 'plan.layout is not adapter + emulator blocks';
  return null;
}
