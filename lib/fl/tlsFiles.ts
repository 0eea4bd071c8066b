/** The PEM files of `distribute.tls`, read for the server's listener and the clients' connections. */
import { readFile } from 'node:fs/promises';
import { fsllmError } from '../errors/index.js';

/**
 * The file named by `distribute.tls.<which>`. Options are checked for these files when they are resolved;
 * this still names the key if one vanished or became unreadable since.
 * @throws `ERR_FSLLM_CONFIG` naming the key and the file.
 */
export async function readTlsFile(which: 'cert' | 'key' | 'ca', file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_CONFIG', `distribute.tls.${which}: cannot read ${file} (${(cause as Error).message}); set the path of a readable PEM file`, { cause, path: file });
  }
}
