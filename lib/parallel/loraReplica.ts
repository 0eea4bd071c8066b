/**
 * A rank script for data parallelism over a plain model with LoRA (ReplicaTeam's `script`, from
 * {@link loraReplicaScript}): each rank loads `model`, attaches `lora` and opens a session with `session`'s
 * options, as rank 0 did, then serves rank 0's steps. Federated runs use lib/fl/replicaProcess instead.
 */
import { fileURLToPath } from 'node:url';
import { Model } from '../native/Model.js';
import type { LoadModelOptions } from '../native/loadModelOptions.js';
import type { LoraOptions } from '../native/lora.js';
import { TrainSession, type TrainSessionOptions } from '../native/TrainSession.js';
import { siblingScript } from '../util/siblingScript.js';
import { serveAsReplica } from './serveAsReplica.js';

export interface LoraReplicaSetup {
  /** What rank 0 loaded (a path Model.load takes) and how. */
  model: string;
  load?: LoadModelOptions;
  lora: LoraOptions;
  session?: TrainSessionOptions;
}

/** This script's path (ReplicaTeam's `script`). */
export function loraReplicaScript(): string {
  return siblingScript(import.meta.url, 'loraReplica');
}

// Importing the module (for loraReplicaScript) must not turn the importer into a rank: only running it does.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  serveAsReplica<LoraReplicaSetup>(async (setup) => {
    const model = await Model.load(setup.model, setup.load);
    try {
      await model.attachLora(setup.lora);
      const session = await TrainSession.create(model, setup.session);
      return {
        session,
        dispose: async () => {
          await session.dispose();
          await model.dispose();
        },
      };
    } catch (error) {
      await model.dispose();
      throw error;
    }
  });
}
