// Finds a libtorch CMake config in the documented order and, on a Debian/Ubuntu machine where we are
// root and none is found, installs Debian's libtorch-dev with OpenBLAS. Used by build-native.mjs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const CONFIG = 'TorchConfig.cmake';

function hasConfig(dir) {
  return Boolean(dir) && existsSync(path.join(dir, CONFIG));
}

function pipTorchDir() {
  const python = process.env.PYTHON || 'python3';
  const probe = spawnSync(python, ['-c', 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "share", "cmake", "Torch"))'], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

function debianTorchDirs() {
  const out = [];
  if (!existsSync('/usr/lib')) return out;
  for (const entry of readdirSync('/usr/lib')) {
    const dir = path.join('/usr/lib', entry, 'cmake', 'Torch');
    if (hasConfig(dir)) out.push(dir);
  }
  return out;
}

/** Candidates in priority order, each with how it was found. */
export function libtorchCandidates() {
  const found = [];
  if (process.env.LIBTORCH) found.push({ how: 'LIBTORCH', dir: path.join(process.env.LIBTORCH, 'share', 'cmake', 'Torch') });
  if (process.env.Torch_DIR) found.push({ how: 'Torch_DIR', dir: process.env.Torch_DIR });
  const pip = pipTorchDir();
  if (pip) found.push({ how: 'pip-installed torch', dir: pip });
  for (const dir of debianTorchDirs()) found.push({ how: "Debian's libtorch-dev", dir });
  return found;
}

function isDebianRoot() {
  return existsSync('/etc/debian_version') && typeof process.getuid === 'function' && process.getuid() === 0;
}

function aptInstall(packages) {
  console.log(`fsllm-native: installing ${packages.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', ...packages], { stdio: 'inherit', env });
}

function dpkgInstalled(name) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/**
 * Debian's libtorch calls BLAS through libblas.so.3, which is the ~60x slower reference BLAS unless an
 * optimised one is installed: make sure OpenBLAS is there (installing it when we may), or say so loudly.
 */
function ensureOpenBlas() {
  if (dpkgInstalled('libopenblas0-pthread') || dpkgInstalled('libopenblas0-openmp') || dpkgInstalled('libopenblas0')) return;
  if (isDebianRoot()) {
    aptInstall(['libopenblas0-pthread']);
    return;
  }
  console.warn(
    "fsllm-native: WARNING: Debian's libtorch is using the reference BLAS, which is ~60x slower.\n" +
      '  Fix: sudo apt-get install libopenblas0-pthread',
  );
}

/**
 * Data parallelism (train.dataParallel) builds on libtorch's c10d ProcessGroupGloo, whose header includes
 * gloo's own headers; Debian ships those apart from libtorch-dev. Without them the addon builds without
 * data parallelism (it then refuses train.dataParallel with ERR_FSLLM_UNSUPPORTED), so this only warns.
 */
function ensureGlooHeaders() {
  if (dpkgInstalled('libgloo-dev')) return;
  if (isDebianRoot()) {
    aptInstall(['libgloo-dev']);
    return;
  }
  console.warn('fsllm-native: gloo headers are missing, so this build has no data parallelism (train.dataParallel).\n  Fix: sudo apt-get install libgloo-dev');
}

/** Returns the chosen {how, dir}; throws with every path tried and the fix when none works. */
export function findLibtorch() {
  let candidates = libtorchCandidates();
  let chosen = candidates.find((c) => hasConfig(c.dir));
  if (!chosen && isDebianRoot()) {
    aptInstall(['libtorch-dev', 'libopenblas0-pthread', 'libgloo-dev']);
    candidates = libtorchCandidates();
    chosen = candidates.find((c) => hasConfig(c.dir));
  }
  if (!chosen) {
    const tried = candidates.length
      ? candidates.map((c) => `  - ${c.how}: ${path.join(c.dir, CONFIG)} (not found)`).join('\n')
      : '  - no LIBTORCH, Torch_DIR, pip torch or Debian libtorch-dev was present';
    throw new Error(
      `fsllm-native: libtorch was not found. Tried, in order:\n${tried}\n` +
        'Fix one of: set LIBTORCH to an unpacked libtorch folder (pytorch.org "LibTorch" download); ' +
        'set Torch_DIR to a folder holding TorchConfig.cmake; pip install torch; ' +
        'or on Debian/Ubuntu: sudo apt-get install libtorch-dev libopenblas0-pthread libgloo-dev',
    );
  }
  if (chosen.how === "Debian's libtorch-dev") {
    ensureOpenBlas();
    ensureGlooHeaders();
  }
  return chosen;
}
