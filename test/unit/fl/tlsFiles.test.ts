import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { readTlsFile } from '../../../lib/fl/tlsFiles.js';
import { fails } from '../../helpers/errors.js';

test('readTlsFile should read a named PEM file, and name the key and the file when it cannot', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-tls-files-'));
  try {
    const pem = path.join(dir, 'server.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n');
    assert.is((await readTlsFile('cert', pem)).toString(), '-----BEGIN CERTIFICATE-----\n');
    const gone = path.join(dir, 'gone.pem');
    const e = await fails(() => readTlsFile('key', gone), 'ERR_FSLLM_CONFIG', /^distribute\.tls\.key: cannot read .*gone\.pem \(ENOENT/, /set the path of a readable PEM file/);
    assert.is(e.path, gone);
    await fails(() => readTlsFile('ca', dir), 'ERR_FSLLM_CONFIG', /^distribute\.tls\.ca: cannot read .* \(EISDIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
