// Hostile samples: each must fail (or be contained) alone and leave the host and the run intact. Real
// processes in real namespaces; skipped visibly where the machine cannot make them.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { humanEvalProgram, readHumanEval } from '../../lib/eval/index.js';
import { probeIsolation, runProgram, SandboxPool, type RunProgramOptions } from '../../lib/eval/sandbox/index.js';
import { runProgramWith } from '../../lib/eval/sandbox/runProgram.js';
import { REPO } from '../helpers/paths.js';
import { namespaces, when } from '../helpers/requirements.js';
import { eventually, hostCanSpawn, processesWith, sandboxUidProcesses, uniqueSleep } from './_sandboxHost.js';
import { humanEvalSample } from './_support.js';

const NAMESPACES = namespaces();
const py = (source: string, extra: Partial<RunProgramOptions> = {}): RunProgramOptions => ({ language: 'python', source, ...extra });

// ---

const network = when(NAMESPACES, suite<{ server: net.Server; port: number; connections: number }>('runProgram :: network'));
network.before(async (ctx) => {
  ctx.connections = 0;
  ctx.server = net.createServer((socket) => {
    ctx.connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
  ctx.port = (ctx.server.address() as net.AddressInfo).port;
});
network.after(async ({ server }) => {
  await new Promise((resolve) => server.close(resolve));
});

network('should fail a sample that opens sockets, reaching neither the internet, DNS nor the host', async (ctx) => {
  const result = await runProgram(py(`
import socket, sys
ok = []
for host, port in [('1.1.1.1', 53), ('8.8.8.8', 443), ('127.0.0.1', ${ctx.port})]:
    try:
        socket.create_connection((host, port), timeout=3).close()
        ok.append(host)
    except OSError as e:
        print('refused', host, e, file=sys.stderr)
try:
    socket.getaddrinfo('example.com', 80)
    ok.append('dns')
except OSError as e:
    print('no dns', e, file=sys.stderr)
print('connected', ok)
sys.exit(1 if not ok else 0)
`));
  assert.is(result.status, 'failed', result.stdout + result.stderr);
  assert.match(result.stdout, /connected \[\]/);
  assert.match(result.stderr, /unreachable/i);
  assert.is(ctx.connections, 0, 'the host server saw no connection');
});

network.run();

// ---

interface WriteCtx {
  tempRoot: string;
  victimDir: string;
  victim: string;
  name: string;
}

const writes = when(NAMESPACES, suite<WriteCtx>('runProgram :: writing outside its directory'));
writes.before((ctx) => {
  ctx.tempRoot = mkdtempSync(path.join(os.tmpdir(), 'fsllm-sandbox-test-'));
  // A world-writable file the sample can see (/var/tmp is on the host's root file system, not covered).
  ctx.victimDir = mkdtempSync(path.join(existsSync('/var/tmp') ? '/var/tmp' : os.tmpdir(), 'fsllm-victim-'));
  chmodSync(ctx.victimDir, 0o777);
  ctx.victim = path.join(ctx.victimDir, 'victim.txt');
  writeFileSync(ctx.victim, 'original');
  chmodSync(ctx.victim, 0o666);
  ctx.name = `fsllm-escape-${process.pid}-${Date.now()}.txt`;
});
writes.after(({ tempRoot, victimDir, name }) => {
  rmSync(tempRoot, { recursive: true, force: true });
  rmSync(victimDir, { recursive: true, force: true });
  for (const stray of hostTargets(tempRoot, name)) rmSync(stray, { force: true });
});

/** Where a sample might try to leave a file on the host. */
function hostTargets(tempRoot: string, name: string): string[] {
  return [path.join(tempRoot, name), path.join(os.tmpdir(), name), path.join(REPO, name), path.join('/var/tmp', name), path.join('/dev/shm', name), path.join(os.homedir(), name)];
}

function escapeSource(ctx: WriteCtx): string {
  const targets = [...hostTargets(ctx.tempRoot, ctx.name), `../${ctx.name}`, ctx.victim];
  return `
import json
wrote = []
for p in ${JSON.stringify(targets)}:
    try:
        with open(p, 'w') as f:
            f.write('escaped')
        wrote.append(p)
    except OSError as e:
        print('refused', p, e)
print('wrote inside its view', wrote)
`;
}

const isolations = [
  ['this machine\'s isolation', (options: RunProgramOptions) => runProgram(options)],
  // As root, the unprivileged path (a user namespace, no uid of its own) is tested too.
  ['a user namespace', async (options: RunProgramOptions) => runProgramWith({ ...(await probeIsolation()), namespaces: 'user', ownUid: false }, options)],
] as const;

for (const [label, run] of isolations) {
  writes(`should leave nothing on the host :: ${label}`, async (ctx) => {
    const result = await run(py(escapeSource(ctx), { tempRoot: ctx.tempRoot }));
    assert.is(result.status, 'passed', result.stderr);
    for (const target of hostTargets(ctx.tempRoot, ctx.name)) assert.not.ok(existsSync(target), `${target} must not exist on the host`);
    assert.is(readFileSync(ctx.victim, 'utf8'), 'original', 'a world-writable host file keeps its content');
    assert.match(result.stdout, /Read-only file system/);
    assert.equal(readdirSync(ctx.tempRoot), [], 'the sample directory is removed');
  });
}

writes.run();

// ---

const processes = when(NAMESPACES, suite('runProgram :: processes'));

processes('should kill a sample that sleeps forever at its timeout, with everything it started', async () => {
  const marker = uniqueSleep();
  const result = await runProgram(py(`
import subprocess, time
subprocess.Popen(['sleep', '${marker}'])
subprocess.Popen(['sleep', '${marker}'], start_new_session=True)
time.sleep(10**9)
`, { limits: { timeoutMs: 1_500 } }));
  assert.is(result.status, 'timeout');
  assert.ok(result.ms >= 1_500 && result.ms < 5_000, `killed at the deadline (${result.ms} ms)`);
  assert.ok(await eventually(() => processesWith(marker).length === 0), `left running: ${processesWith(marker).join('\n')}`);
});

processes('should kill a background child that outlives its parent, even in a session of its own', async () => {
  const marker = uniqueSleep();
  const result = await runProgram(py(`
import subprocess
subprocess.Popen(['sleep', '${marker}'], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print('parent exits')
`));
  assert.is(result.status, 'passed', result.stderr);
  assert.ok(await eventually(() => processesWith(marker).length === 0), `left running: ${processesWith(marker).join('\n')}`);
});

processes('should bound a fork bomb, kill it whole, and let a sample beside it pass', async () => {
  const [task] = await readHumanEval(humanEvalSample('humaneval'));
  const pool = new SandboxPool({ workers: 2 });
  const [bomb, beside] = await Promise.all([
    pool.run(py(`
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
`, { limits: { timeoutMs: 3_000, processes: 32 } })),
    pool.run(humanEvalProgram(task!, task!.canonicalSolution)),
  ]);
  assert.is(bomb.status, 'timeout');
  assert.is(beside.status, 'passed', beside.stderr);
  assert.ok(await eventually(() => sandboxUidProcesses().length === 0), `left running: ${sandboxUidProcesses().join('\n')}`);
  assert.ok(hostCanSpawn(), 'the host can still start processes');
});

processes('should fail fast a sample that allocates 10 GB :: python', async () => {
  const result = await runProgram(py('b = bytearray(10 * 1024**3)\nprint(len(b))'));
  assert.is(result.status, 'failed');
  assert.match(result.stderr, /MemoryError/);
  assert.ok(result.ms < 5_000, `${result.ms} ms`);
});

processes('should fail fast a sample that allocates 10 GB :: js', async () => {
  // One typed array cannot be 10 GB long in Node; ten of 1 GiB each can be asked for.
  const source = 'const xs = [];\nfor (let i = 0; i < 10; i++) xs.push(new Uint8Array(2 ** 30).fill(1));\nconsole.log(xs.length);';
  const result = await runProgram({ language: 'js', source });
  assert.is(result.status, 'failed');
  assert.match(result.stderr, /allocation failed|out of memory/i);
  assert.ok(result.ms < 5_000, `${result.ms} ms`);
});

processes.run();

// ---

const secrets = when(NAMESPACES, suite<{ secret: string }>('runProgram :: environment'));
secrets.before((ctx) => {
  ctx.secret = `fsllm-secret-${process.pid}-${Math.random().toString(36).slice(2)}`;
  process.env['FSLLM_TEST_SECRET'] = ctx.secret;
});
secrets.after(() => {
  delete process.env['FSLLM_TEST_SECRET'];
});

secrets('should not show the harness\'s environment, in its own or any visible process', async ({ secret }) => {
  const result = await runProgram(py(`
import glob, os
print(sorted(os.environ))
print(os.environ.get('FSLLM_TEST_SECRET'))
for f in glob.glob('/proc/*/environ'):
    try:
        print(f, open(f, 'rb').read())
    except OSError as e:
        print(f, e)
`));
  assert.is(result.status, 'passed', result.stderr);
  assert.not.match(result.stdout + result.stderr, secret);
  assert.match(result.stdout, /\['HOME', 'LANG', 'PATH', 'PWD'\]/);
});

secrets.run();
