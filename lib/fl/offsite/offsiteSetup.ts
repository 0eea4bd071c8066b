/**
 * The model owner's side of closed-model tuning (FedOT / FedBiOT): from the full model, build the emulator
 * artefact that clients get, keep the full model as teacher, align the emulator to it by distillation on
 * public data, and evaluate client adapters on the full model (AdapFu). Clients never see the full model:
 * they load the emulator folder, as a separate process would.
 */
import path from 'node:path';
import { loadDataset, tokenizeAll, type TokenizedExample } from '../../data/index.js';
import type { ResolvedOptions, ResolvedOffsite } from '../../config/index.js';
import { fsllmError } from '../../errors/index.js';
import { sliceOf, type AdapterState, type RawBatch } from '../../native/index.js';
import { normalizeLora } from '../../native/lora.js';
import { Model } from '../../native/Model.js';
import { openModel } from '../openModel.js';
import { TrainSession } from '../../native/TrainSession.js';
import { adapterTensorNameMap, buildEmulator, loadEmulator, planEmulator, type EmulatorPlan } from '../../emulator/index.js';
import { pack } from '../../data/pack.js';
import { BatchSource } from '../../trainer/batchSource.js';

/** Alignment metrics of one call (mean over its steps). */
export interface AlignReport {
  steps: number;
  loss: number;
  repr: number;
  kl: number;
}

export class OffsiteSetup {
  readonly plan: EmulatorPlan;
  readonly emulatorDir: string;
  /** The full model (teacher), with LoRA on its adapter layers only. */
  readonly full: Model;
  /** The owner's copy of the emulator (student), LoRA on adapter and emulator layers. */
  readonly student: Model;
  readonly #align: TrainSession | null;
  readonly #public: BatchSource | null;
  readonly #publicHeldOut: RawBatch[];
  readonly #offsite: ResolvedOffsite;
  readonly #toFull: (name: string) => string | null;

  private constructor(fields: {
    plan: EmulatorPlan; emulatorDir: string; full: Model; student: Model; align: TrainSession | null;
    publicData: BatchSource | null; publicHeldOut: RawBatch[]; offsite: ResolvedOffsite;
  }) {
    this.plan = fields.plan;
    this.emulatorDir = fields.emulatorDir;
    this.full = fields.full;
    this.student = fields.student;
    this.#align = fields.align;
    this.#public = fields.publicData;
    this.#publicHeldOut = fields.publicHeldOut;
    this.#offsite = fields.offsite;
    this.#toFull = adapterTensorNameMap(fields.plan, 'emulatorToFull');
  }

  /**
   * Plans and writes the emulator into `<outDir>/emulator`, loads teacher and student, and attaches LoRA:
   * `lora` on the student's adapter layers (and its emulator layers when alignment is on), and on the full
   * model's adapter layers.
   */
  static async create(o: ResolvedOptions, outDir: string, warn: (m: string) => void): Promise<OffsiteSetup> {
    const offsite = o.offsite!;
    const full = await openModel(o);
    try {
      const n = full.config.numLayers;
      const plan = offsite.algorithm === 'fedbiot'
        ? planEmulator({ algorithm: 'fedbiot', numLayers: n, adapterLayers: offsite.adapterLayers ?? (offsite.emuR !== undefined ? n - offsite.emuR : 2), dropRate: offsite.dropRate })
        : planEmulator({ algorithm: 'fedot', numLayers: n, emuL: offsite.emuL ?? 1, emuR: offsite.emuR ?? n - 1, dropRate: offsite.dropRate });
      const emulatorDir = path.join(outDir, 'emulator');
      await buildEmulator(o.model.path, plan, emulatorDir);
      const student = await loadEmulator(emulatorDir);
      const lora = normalizeLora({ ...o.adapter, seed: o.federate.seed }, 'adapter');
      const fullWeights = offsite.adapterTraining === 'full';
      await student.attachLora({ ...lora, layers: loraLayers(plan, offsite) });
      if (fullWeights) {
        await student.setLayersTrainable(plan.adapterLayersInModel, true);
        await full.setLayersTrainable(plan.adapter, true);
      } else {
        await full.attachLora({ ...lora, layers: plan.adapter });
      }
      let align: TrainSession | null = null;
      let publicData: BatchSource | null = null;
      let publicHeldOut: RawBatch[] = [];
      if (offsite.align.use) {
        align = await TrainSession.create(student, { optimizer: offsite.align.optimizer, layers: plan.emulatorLayersInModel });
        const { examples, heldOut } = await publicExamples(offsite, student, warn);
        const padId = student.tokenizer?.eosId ?? 0;
        publicData = new BatchSource(examples, { batchSize: offsite.align.batchSize, gradAccum: 1, tokLen: offsite.align.tokLen, padId, pack: true, seed: o.federate.seed });
        for (let i = 0; i < heldOut.length; i += 8) publicHeldOut.push(pack(heldOut.slice(i, i + 8), offsite.align.tokLen, padId));
      }
      return new OffsiteSetup({ plan, emulatorDir, full, student, align, publicData, publicHeldOut, offsite });
    } catch (error) {
      await full.dispose();
      throw error;
    }
  }

  /** Names of the adapter-layer tensors in the emulator's flat state (what clients train and upload). */
  adapterNames(state: AdapterState): Set<string> {
    return adapterNamesOf(this.plan, state);
  }

  /** Loads the adapter part of an emulator-model state into the full model (for the teacher and AdapFu). */
  async loadAdapterIntoFull(state: AdapterState): Promise<void> {
    const tensors = [];
    for (const entry of state.manifest) {
      const name = this.#toFull(entry.name);
      if (name !== null) tensors.push({ name, shape: entry.shape, data: sliceOf(state, entry) });
    }
    await this.full.importAdapterTensors(tensors);
  }

  /**
   * `steps` alignment steps of the emulator LoRA towards the full model carrying the adapter of `global`;
   * returns the new global state (same adapter, re-aligned emulator LoRA).
   */
  async align(global: AdapterState, steps: number): Promise<{ state: AdapterState; report: AlignReport }> {
    if (!this.#align || !this.#public || steps === 0) return { state: global, report: { steps: 0, loss: NaN, repr: NaN, kl: NaN } };
    await this.student.importAdapter(global);
    await this.loadAdapterIntoFull(global);
    const { reprWeight, klWeight, lmWeight, optimizer } = this.#offsite.align;
    const report: AlignReport = { steps, loss: 0, repr: 0, kl: 0 };
    for (let s = 0; s < steps; s++) {
      const m = await this.#align.alignStep(this.full, this.#public.next().micro, {
        lr: optimizer.lr,
        maxGradNorm: 1,
        studentTap: this.plan.studentTap,
        teacherTap: this.plan.teacherTap,
        reprWeight,
        klWeight,
        lmWeight,
      });
      report.loss += m.loss / steps;
      report.repr += m.repr / steps;
      report.kl += m.kl / steps;
    }
    return { state: { data: (await this.student.exportAdapter()).data, manifest: global.manifest }, report };
  }

  /** Mean representation gap (teacher-RMS-normalised MSE at the emulator boundary) on held-out public data. */
  async heldOutGap(global: AdapterState): Promise<number> {
    if (this.#publicHeldOut.length === 0) throw fsllmError('ERR_FSLLM_INVALID_ARG', 'No public data is held out: alignment is off');
    await this.student.importAdapter(global);
    await this.loadAdapterIntoFull(global);
    let sum = 0;
    let count = 0;
    for (const batch of this.#publicHeldOut) {
      const hs = await this.student.hiddenAt(batch, this.plan.studentTap);
      const ht = await this.full.hiddenAt(batch, this.plan.teacherTap);
      const d = hs.length / batch.ids.length;
      let tt = 0;
      let real = 0;
      for (let i = 0; i < batch.attentionMask.length; i++) {
        if (!batch.attentionMask[i]) continue;
        real += 1;
        for (let k = 0; k < d; k++) tt += ht[i * d + k]! ** 2;
      }
      const ms = tt / (real * d);
      let diff = 0;
      for (let i = 0; i < batch.attentionMask.length; i++) {
        if (!batch.attentionMask[i]) continue;
        for (let k = 0; k < d; k++) diff += (ht[i * d + k]! - hs[i * d + k]!) ** 2 / ms;
      }
      sum += diff / d;
      count += real;
    }
    return sum / count;
  }

  /** Summed token loss and count of the full model + the adapter of `global` (AdapFu) on `examples`. */
  async fullLoss(global: AdapterState, examples: TokenizedExample[], tokLen: number, batchSize: number): Promise<{ lossSum: number; tokens: number }> {
    if (examples.length === 0) return { lossSum: 0, tokens: 0 };
    await this.loadAdapterIntoFull(global);
    const padId = this.full.tokenizer?.eosId ?? 0;
    const batches = [];
    for (let i = 0; i < examples.length; i += batchSize) batches.push(pack(examples.slice(i, i + batchSize), tokLen, padId));
    return this.full.evalLoss(batches);
  }

  async dispose(): Promise<void> {
    await this.#align?.dispose();
    await this.student.dispose();
    await this.full.dispose();
  }
}

/**
 * LoRA goes on the adapter layers (unless their full weights train) and on the emulator layers when the
 * server aligns them; with full-weight adapters it stays on the emulator layers even without alignment,
 * where it is zero and inert, so that the model always has an adapter to export.
 */
export function loraLayers(plan: EmulatorPlan, offsite: ResolvedOffsite): number[] {
  const full = offsite.adapterTraining === 'full';
  const layers = [...(full ? [] : plan.adapterLayersInModel), ...(offsite.align.use || full ? plan.emulatorLayersInModel : [])];
  return layers.sort((a, b) => a - b);
}

/** Names of `state`'s tensors that belong to the plan's adapter layers (what a client trains and uploads). */
export function adapterNamesOf(plan: EmulatorPlan, state: AdapterState): Set<string> {
  const layers = new Set(plan.adapterLayersInModel);
  return new Set(state.manifest.filter((e) => layers.has(layerOf(e.name))).map((e) => e.name));
}

function layerOf(name: string): number {
  const m = /\.(?:layers|h)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

async function publicExamples(offsite: ResolvedOffsite, model: Model, warn: (m: string) => void): Promise<{ examples: TokenizedExample[]; heldOut: TokenizedExample[] }> {
  const d = offsite.align.data;
  const { records } = await loadDataset({ type: d.type, file: d.file, keys: d.keys, root: d.root, cacheDir: d.cacheDir });
  const kept = records.slice(0, Math.max(1, Math.round(d.subsample * records.length)));
  const { examples, dropped } = tokenizeAll(model.tokenizer!, kept, offsite.align.tokLen);
  if (dropped > 0) warn(`${dropped} of ${kept.length} public alignment examples were dropped: the prompt fills all ${offsite.align.tokLen} tokens`);
  const held = Math.min(32, Math.floor(examples.length / 5));
  return { examples: examples.slice(held), heldOut: examples.slice(0, held) };
}
