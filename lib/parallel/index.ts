/** Data parallelism: one trainer as several processes over c10d. Public exports only. */
export { ReplicaTeam, type ReplicaTeamOptions } from './ReplicaTeam.js';
export { serveAsReplica, type ReplicaSession } from './serveAsReplica.js';
export { loraReplicaScript, type LoraReplicaSetup } from './loraReplica.js';
