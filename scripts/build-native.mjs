// Builds the native addon: finds libtorch (scripts/find-libtorch.mjs), runs cmake-js on CMakeLists.txt
// into build/cmake, and copies fsllm_native.node to build/Release (or --copy-to DIR, for node-gyp).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch } from './find-libtorch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const copyIndex = args.indexOf('--copy-to');
const copyTo = copyIndex >= 0 ? path.resolve(args[copyIndex + 1]) : path.join(root, 'build', 'Release');
const debug = args.includes('--debug');

const torch = findLibtorch();
console.log(`fsllm-native: using libtorch from ${torch.how}: ${torch.dir}`);

const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const outDir = path.join(root, 'build', 'cmake');
const cmakeArgs = [cmakeJs, 'compile', '--out', outDir, `--CDTorch_DIR=${torch.dir}`];
if (debug) cmakeArgs.push('--debug');
execFileSync(process.execPath, cmakeArgs, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: String(os.availableParallelism?.() ?? os.cpus().length) },
});

mkdirSync(copyTo, { recursive: true });
const built = path.join(outDir, debug ? 'Debug' : 'Release', 'fsllm_native.node');
// Copy then rename: a process that has the old addon mapped keeps a valid file.
const temp = path.join(copyTo, `fsllm_native.node.${process.pid}.tmp`);
copyFileSync(built, temp);
renameSync(temp, path.join(copyTo, 'fsllm_native.node'));
console.log(`fsllm-native: built ${path.join(copyTo, 'fsllm_native.node')}`);
