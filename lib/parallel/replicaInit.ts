/**
 * What rank 0 tells each rank process it starts (lib/parallel/ReplicaTeam.ts), and what the process answers,
 * on the process's IPC channel. The tensors themselves never travel here: they go through c10d.
 */

/** Parent → rank process, the first message. `setup` is what the rank's script needs to build its session. */
export interface ReplicaInit<Setup = unknown> {
  kind: 'replicaInit';
  rank: number;
  worldSize: number;
  host: string;
  port: number;
  timeoutMs: number;
  setup: Setup;
}

/** Rank process → parent, once its session is built and it is about to join the group. */
export interface ReplicaReady {
  kind: 'replicaReady';
  rank: number;
}

export function isReplicaInit(message: unknown): message is ReplicaInit {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'replicaInit';
}

export function isReplicaReady(message: unknown): message is ReplicaReady {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'replicaReady';
}
