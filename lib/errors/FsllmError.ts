/**
 * The one error class of fsllm-native. Every failure, in TS or native code, is an `FsllmError` (or a
 * subclass chosen by its code) with a stable `ERR_FSLLM_*` code callers can branch on.
 */

/** Every code an `FsllmError` can carry. Native codes are listed in csrc/core/error.h. */
export type FsllmErrorCode =
  | 'ERR_FSLLM_INVALID_ARG'
  | 'ERR_FSLLM_CHECKPOINT'
  | 'ERR_FSLLM_TOKENIZER'
  | 'ERR_FSLLM_DATA'
  | 'ERR_FSLLM_CONFIG'
  | 'ERR_FSLLM_BUSY'
  | 'ERR_FSLLM_DISPOSED'
  | 'ERR_FSLLM_IN_USE'
  | 'ERR_FSLLM_ABORTED'
  | 'ERR_FSLLM_UNSUPPORTED'
  | 'ERR_FSLLM_DISTRIBUTED'
  | 'ERR_FSLLM_LOAD'
  | 'ERR_FSLLM_DEVICE_OOM'
  | 'ERR_FSLLM_HOST_OOM'
  | 'ERR_FSLLM_TORCH'
  | 'ERR_FSLLM_NATIVE'
  | 'ERR_FSLLM_PROTOCOL';

/** Base class: `code` says what happened; `cause` keeps the underlying error when there is one. */
export class FsllmError extends Error {
  readonly code: FsllmErrorCode;
  /** Offending file or folder, when the error is about one. */
  path?: string;
  /** Native backtrace (only when `FSLLM_DEBUG` is set). */
  detail?: string;

  constructor(messageOrProps: string | { message: string; code: FsllmErrorCode }, code?: FsllmErrorCode, options?: { cause?: unknown }) {
    const props = typeof messageOrProps === 'string' ? { message: messageOrProps, code: code ?? 'ERR_FSLLM_NATIVE' } : messageOrProps;
    super(props.message, options);
    this.code = props.code;
    Error.captureStackTrace?.(this, new.target);
  }
}
Object.defineProperty(FsllmError.prototype, 'name', { value: 'FsllmError', enumerable: false, writable: true, configurable: true });

function subclass(name: string) {
  const cls = class extends FsllmError {};
  Object.defineProperty(cls.prototype, 'name', { value: name, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

/** `ERR_FSLLM_INVALID_ARG`: an option or argument has the wrong type or value. */
export const InvalidArgumentError = subclass('InvalidArgumentError');
/** `ERR_FSLLM_CHECKPOINT`: a weights or adapter file is unreadable, truncated or inconsistent. */
export const CheckpointError = subclass('CheckpointError');
/** `ERR_FSLLM_BUSY`: a second call on an object that still has one in flight. */
export const BusyError = subclass('BusyError');
/** `ERR_FSLLM_DISPOSED`: a call on a disposed object. */
export const DisposedError = subclass('DisposedError');
/** `ERR_FSLLM_IN_USE`: disposing an object that another live object still uses. */
export const InUseError = subclass('InUseError');
/** `ERR_FSLLM_ABORTED`: the operation was cancelled by an AbortSignal or abort(). */
export const AbortError = subclass('AbortError');
/** `ERR_FSLLM_DEVICE_OOM` / `ERR_FSLLM_HOST_OOM`. */
export const OutOfMemoryError = subclass('OutOfMemoryError');
/** `ERR_FSLLM_TORCH` / `ERR_FSLLM_NATIVE`: a failure inside libtorch or the native core. */
export const NativeError = subclass('NativeError');

const classByCode: Partial<Record<FsllmErrorCode, typeof FsllmError>> = {
  ERR_FSLLM_INVALID_ARG: InvalidArgumentError,
  ERR_FSLLM_CHECKPOINT: CheckpointError,
  ERR_FSLLM_BUSY: BusyError,
  ERR_FSLLM_DISPOSED: DisposedError,
  ERR_FSLLM_IN_USE: InUseError,
  ERR_FSLLM_ABORTED: AbortError,
  ERR_FSLLM_DEVICE_OOM: OutOfMemoryError,
  ERR_FSLLM_HOST_OOM: OutOfMemoryError,
  ERR_FSLLM_TORCH: NativeError,
  ERR_FSLLM_NATIVE: NativeError,
};

/** Makes an error of the subclass that matches `code`. */
export function fsllmError(code: FsllmErrorCode, message: string, options?: { cause?: unknown; path?: string }): FsllmError {
  const Cls = classByCode[code] ?? FsllmError;
  const err = new Cls(message, code, options?.cause === undefined ? undefined : { cause: options.cause });
  if (options?.path !== undefined) err.path = options.path;
  return err;
}

/**
 * Turns whatever a native call rejected with into the right subclass, with the caller's stack
 * (`site`, an `Error` made before the call) and the raw error as `cause`.
 */
export function toFsllmError(raw: unknown, site: Error): FsllmError {
  const code = (raw as { code?: unknown } | null)?.code;
  const message = raw instanceof Error ? raw.message : String(raw);
  const known = typeof code === 'string' && code.startsWith('ERR_FSLLM_') ? (code as FsllmErrorCode) : 'ERR_FSLLM_NATIVE';
  if (raw instanceof FsllmError && raw.constructor !== FsllmError) return raw;
  const err = fsllmError(known, message, { cause: raw });
  const detail = (raw as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') err.detail = detail;
  if (site.stack) err.stack = `${err.name}: ${message}\n${site.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
