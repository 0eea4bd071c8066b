import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fsllmError } from '../errors/index.js';
import { atomicWrite } from '../util/atomicWrite.js';

const RAW_BASE = 'https://raw.githubusercontent.com';

/**
 * The folder downloaded data sets are cached in: `$XDG_CACHE_HOME/fsllm-native/datasets`, else
 * `~/.cache/fsllm-native/datasets`.
 */
export function defaultDatasetCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'fsllm-native', 'datasets');
}

/**
 * `url` served from `mirror` instead: a server laid out like raw.githubusercontent.com
 * (`<mirror>/<owner>/<repo>/<commit>/<path>`). URLs on other hosts are returned unchanged.
 */
export function mirrored(url: string, mirror: string | undefined): string {
  if (mirror === undefined || mirror === '' || !url.startsWith(`${RAW_BASE}/`)) return url;
  return `${mirror.replace(/\/+$/, '')}/${url.slice(RAW_BASE.length + 1)}`;
}

/**
/** What {@link downloadFile} accepts besides JSON. */
export interface DownloadCheck {
  /** Also accept a gzip body (HumanEval ships `.jsonl.gz`). */
  gzip?: boolean;
  /** The body's sha256 (hex) at the pinned URL: any other body is refused rather than cached. */
  sha256?: string;
}

/**
 * Downloads `url` into `file` with the global `fetch`, through a temporary file and a rename, so a crash
 * or a failed transfer never leaves half a file where a later run would read it. The body must look like
 * JSON or JSON Lines, or gzip when `check.gzip` (an HTML error page from a proxy is refused rather than
 * cached), and have `check.sha256` when given.
 * @param hint What the user can do instead, appended to every error message.
 * @throws `ERR_FSLLM_DATA` naming the URL on a network failure, an HTTP error status, a body of the wrong
 *   kind or digest.
 */
export async function downloadFile(url: string, file: string, hint: string, check: DownloadCheck = {}): Promise<void> {
  const fail = (what: string, cause?: unknown) =>
    fsllmError('ERR_FSLLM_DATA', `Cannot download ${url}: ${what}; ${hint}`, { cause, path: file });
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw fail(networkReason(cause), cause);
  }
  if (!response.ok) throw fail(`HTTP ${response.status} ${response.statusText}`.trim());
  let body: Uint8Array;
  try {
    body = new Uint8Array(await response.arrayBuffer());
  } catch (cause) {
    throw fail(`the transfer broke off (${networkReason(cause)})`, cause);
  }
  const gzip = body[0] === 0x1f && body[1] === 0x8b;
  const head = new TextDecoder().decode(body.subarray(0, 64)).trimStart();
  if (!(check.gzip === true && gzip) && !head.startsWith('[') && !head.startsWith('{')) {
    throw fail(`the response is not ${check.gzip === true ? 'JSON or gzip' : 'JSON'} (it starts ${JSON.stringify(head.slice(0, 20))})`);
  }
  if (check.sha256 !== undefined) {
    const digest = createHash('sha256').update(body).digest('hex');
    if (digest !== check.sha256) throw fail(`the file has sha256 ${digest}, not the pinned ${check.sha256}`);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await atomicWrite(file, body);
}

// fetch() rejects with TypeError('fetch failed') and the useful part (ECONNREFUSED, ENOTFOUND) in cause.
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined ? `${message} (${code})` : message;
}
