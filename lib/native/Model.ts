/**
 * A loaded causal LM: frozen base weights in native memory, an optional adapter (LoRA or a prompt), and the
 * model's own tokenizer. Every method that touches tensors runs off the JS thread and is serialised by a lock.
 * Longer than 300 lines on purpose: it is the one public surface of the native model, each method a thin,
 * documented call; the work behind them lives in lora.ts, prompt.ts, generate.ts and the addon.
 */
import { disposedCheck } from './disposed.js';
import { binding, type ManifestEntry, type Precision, type RawBatch, type RawModel } from './binding.js';
import { fsllmError, invalidArg } from '../errors/index.js';
import { callNative } from './callNative.js';
import { openCheckpoint } from '../formats/index.js';
import type { Checkpoint, ModelConfig } from '../formats/types.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { AsyncLock } from '../util/lock.js';
import { normalizeLora, type LoraOptions } from './lora.js';
import { normalizePrompt, promptInitIds, type NormalizedPrompt, type PromptOptions } from './prompt.js';
import type { AdapterState } from './adapterState.js';
import { checkBaseDtype, type BaseDtype } from './baseDtype.js';
import { checkDevice } from './device.js';
import type { LoadModelOptions } from './loadModelOptions.js';
import { generate, type GeneratePrompt } from './generate.js';
import type { GenerateBatchOptions, GenerateOptions, GenerateResult, GenerateRow } from './generateOptions.js';

/** Source of {@link Model.lockOrder}. */
let nextLockOrder = 0;

export class Model {
  /** @internal */ readonly #native: RawModel;
  /** @internal Shared with TrainSessions of this model: one native call in flight at a time. */
  readonly lock = new AsyncLock();
  /**
   * @internal Calls that need two models' locks (alignStep) take them in ascending `lockOrder`, so two such
   * calls can never wait for each other.
   */
  readonly lockOrder = nextLockOrder++;
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer | null;
  readonly source: string;
  /** How the blocks' base weights are stored (the `baseDtype` it was loaded with). */
  readonly baseDtype: BaseDtype;
  /** Checkpoint keys that matched no parameter (ignored). */
  readonly unexpectedKeys: readonly string[];
  #lora: ReturnType<typeof normalizeLora> | null = null;
  #prompt: NormalizedPrompt | null = null;
  #trainableLayers: readonly number[] = [];
  #disposed = false;
  #openSessions = 0;

  private constructor(native: RawModel, checkpoint: Checkpoint, tokenizer: Tokenizer | null, source: string, baseDtype: BaseDtype) {
    this.#native = native;
    this.config = checkpoint.config;
    this.tokenizer = tokenizer;
    this.source = source;
    this.baseDtype = baseDtype;
    this.unexpectedKeys = native.unexpectedKeys;
  }

  /**
   * Loads a Hugging Face folder (config.json + safetensors, sharded or not), a GGUF file or a llama2.c
   * `.bin` checkpoint, with the tokenizer found beside it.
   * @throws `ERR_FSLLM_CHECKPOINT` for unreadable or inconsistent files, `ERR_FSLLM_TOKENIZER` for a bad tokenizer.
   * @example const model = await Model.load('./assets/stories260K/stories260K.bin');
   */
  static async load(path: string, options: LoadModelOptions = {}): Promise<Model> {
    if (typeof path !== 'string' || path.length === 0) throw invalidArg('path', 'a model folder or file path', path);
    const device = checkDevice(options.device ?? 'cpu');
    const baseDtype = checkBaseDtype(options.baseDtype ?? 'fp32');
    const checkpoint = await openCheckpoint(path);
    const tokenizerPath = options.tokenizerPath ?? checkpoint.tokenizerPath;
    const tokenizer = tokenizerPath ? await loadTokenizer(tokenizerPath) : null;
    const native = await callNative(() => binding().loadModel(checkpoint.config, checkpoint.tensors, { device, baseDtype }));
    return new Model(native, checkpoint, tokenizer, path, baseDtype);
  }

  /** The LoRA configuration attached, or null. */
  get lora(): Readonly<ReturnType<typeof normalizeLora>> | null {
    return this.#lora;
  }

  /** The prompt-learning configuration attached (prompt tuning, P-tuning, prefix tuning), or null. */
  get prompt(): Readonly<NormalizedPrompt> | null {
    return this.#prompt;
  }

  /** The device the weights are on, as libtorch names it ('cpu', 'cuda:0', ...). */
  get device(): string {
    return this.native.info().device ?? 'cpu';
  }

  /** Number of base parameters (as loaded; LoRA not counted), frozen or made trainable alike. */
  get numParameters(): number {
    return this.#native.info().numParameters;
  }

  /** Bytes the base parameters occupy as stored (LoRA not counted). */
  get baseBytes(): number {
    return this.#native.info().baseBytes;
  }

  /** `baseBytes` per base parameter: 4 for fp32; on SmolLM2-135M (its fp32 embedding is 21% of it) 2.42 for bf16, 1.68 for int8, 1.29 for q4. */
  get baseBytesPerParam(): number {
    return this.baseBytes / this.numParameters;
  }

  /** @internal */
  get native(): RawModel {
    disposedCheck(this.#disposed, 'Model');
    return this.#native;
  }

  /**
   * Attaches LoRA to the named projections (A random, B zero: the model's outputs are unchanged).
   * @returns the adapted module names and the flat-buffer manifest.
   * @throws `ERR_FSLLM_INVALID_ARG` when a target names no module of this model (the message lists valid names).
   */
  async attachLora(options: LoraOptions): Promise<{ modules: string[]; trainableParameters: number }> {
    const lora = normalizeLora(options);
    if (this.#prompt) throw oneMethod('attachLora', 'a prompt', 'detachPrompt');
    const native = this.native;
    const result = await this.lock.run(() => callNative(() => native.attachLora(lora)));
    this.#lora = lora;
    return { modules: result.modules, trainableParameters: manifestValues(result.manifest) };
  }

  /**
   * Attaches prompt tuning, P-tuning or prefix tuning: `virtualTokens` trainable virtual tokens precede every
   * input from then on (as input embeddings, or as every layer's leading keys and values for a prefix), in
   * training, evaluation and generation; batches, masks and logits keep describing the caller's own tokens.
   * Its parameters (PEFT names, `prompt_encoder.…`) are the trainable state `exportAdapter()` returns.
   * @throws `ERR_FSLLM_INVALID_ARG` naming a bad option, or while LoRA or another prompt is attached.
   * @example await model.attachPrompt({ method: 'p-tuning', virtualTokens: 20, encoderHiddenSize: 128 });
   */
  async attachPrompt(options: PromptOptions): Promise<{ trainableParameters: number }> {
    const prompt = normalizePrompt(options);
    if (this.#lora) throw oneMethod('attachPrompt', 'LoRA', 'detachLora');
    if (this.#prompt) throw oneMethod('attachPrompt', 'a prompt', 'detachPrompt');
    const tokenizer = this.tokenizer;
    const initIds = promptInitIds(prompt, this.config.vocabSize, tokenizer ? (text) => tokenizer.encode(text) : null);
    const { initText: _text, init: _init, ...raw } = prompt;
    const native = this.native;
    const result = await this.lock.run(() => callNative(() => native.attachPrompt({ ...raw, ...(initIds ? { initIds } : {}) })));
    this.#prompt = prompt;
    return { trainableParameters: manifestValues(result.manifest) };
  }

  /**
   * The attached prompt's virtual tokens as the model consumes them, `[virtualTokens, width]` (width = the
   * hidden size, or layers × 2 × kv heads × head dim for a prefix): the encoder's output in eval mode, what
   * PEFT saves as `prompt_embeddings`.
   * @throws `ERR_FSLLM_INVALID_ARG` when no prompt is attached.
   */
  async promptEmbeddings(): Promise<{ data: Float32Array; shape: [number, number] }> {
    const native = this.native;
    return this.lock.run(() => callNative(() => native.promptEmbeddings()));
  }

  /** Removes the prompt adapter; the model is the base model again. */
  async detachPrompt(): Promise<void> {
    const native = this.native;
    await this.lock.run(() => callNative(() => native.detachPrompt()));
    this.#prompt = null;
  }

  /** Removes the adapter (merged weights are unmerged first). */
  async detachLora(): Promise<void> {
    const native = this.native;
    await this.lock.run(() => callNative(() => native.detachLora()));
    this.#lora = null;
  }

  /** Folds the adapter into the base weights (faster inference); `unmergeLora` undoes it. */
  async mergeLora(): Promise<void> {
    const native = this.native;
    await this.lock.run(() => callNative(() => native.mergeLora(true)));
  }

  async unmergeLora(): Promise<void> {
    const native = this.native;
    await this.lock.run(() => callNative(() => native.mergeLora(false)));
  }

  /**
   * Blocks whose full weights (not only LoRA) are trainable, ascending; set by {@link Model.setLayersTrainable}.
   */
  get trainableLayers(): readonly number[] {
    return this.#trainableLayers;
  }

  /**
   * Makes the full weights of transformer blocks trainable (FedOT's "full adapter layers") or frozen again:
   * every non-LoRA parameter of each listed block (attention and MLP projections with their biases, the
   * block's norms). LoRA tensors are untouched. The unfrozen tensors join the trainable state: they appear in
   * `exportAdapter()`'s manifest under PEFT-style names (`base_model.model.model.layers.4.self_attn.q_proj.weight`),
   * are trained by new TrainSessions (also with `layers`) and accepted by `importAdapter` / `importAdapterTensors`.
   * TrainSessions created before the call are stale afterwards (their `trainStep` rejects); create new ones.
   * @param layers Non-empty list of block indices in [0, config.numLayers).
   * @param trainable true to unfreeze, false to freeze again.
   * @returns `parameters`: the number of trainable values of the model afterwards (LoRA included).
   * @throws `ERR_FSLLM_INVALID_ARG` naming `layers` for an empty list or an index out of range, naming
   * `trainable` for a non-boolean, and while the adapter is merged (call `unmergeLora()` first).
   * @example const { parameters } = await model.setLayersTrainable([model.config.numLayers - 1], true);
   */
  async setLayersTrainable(layers: readonly number[], trainable: boolean): Promise<{ parameters: number }> {
    const numLayers = this.config.numLayers;
    if (!Array.isArray(layers) || layers.length === 0 || !layers.every((l) => Number.isInteger(l) && l >= 0 && l < numLayers)) {
      throw invalidArg('layers', `a non-empty array of layer indices in [0, ${numLayers}) (e.g. [${numLayers - 1}])`, layers);
    }
    if (typeof trainable !== 'boolean') throw invalidArg('trainable', 'a boolean', trainable);
    const native = this.native;
    const result = await this.lock.run(() => callNative(() => native.setLayersTrainable([...layers], trainable)));
    const set = new Set(this.#trainableLayers);
    for (const layer of layers) {
      if (trainable) set.add(layer);
      else set.delete(layer);
    }
    this.#trainableLayers = Object.freeze([...set].sort((a, b) => a - b));
    return result;
  }

  /** An owned snapshot of the trainable state: one Float32Array plus its PEFT-named manifest. */
  async exportAdapter(): Promise<AdapterState> {
    const native = this.native;
    return this.lock.run(() => callNative(() => native.exportAdapter()));
  }

  /**
   * Loads a state exported by `exportAdapter` (same LoRA configuration). The buffer is read, not kept:
   * do not modify it until the promise settles.
   */
  async importAdapter(state: AdapterState | Float32Array): Promise<void> {
    const data = state instanceof Float32Array ? state : state?.data;
    if (!(data instanceof Float32Array)) throw invalidArg('state', 'a Float32Array or {data, manifest}', state);
    const native = this.native;
    await this.lock.run(() => callNative(() => native.importAdapter(data)));
  }

  /**
   * @internal Loads named tensors (PEFT keys) into the trainable state (LoRA factors and unfrozen block
   * weights); every trainable tensor must be given once.
   */
  async importAdapterTensors(tensors: { name: string; shape: number[]; data: Float32Array }[]): Promise<void> {
    const native = this.native;
    await this.lock.run(() => callNative(() => native.importAdapterTensors(tensors)));
  }

  /** Logits `[batch, seq, vocab]` (row-major, fp32) in eval mode. */
  async logits(batch: RawBatch, options: { precision?: Precision } = {}): Promise<Float32Array> {
    const native = this.native;
    return this.lock.run(() => callNative(() => native.logits(batch, options)));
  }

  /**
   * The logits of a few candidate tokens at each row's last real position (the last with attentionMask 1),
   * `[batch, candidates.length]` (row-major, fp32), in eval mode: what logit-scored tasks (MMLU) read. The
   * output head runs on those positions only, so nothing of size `seq × vocab` is made.
   * @throws `ERR_FSLLM_INVALID_ARG` for a candidate outside the vocabulary or a row without a real token.
   * @example const [a, b] = await model.nextTokenLogits(batch, [tok.encode(' A')[0]!, tok.encode(' B')[0]!]);
   */
  async nextTokenLogits(batch: RawBatch, candidates: readonly number[], options: { precision?: Precision } = {}): Promise<Float32Array> {
    const native = this.native;
    const ids = Int32Array.from(candidates);
    return this.lock.run(() => callNative(() => native.nextTokenLogits(batch, ids, options)));
  }

  /**
   * The hidden state `[batch, seq, hiddenSize]` (row-major, fp32) after `tap` transformer blocks, in eval mode
   * without gradients: 0 is the embedding output, `config.numLayers` the last block's output before the final
   * norm. Blocks after the tap are not run. The batch's buffers must not change until the promise settles.
   * @param tap Integer in [0, config.numLayers].
   * @throws `ERR_FSLLM_INVALID_ARG` when `tap` is out of range.
   * @example const h = await model.hiddenAt(batch, model.config.numLayers);
   */
  async hiddenAt(batch: RawBatch, tap: number, options: { precision?: Precision } = {}): Promise<Float32Array> {
    const layers = this.config.numLayers;
    if (!Number.isInteger(tap) || tap < 0 || tap > layers) {
      throw invalidArg('tap', `an integer in [0, ${layers}] (0 = embeddings, ${layers} = after the last block)`, tap);
    }
    const native = this.native;
    return this.lock.run(() => callNative(() => native.hiddenAt(batch, tap, options)));
  }

  /** Summed cross-entropy over target tokens (labels != -100, after the causal shift), and their count. */
  async evalLoss(batches: RawBatch[], options: { precision?: Precision } = {}): Promise<{ lossSum: number; tokens: number }> {
    const native = this.native;
    return this.lock.run(() => callNative(() => native.evalLoss(batches, options)));
  }

  /**
   * Generates text after `prompt` (a string, tokenized as the model's tokenizer does it, or token ids), with a
   * KV cache; greedy unless `temperature` > 0.
   * @throws `ERR_FSLLM_INVALID_ARG` naming a bad option or prompt (ids outside the vocabulary, an empty prompt, a
   * string without a tokenizer); `ERR_FSLLM_DISPOSED`.
   * @example const { text } = await model.generate('Once upon a time', { maxNewTokens: 40 });
   */
  generate(prompt: GeneratePrompt, options?: GenerateOptions): Promise<GenerateResult>;
  /**
   * Generates for every prompt of a list, `batchSize` prompts (default 16) decoded together at a time,
   * `numReturnSequences` rows per prompt. Each row computes what it would alone (greedy ids equal one-prompt
   * generation), ends on its own EOS, stop string or `maxNewTokens`, and is passed to `onRow` as it ends.
   * Resolves with the rows in prompt order (samples of a prompt in order). `signal` ends early: unfinished and
   * unstarted rows resolve with finishReason 'aborted'.
   * @throws `ERR_FSLLM_INVALID_ARG` naming a bad option or `prompts[i]`; `ERR_FSLLM_DISPOSED`.
   * @example const rows = await model.generate(questions, { maxNewTokens: 128, batchSize: 16, stop: ['\n\n'] });
   */
  generate(prompts: readonly GeneratePrompt[], options?: GenerateBatchOptions): Promise<GenerateRow[]>;
  async generate(input: GeneratePrompt | readonly GeneratePrompt[], options: GenerateBatchOptions = {}): Promise<GenerateResult | GenerateRow[]> {
    return generate(this, input, options);
  }

  /** @internal Sessions keep their model alive: counted so dispose() can refuse while one is open. */
  sessionOpened(): void {
    this.#openSessions += 1;
  }

  /** @internal */
  sessionClosed(): void {
    this.#openSessions -= 1;
  }

  /**
   * Frees the native model. Waits for the call in flight; later calls throw `ERR_FSLLM_DISPOSED`.
   * @throws `ERR_FSLLM_IN_USE` while a TrainSession of this model is not disposed.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    if (this.#openSessions > 0) {
      throw fsllmError('ERR_FSLLM_IN_USE', `Model has ${this.#openSessions} open TrainSession(s); dispose them before the model`);
    }
    await this.lock.run(() => {
      this.#disposed = true;
      this.#native.dispose();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** Values in the flat trainable state a manifest describes (its last entry's end). */
function manifestValues(manifest: readonly ManifestEntry[]): number {
  const last = manifest.at(-1);
  return last ? last.offset + last.shape.reduce((a, b) => a * b, 1) : 0;
}

/** A model trains one adapter method at a time, as PEFT's files hold one. */
function oneMethod(call: string, attached: string, detach: string): Error {
  return fsllmError('ERR_FSLLM_INVALID_ARG', `${call}: the model already has ${attached} attached; call ${detach}() first (one adapter method at a time)`);
}
