/**
 * The argv that runs one step's command in the sample's isolation:
 *   setpriv --pdeathsig KILL -- unshare [--user --map-root-user] <namespaces> -- sh -c <setup> fsllm-sandbox
 *     setpriv <drop> -- prlimit <limits> -- <command...>
 * The outer setpriv makes the whole tree die with the harness; unshare --kill-child and PID 1's exit make
 * it die with the step. The inner setpriv drops to the sample's uid (as root) or every capability (in a
 * user namespace), with no_new_privs so no setuid program can climb back; prlimit sets the limits last.
 */
import type { SandboxIsolation } from './probeIsolation.js';
import { NAMESPACE_FLAGS } from './probeIsolation.js';
import { setupScript, type MountPlan } from './setupScript.js';
import type { SandboxLimits } from './types.js';

/** Everything that decides one step's argv. */
export interface StepCommandSpec {
  isolation: SandboxIsolation;
  /** The sample's own uid (set iff `isolation.ownUid`). */
  uid?: number;
  /** Namespaced isolation only. */
  mounts?: MountPlan;
  limits: Readonly<SandboxLimits>;
  command: readonly string[];
}

/** The argv of one step (see the file comment for its shape). */
export function stepCommand(spec: StepCommandSpec): string[] {
  const { tools } = spec.isolation;
  if (tools.prlimit === undefined) throw new Error('stepCommand needs prlimit; runProgram checks for it first');
  const { cpuSeconds, memoryBytes, fileBytes, processes } = spec.limits;
  const limited = [
    tools.prlimit,
    `--cpu=${cpuSeconds}:${cpuSeconds + 1}`,
    `--data=${memoryBytes}`,
    `--fsize=${fileBytes}`,
    `--nproc=${processes}`,
    // No core files: not into the sample's directory, and not through the host's core_pattern helper.
    '--core=0',
    '--',
    ...spec.command,
  ];
  const drop = dropFlags(spec);
  if (spec.isolation.namespaces === 'none') {
    return tools.setpriv === undefined ? limited : [tools.setpriv, '--pdeathsig', 'SIGKILL', ...drop, '--', ...limited];
  }
  if (spec.mounts === undefined || tools.unshare === undefined || tools.setpriv === undefined) {
    throw new Error('a namespaced step needs its mount plan, unshare and setpriv');
  }
  const user = spec.isolation.namespaces === 'user' ? ['--user', '--map-root-user'] : [];
  return [
    tools.setpriv, '--pdeathsig', 'SIGKILL', '--',
    tools.unshare, ...user, ...NAMESPACE_FLAGS, '--',
    tools.sh, '-c', setupScript(spec.mounts), 'fsllm-sandbox',
    tools.setpriv, ...drop, '--', ...limited,
  ];
}

function dropFlags(spec: StepCommandSpec): string[] {
  const caps = ['--inh-caps=-all', '--bounding-set=-all', '--no-new-privs'];
  if (spec.uid !== undefined) return [`--reuid=${spec.uid}`, `--regid=${spec.uid}`, '--clear-groups', ...caps];
  // In a user namespace the sample stays its root, but without a capability it cannot undo the mounts.
  return spec.isolation.namespaces === 'user' ? caps : ['--no-new-privs'];
}
