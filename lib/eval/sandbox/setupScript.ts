/**
 * The shell script that becomes PID 1 of a sample's namespaces (as root there: real root, or root of a
 * fresh user namespace). It builds the sample's view of the file system, reports "ready" on fd 3, runs the
 * sample's command as its child and exits with its status; when it exits the kernel kills whatever the
 * sample left in its PID namespace. It never touches the host: every mount is made with `--propagation
 * private` in the sample's own mount namespace, and with `-n` so that /run/mount/utab is not written.
 *
 * The view: every existing mount read-only (bind remounts keep each mount's other flags, which a user
 * namespace may not drop); a private tmpfs on /tmp and /dev/shm; the sample's directory at /tmp/sample
 * (read-write); optionally a toolchain (read-only, at /tmp/.toolchain) and a compiler cache at /tmp/.cache
 * (an overlay over a read-only warm cache, or the warm cache itself while it is being built); empty
 * read-only tmpfs over `hide` (/run with its daemon sockets, and the user's home in a user namespace).
 */
import { shellQuote } from './shellQuote.js';

/** Where the sample finds its things inside its namespaces. */
export const SANDBOX_PATHS = Object.freeze({ sample: '/tmp/sample', toolchain: '/tmp/.toolchain', cache: '/tmp/.cache' });

/** What to mount for one step; host paths. */
export interface MountPlan {
  sampleDir: string;
  /** A toolchain root the sample's uid could not reach where it is (e.g. under /root). */
  toolchainRoot?: string;
  /** `'overlay'`: writes land in the sample's directory, the cache stays as it was; `'rw'`: writes go to the cache. */
  cache?: { dir: string; mode: 'overlay' | 'rw' };
  /** The uid (and gid) that must own the cache mount point, when the sample runs under its own uid. */
  owner?: number;
  hide: readonly string[];
  /** Size of the private /tmp, MiB. */
  tmpMiB: number;
}

const STAGE = '/dev/shm/.fsllm-stage';
const { sample: SAMPLE, toolchain: TOOLCHAIN, cache: CACHE } = SANDBOX_PATHS;

/** The script for `sh -c`; the command to run follows as `"$@"`. */
export function setupScript(plan: MountPlan): string {
  const q = shellQuote;
  const lines = [
    // Set-up messages go to the status pipe (fd 3), not into the sample's stderr.
    'exec 4>&2 2>&3',
    'set -eu',
    'm() { mount -n "$@"; }',
    'm -t tmpfs -o size=16m,mode=1777,nosuid,nodev fsllm-shm /dev/shm',
    // Stage first: the binds keep their read-write flag, and stay reachable once /tmp and `hide` are covered.
    `mkdir ${STAGE} ${STAGE}/sample`,
    `m --bind ${q(plan.sampleDir)} ${STAGE}/sample`,
  ];
  if (plan.toolchainRoot !== undefined) {
    lines.push(`mkdir ${STAGE}/toolchain`, `m --bind ${q(plan.toolchainRoot)} ${STAGE}/toolchain`, `m -o remount,bind,ro ${STAGE}/toolchain`);
  }
  if (plan.cache !== undefined) {
    lines.push(`mkdir ${STAGE}/cache`, `m --bind ${q(plan.cache.dir)} ${STAGE}/cache`);
    if (plan.cache.mode === 'overlay') lines.push(`m -o remount,bind,ro ${STAGE}/cache`);
  }
  lines.push(
    // Every mount the host gave us becomes read-only (pseudo file systems excepted; /dev/shm is ours already).
    'while read -r _ _ _ _ mp opts _; do',
    '  case $mp in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|*\\\\*) continue ;; esac',
    '  o=${opts#rw}; o=${o#ro}',
    '  m -o "remount,bind,ro$o" "$mp" || [ "$mp" != / ]',
    'done < /proc/self/mountinfo',
    ...plan.hide.map((dir) => `[ ! -d ${q(dir)} ] || m -t tmpfs -o ro,size=4k,mode=755 fsllm-hidden ${q(dir)}`),
    `m -t tmpfs -o size=${plan.tmpMiB}m,mode=1777,nosuid,nodev fsllm-tmp /tmp`,
    `mkdir ${SAMPLE} && m --move ${STAGE}/sample ${SAMPLE}`,
    // Compiled programs run from the sample's directory: a noexec temp root (a common hardening) would fail
    // every one of them as if the program were wrong. mount(8) keeps the mount's other flags on a remount.
    `m -o remount,bind,exec ${SAMPLE}`,
  );
  if (plan.toolchainRoot !== undefined) lines.push(`mkdir ${TOOLCHAIN} && m --move ${STAGE}/toolchain ${TOOLCHAIN}`);
  if (plan.cache?.mode === 'rw') lines.push(`mkdir ${CACHE} && m --move ${STAGE}/cache ${CACHE}`);
  if (plan.cache?.mode === 'overlay') {
    const upper = `${SAMPLE}/.fsllm/cache-upper`;
    const work = `${SAMPLE}/.fsllm/cache-work`;
    lines.push(
      `mkdir -p ${CACHE} ${upper} ${work}`,
      // Without overlayfs (old kernels in a user namespace) the sample gets an empty cache: slower, same result.
      `m -t overlay fsllm-cache -o lowerdir=${STAGE}/cache,upperdir=${upper},workdir=${work} ${CACHE} || echo 'fsllm-sandbox: no overlayfs; cold cache' >&2`,
    );
  }
  // The sample's uid writes the cache: new entries only (overlay), or the warm cache being built (rw).
  if (plan.cache !== undefined && plan.owner !== undefined) {
    lines.push(`chown ${plan.cache.mode === 'rw' ? '-R ' : ''}${plan.owner}:${plan.owner} ${CACHE}`);
  }
  lines.push(
    'exec 2>&4 4>&-',
    'echo ready >&3',
    'exec 3>&-',
    `cd ${SAMPLE}`,
    // OLDPWD would tell the sample where its directory is on the host.
    'unset OLDPWD',
    'set +e',
    '"$@"',
    'exit $?',
  );
  return `${lines.join('\n')}\n`;
}
