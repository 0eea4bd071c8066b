/**
 * The uids samples run under when the harness is root: one per sample running at the same time, so that
 * RLIMIT_NPROC (counted per uid) bounds each sample alone and no two samples can signal or write each
 * other's files. They are taken from a range no account uses (systemd's "unused" 1879048192-2147483647,
 * above every container range); they need no passwd entry.
 */

/** The lowest sandbox uid; gid is the same number. */
export const SANDBOX_UID_BASE = 1_900_000_000;

// Each harness process starts in a block of its own, so that two processes on one machine (two runs, or
// test files in parallel) do not share uids, and with them a process budget.
const PROCESS_BLOCK = SANDBOX_UID_BASE + (process.pid % 4096) * 256;

const inUse = new Set<number>();

/** The lowest free sandbox uid of this process's block, reserved until `releaseSandboxUid`. */
export function acquireSandboxUid(): number {
  let uid = PROCESS_BLOCK;
  while (inUse.has(uid)) uid += 1;
  inUse.add(uid);
  return uid;
}

/** Hands `uid` back once every process of its sample is gone. */
export function releaseSandboxUid(uid: number): void {
  inUse.delete(uid);
}
