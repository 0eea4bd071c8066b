import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { binding, FsllmError, NATIVE_BINDING_KEYS } from '../../lib/index.js';
import { expectError } from './_support.js';

// ---

const surface = suite('binding');

surface('should export exactly the members NativeBinding declares', () => {
  assert.equal(Object.keys(binding()).sort(), [...NATIVE_BINDING_KEYS].sort());
});

surface('should be loaded once', () => {
  assert.is(binding(), binding());
});

surface('runtimeInfo should report the threads, the torch version and the BLAS in use', () => {
  const info = binding().runtimeInfo();
  assert.ok(Number.isInteger(info.threads) && info.threads >= 1, `threads ${info.threads}`);
  assert.match(info.torchVersion, /^\d+\.\d+/);
  assert.type(info.cudaAvailable, 'boolean');
  if (process.platform === 'linux') assert.match(info.blas, /^\/.*\.so/, `blas ${info.blas}`);
});

surface('setNumThreads should set the intra-op thread count and restore it', () => {
  const before = binding().runtimeInfo().threads;
  try {
    assert.is(binding().setNumThreads(1), 1);
    assert.is(binding().runtimeInfo().threads, 1);
  } finally {
    assert.is(binding().setNumThreads(before), before);
  }
  assert.is(binding().runtimeInfo().threads, before);
});

surface('setNumThreads should refuse a negative count', async () => {
  await expectError(() => binding().setNumThreads(-1), FsllmError, 'ERR_FSLLM_INVALID_ARG', /non-negative integer for threads/);
});

surface.run();
