// npm install hook: use a prebuild for this platform when the package ships one, else build from source
// with cmake-js (no node-gyp, so no Python is needed to install).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const hasPrebuild = existsSync(prebuildDir) && readdirSync(prebuildDir).some((f) => f.endsWith('.node'));

if (hasPrebuild && !process.env.FSLLM_BUILD_FROM_SOURCE) {
  console.log(`fsllm-native: using the prebuild in ${prebuildDir}`);
} else {
  await import('./build-native.mjs');
}
