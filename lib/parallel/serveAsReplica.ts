/**
 * The body of a rank process (ranks other than 0 of a data-parallel group): wait for rank 0's init, build the
 * session with the caller's `open`, join the group, and serve rank 0's steps until it stops them. The
 * process ends with code 0 after a stop, 1 on any failure, and without a word when rank 0 goes away (its
 * channel closes): there is nobody left to tell.
 */
import type { TrainSession } from '../native/TrainSession.js';
import { ReplicaGroup } from '../native/ReplicaGroup.js';
import { isReplicaInit, type ReplicaInit, type ReplicaReady } from './replicaInit.js';

/** A rank's session and how to release it. */
export interface ReplicaSession {
  session: TrainSession;
  dispose(): Promise<void>;
}

function fail(error: unknown): never {
  process.stderr.write(`fsllm replica process: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}

async function serve<Setup>(init: ReplicaInit<Setup>, open: (setup: Setup) => Promise<ReplicaSession>): Promise<void> {
  const replica = await open(init.setup);
  const group = ReplicaGroup.open({ rank: init.rank, worldSize: init.worldSize, host: init.host, port: init.port, timeoutMs: init.timeoutMs });
  const orphaned = new AbortController();
  process.once('disconnect', () => orphaned.abort());
  process.send!({ kind: 'replicaReady', rank: init.rank } satisfies ReplicaReady);
  await group.connect();
  await replica.session.serveReplicas(group, { signal: orphaned.signal });
  group.close();
  await replica.dispose();
}

/** Runs this process as a rank: call it once, at the top level of the rank's script. */
export function serveAsReplica<Setup>(open: (setup: Setup) => Promise<ReplicaSession>): void {
  if (!process.send) fail(new Error('a replica process must be started by ReplicaTeam (it needs an IPC channel)'));
  process.once('message', (message) => {
    if (!isReplicaInit(message)) fail(new Error(`expected a replicaInit message, received ${JSON.stringify(message)}`));
    serve(message as ReplicaInit<Setup>, open).then(
      () => process.exit(0),
      (error) => (process.connected ? fail(error) : process.exit(0)),
    );
  });
}
