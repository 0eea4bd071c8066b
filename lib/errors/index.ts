/** Error classes and constructors; see FsllmError.ts. */
export {
  AbortError,
  BusyError,
  CheckpointError,
  DisposedError,
  FsllmError,
  InUseError,
  fsllmError,
  InvalidArgumentError,
  NativeError,
  OutOfMemoryError,
  toFsllmError,
  type FsllmErrorCode,
} from './FsllmError.js';
export { invalidArg } from './invalidArg.js';
