// Headless Chromium for tests that check a page really renders: find the binary, run it bounded by a
// timeout in a throwaway profile, and decode the PNG screenshots it writes (no image library needed).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';

import type { Requirement } from './requirements.js';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

const INSTALL_HINT = 'install it (Debian/Ubuntu: apt-get install -y chromium) or set CHROME_PATH to the browser binary';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The browser binary: `CHROME_PATH`, else the first of chromium, chromium-browser, google-chrome on PATH; null if none. */
export function findChromium(): string | null {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) return executable(fromEnv) ? fromEnv : null;
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      if (executable(file)) return file;
    }
  }
  return null;
}

/** Why a Chromium test cannot run, and how to fix it. */
export const CHROMIUM_MISSING = `Chromium not found: ${INSTALL_HINT}`;

/**
 * The browser tests' requirement. Locally a machine without Chromium skips them (counted, with the reason);
 * in CI (`process.env.CI` set) they must run, since CI installs Chromium: a missing browser fails them there.
 */
export function chromiumRequirement(): Requirement {
  return { met: findChromium() !== null || Boolean(process.env.CI), reason: `need a browser to render report.html (${CHROMIUM_MISSING})` };
}

export interface ChromiumResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs headless Chromium with `args` in a fresh temporary profile and resolves when it exits. The
 * browser runs in its own process group, which is killed afterwards (it leaves helper processes
 * behind otherwise) and also when `timeoutMs` passes, in which case the promise rejects.
 */
export async function runChromium(binary: string, args: string[], timeoutMs = 20_000): Promise<ChromiumResult> {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'fsllm-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--no-default-browser-check', '--disable-extensions', '--hide-scrollbars', '--mute-audio', `--user-data-dir=${profile}`];
  try {
    return await new Promise<ChromiumResult>((resolve, reject) => {
      const child = spawn(binary, [...flags, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
      child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
      const killGroup = (): void => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch { /* already gone */ }
      };
      const timer = setTimeout(() => {
        killGroup();
        reject(new Error(`Chromium did not finish within ${timeoutMs} ms; stderr:\n${stderr.slice(-2000)}`));
      }, timeoutMs);
      child.on('error', (error) => { clearTimeout(timer); reject(error); });
      child.on('close', (code) => {
        clearTimeout(timer);
        killGroup();
        resolve({ stdout, stderr, code });
      });
    });
  } finally {
    await fs.rm(profile, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** The DOM of `file` after loading, as Chromium serialises it (`--dump-dom`). */
export async function dumpDom(binary: string, file: string): Promise<string> {
  const { stdout, stderr, code } = await runChromium(binary, ['--dump-dom', pathToFileURL(file).href]);
  if (code !== 0 || !stdout) throw new Error(`chromium --dump-dom exited with ${code}; stderr:\n${stderr.slice(-2000)}`);
  return stdout;
}

/** Writes a PNG screenshot of `file` at `width`×`height` CSS px to `png`. */
export async function screenshot(binary: string, file: string, png: string, width = 1200, height = 2000): Promise<void> {
  await fs.rm(png, { force: true });
  const { stderr, code } = await runChromium(binary, [`--screenshot=${png}`, `--window-size=${width},${height}`, pathToFileURL(file).href]);
  const written = await fs.stat(png).then((s) => s.size > 0, () => false);
  if (!written) throw new Error(`chromium --screenshot wrote nothing (exit ${code}); stderr:\n${stderr.slice(-2000)}`);
}

// --- PNG decoding (8-bit grey, grey+alpha, RGB and RGBA, not interlaced: what browsers write)

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, rows top to bottom. */
  rgba: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a PNG: reads the chunks, inflates the joined IDAT data and undoes each row's filter. */
export function decodePng(png: Uint8Array): DecodedPng {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.readUInt32BE(0) !== 0x89504e47 || buf.readUInt32BE(4) !== 0x0d0a1a0a) throw new Error('not a PNG');
  let width = 0, height = 0, depth = 0, colorType = 0, interlace = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= buf.length;) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      [width, height, depth, colorType, interlace] = [data.readUInt32BE(0), data.readUInt32BE(4), data[8]!, data[9]!, data[12]!];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length; // length, type, data, CRC
  }
  const channels = ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[colorType];
  if (depth !== 8 || channels === undefined || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter > 4) throw new Error(`bad PNG filter ${filter} on row ${y}`);
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels]! : 0;
      const b = y > 0 ? pixels[row - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[row - stride + x - channels]! : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      pixels[row + x] = (raw[src + x]! + predictor) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    const grey = channels <= 2;
    rgba[i * 4] = pixels[p]!;
    rgba[i * 4 + 1] = grey ? pixels[p]! : pixels[p + 1]!;
    rgba[i * 4 + 2] = grey ? pixels[p]! : pixels[p + 2]!;
    rgba[i * 4 + 3] = channels === 2 ? pixels[p + 1]! : channels === 4 ? pixels[p + 3]! : 255;
  }
  return { width, height, rgba };
}
