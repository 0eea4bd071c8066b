/**
 * Entry point of a data-parallel rank (train.dataParallel) other than 0: the same client model as rank 0's
 * (openClientModel with the run options, in one process), serving rank 0's steps. Started by the
 * ReplicaTeam that openClientModel makes for rank 0.
 */
import { serveAsReplica } from '../parallel/serveAsReplica.js';
import { openClientModel, type ReplicaSetup } from './clientModel.js';

serveAsReplica<ReplicaSetup>(async ({ options, emulatorDir }) => {
  const clientModel = await openClientModel(options, emulatorDir);
  return { session: clientModel.session, dispose: () => clientModel.dispose() };
});
