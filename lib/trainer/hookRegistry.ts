/**
 * Named hooks per trigger, run in order: register before/after a named hook, replace, remove. This is the
 * local trainer's extension point (FS-LLM's register_hook_in_train / replace_hook_in_train), so FedProx,
 * logging, schedules and checkpoints are hooks, not branches in the loop.
 */
import { invalidArg } from '../errors/index.js';

/** When hooks fire, in the order of one local fit. */
export const TRIGGERS = ['fitStart', 'epochStart', 'batchStart', 'batchForward', 'batchBackward', 'batchEnd', 'epochEnd', 'fitEnd'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** A hook gets the trainer's context; it may be async (awaited before the next hook). */
export type Hook<C> = (ctx: C) => void | Promise<void>;

export interface NamedHook<C> {
  name: string;
  fn: Hook<C>;
}

/** Where a new hook goes: at the end (default), or just before / after the hook of that name. */
export type Position = { before: string } | { after: string } | { first: true } | undefined;

export class HookRegistry<C> {
  readonly #hooks = new Map<Trigger, NamedHook<C>[]>(TRIGGERS.map((t) => [t, []]));

  /**
   * Adds `fn` as `name` on `trigger`.
   * @throws `ERR_FSLLM_INVALID_ARG` for an unknown trigger, a name already used on it, or an unknown anchor.
   */
  register(trigger: Trigger, name: string, fn: Hook<C>, position?: Position): this {
    const list = this.#list(trigger);
    if (typeof fn !== 'function') throw invalidArg(`hook ${name}`, 'a function', fn);
    if (list.some((h) => h.name === name)) throw invalidArg('name', `a name not yet used on ${trigger} (use replace() to swap a hook)`, name);
    const hook = { name, fn };
    if (position === undefined) list.push(hook);
    else if ('first' in position) list.unshift(hook);
    else {
      const anchor = 'before' in position ? position.before : position.after;
      const at = this.#indexOf(trigger, anchor);
      list.splice('before' in position ? at : at + 1, 0, hook);
    }
    return this;
  }

  /** Swaps the hook named `name` on `trigger` for `fn`, in place. */
  replace(trigger: Trigger, name: string, fn: Hook<C>): this {
    if (typeof fn !== 'function') throw invalidArg(`hook ${name}`, 'a function', fn);
    this.#list(trigger)[this.#indexOf(trigger, name)] = { name, fn };
    return this;
  }

  /** Removes the hook named `name` from `trigger`. */
  remove(trigger: Trigger, name: string): this {
    this.#list(trigger).splice(this.#indexOf(trigger, name), 1);
    return this;
  }

  has(trigger: Trigger, name: string): boolean {
    return this.#list(trigger).some((h) => h.name === name);
  }

  /** Hook names on `trigger`, in running order. */
  names(trigger: Trigger): string[] {
    return this.#list(trigger).map((h) => h.name);
  }

  /** Runs every hook of `trigger` in order. A copy is taken first, so hooks may edit the registry. */
  async run(trigger: Trigger, ctx: C): Promise<void> {
    for (const hook of [...this.#list(trigger)]) await hook.fn(ctx);
  }

  #list(trigger: Trigger): NamedHook<C>[] {
    const list = this.#hooks.get(trigger);
    if (!list) throw invalidArg('trigger', `one of ${TRIGGERS.join(', ')}`, trigger);
    return list;
  }

  #indexOf(trigger: Trigger, name: string): number {
    const at = this.#list(trigger).findIndex((h) => h.name === name);
    if (at < 0) throw invalidArg('hook name', `a hook registered on ${trigger} (${this.names(trigger).join(', ') || 'none'})`, name);
    return at;
  }
}
