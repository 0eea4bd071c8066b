/**
 * Finds out once per process how samples can be isolated here: the util-linux tools the sandbox drives,
 * and whether `unshare` may make network, mount and process namespaces, as root or inside a user namespace.
 * It decides nothing about whether to run; `runProgram` refuses a machine without namespaces unless the
 * caller allows it.
 */
import { spawn } from 'node:child_process';

import { findExecutable } from './findExecutable.js';
import type { IsolationSummary } from './types.js';

/** The isolation available here and the tools that provide it. */
export interface SandboxIsolation extends IsolationSummary {
  /** Absolute paths on the harness's PATH; `prlimit` is missing only on systems without util-linux. */
  tools: { sh: string; prlimit?: string; setpriv?: string; unshare?: string };
  /** Why `namespaces` is `'none'` (what was missing or refused), for the refusal message. */
  reason?: string;
}

/** Namespaces every namespaced sample gets (`--user --map-root-user` is added when not root). */
export const NAMESPACE_FLAGS = ['--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private'] as const;

let probed: Promise<SandboxIsolation> | undefined;

/** The isolation of this machine, probed on first call (two short `unshare ... true` runs at most). */
export function probeIsolation(): Promise<SandboxIsolation> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<SandboxIsolation> {
  const tools = {
    sh: findExecutable('sh', '/bin:/usr/bin') ?? '/bin/sh',
    prlimit: findExecutable('prlimit'),
    setpriv: findExecutable('setpriv'),
    unshare: findExecutable('unshare'),
  };
  const root = process.getuid?.() === 0;
  // A uid of its own needs root and setpriv; it is what makes RLIMIT_NPROC count the sample alone.
  const ownUid = root && tools.setpriv !== undefined;
  if (process.platform !== 'linux') return { namespaces: 'none', ownUid, tools, reason: `namespaces are Linux-only (this is ${process.platform})` };
  if (tools.unshare === undefined) return { namespaces: 'none', ownUid, tools, reason: 'unshare (util-linux) is not on PATH' };
  if (tools.setpriv === undefined) return { namespaces: 'none', ownUid, tools, reason: 'setpriv (util-linux) is not on PATH' };
  if (root && (await succeeds(tools.unshare, [...NAMESPACE_FLAGS, 'true']))) return { namespaces: 'root', ownUid, tools };
  if (await succeeds(tools.unshare, ['--user', '--map-root-user', ...NAMESPACE_FLAGS, 'true'])) return { namespaces: 'user', ownUid: false, tools };
  return { namespaces: 'none', ownUid, tools, reason: 'unshare may not create network, mount and PID namespaces here (kernel, container or sysctl policy)' };
}

function succeeds(command: string, args: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}
