import { saveAdapter } from '../../native/peftAdapter.js';
import type { TrainerContext } from '../context.js';
import type { HookRegistry } from '../hookRegistry.js';

/** Saves the adapter (PEFT format, each file atomic) to `dir` every `every` steps and at fitEnd. */
export function addCheckpointing(hooks: HookRegistry<TrainerContext>, dir: string, every: number): void {
  hooks.register('batchEnd', 'checkpoint', async (ctx) => {
    if (every > 0 && (ctx.step + 1) % every === 0) await saveAdapter(ctx.model, dir);
  });
  hooks.register('fitEnd', 'checkpoint', async (ctx) => {
    await saveAdapter(ctx.model, dir);
  });
}
