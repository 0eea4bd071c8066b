import type { AdapterState } from '../../native/adapterState.js';
import type { Hook } from '../hookRegistry.js';
import type { TrainerContext } from '../context.js';

/** What a client keeps in host memory between its turns on the shared model. */
export interface OffloadedState {
  adapter: AdapterState;
  /** Optimizer moments, when the client keeps them across rounds. */
  optimizer: Float32Array | null;
}

/**
 * fitEnd hook: copies the trained adapter (and the optimizer state when `withOptimizer`) to host buffers
 * and hands them to `keep`, so the native model can serve the next client (FS-LLM's `mv_to_cpu`).
 */
export function offloadHook(keep: (state: OffloadedState) => void, withOptimizer: boolean): Hook<TrainerContext> {
  return async (ctx) => {
    const adapter = await ctx.model.exportAdapter();
    const optimizer = withOptimizer ? await ctx.session.exportOptimizerState() : null;
    keep({ adapter, optimizer });
  };
}
