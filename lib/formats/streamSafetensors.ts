/**
 * A float32 safetensors writer that takes tensors one at a time, so a file larger than memory can be
 * written (lib/formats/writeSafetensors holds every tensor at once, which suits adapters). The header is
 * laid out up front from names and shapes; data follows in the order given. The file appears
 * atomically: a sibling temporary file is written, flushed, then renamed over the target.
 */
import { checkpointError } from './errors.js';
import { replaceFile } from '../util/atomicWrite.js';
import { safetensorsPrefix } from './writeSafetensors.js';
import { FsllmError, fsllmError } from '../errors/index.js';

/** A tensor to be written: its name and shape, row-major. */
export interface PlannedTensor {
  name: string;
  shape: number[];
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The header bytes for `entries` stored in order. */
function headerBytes(entries: readonly PlannedTensor[], metadata: Readonly<Record<string, string>>): Buffer {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) json['__metadata__'] = metadata;
  let cursor = 0;
  for (const { name, shape } of entries) {
    const end = cursor + 4 * numel(shape);
    json[name] = { dtype: 'F32', shape, data_offsets: [cursor, end] };
    cursor = end;
  }
  return safetensorsPrefix(Buffer.from(JSON.stringify(json), 'utf8'));
}

/**
 * Writes `entries` as float32 tensors, taking their data from `chunks` in the same order.
 * @param file destination; its folder must exist. Replaced atomically.
 * @param entries unique names and shapes, in data order.
 * @param chunks yields `{ name, data }` for every entry, in `entries` order; a `data` may be dropped by
 *   the producer once the next value is requested.
 * @returns the number of data bytes written (the header excluded).
 * @throws `ERR_FSLLM_INVALID_ARG` when `chunks` yields out of order, a wrong length, or too few tensors;
 *   `ERR_FSLLM_CHECKPOINT` when the file cannot be written. On any failure the target is untouched and
 *   the temporary file removed; other errors (e.g. thrown by `chunks`) pass through.
 */
export async function writeF32SafetensorsStreamed(
  file: string,
  entries: readonly PlannedTensor[],
  metadata: Readonly<Record<string, string>>,
  chunks: AsyncIterable<{ name: string; data: Float32Array }>,
): Promise<number> {
  try {
    return await replaceFile(file, async (handle) => {
      await handle.write(headerBytes(entries, metadata));
      let written = 0;
      let next = 0;
      for await (const { name, data } of chunks) {
        const entry = entries[next++];
        if (entry === undefined || entry.name !== name) {
          throw fsllmError('ERR_FSLLM_INVALID_ARG', `tensor ${name} arrived out of order; expected ${entry?.name ?? 'no more tensors'}`);
        }
        if (!(data instanceof Float32Array) || data.length !== numel(entry.shape)) {
          throw fsllmError('ERR_FSLLM_INVALID_ARG', `tensor ${name} has ${(data as { length?: number })?.length} values; shape [${entry.shape.join(', ')}] needs ${numel(entry.shape)}`);
        }
        await handle.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        written += data.byteLength;
      }
      if (next !== entries.length) throw fsllmError('ERR_FSLLM_INVALID_ARG', `only ${next} of ${entries.length} tensors arrived; ${entries[next]?.name} is missing`);
      return written;
    });
  } catch (error) {
    // Only file-system failures (they carry a syscall) are this writer's to explain.
    if (error instanceof FsllmError || (error as NodeJS.ErrnoException)?.syscall === undefined) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw checkpointError(`cannot write the file (${code}); check that the folder exists, is writable and has room`, file, error);
  }
}
