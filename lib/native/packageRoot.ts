import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (where package.json, assets/, build/ and prebuilds/ are), from this file's location:
 * lib/native/ in the sources and dist/native/ once built are both two folders below it.
 */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
