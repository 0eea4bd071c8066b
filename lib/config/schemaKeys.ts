/**
 * Reads the options schema as a tree of keys: the dotted key list (for CLI help and "did you mean"),
 * the message words of any leaf, and its default. Only this file looks inside zod schemas
 * (`_zod.def`, zod v4's documented internals).
 */
import { fieldHelp, optionsSchema, type FieldHelp } from './schema.js';

interface Node {
  _zod: {
    def: {
      type: string; innerType?: Node; in?: Node; shape?: Record<string, Node>; element?: Node; items?: Node[]; defaultValue?: unknown;
      // discriminated unions (eval.tasks) and their literal tags
      options?: Node[]; discriminator?: string; values?: unknown[];
    };
  };
}

/** `node` and every schema it wraps (default, prefault, optional, ...), outermost first. */
function chain(node: Node): Node[] {
  const out = [node];
  for (let def = node._zod.def; ; ) {
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return out;
    out.push(inner);
    def = inner._zod.def;
  }
}

function core(node: Node): Node {
  const c = chain(node);
  return c[c.length - 1] ?? node;
}

/** The option of discriminated union `node` that `value`'s tag selects, or undefined (not a union, no such tag). */
function unionOption(node: Node, value: unknown): Node | undefined {
  const { type, options, discriminator } = core(node)._zod.def;
  if (type !== 'union' || !options || !discriminator || value === null || typeof value !== 'object') return undefined;
  const tag = (value as Record<string, unknown>)[discriminator];
  return options.find((o) => {
    const literal = core(o)._zod.def.shape?.[discriminator];
    return literal !== undefined && (core(literal)._zod.def.values ?? []).includes(tag);
  });
}

/**
 * The schema node at `path` (object keys and array/tuple indices), or undefined if there is none. Inside a
 * discriminated union the option is the one `root` (the options given) selects at that point; when it selects
 * none, the union itself stands for everything below it (its words describe every option).
 */
function nodeAt(path: readonly PropertyKey[], root?: unknown): Node | undefined {
  let node: Node | undefined = optionsSchema as unknown as Node;
  let value = root;
  for (const seg of path) {
    if (!node) return undefined;
    node = unionOption(node, value) ?? node;
    const def: Node['_zod']['def'] = core(node)._zod.def;
    if (def.type === 'union') return node;
    if (def.type === 'object') node = typeof seg === 'string' && def.shape && Object.hasOwn(def.shape, seg) ? def.shape[seg] : undefined;
    else if (def.type === 'array') node = def.element;
    else if (def.type === 'tuple') node = def.items?.[Number(seg)];
    else return undefined;
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg as string] : undefined;
  }
  return node && (unionOption(node, value) ?? node);
}

/** @internal The message words of the option at `path`, if it has any. */
export function helpAt(path: readonly PropertyKey[], root?: unknown): FieldHelp | undefined {
  const node = nodeAt(path, root);
  if (!node) return undefined;
  for (const n of chain(node)) {
    const help = fieldHelp.get(n as never);
    if (help) return help;
  }
  return undefined;
}

/**
 * @internal Keys of the options object at `path` (dotted, '' = top level, or the segments), or undefined if it
 * is not an object. `root` (the options given) picks the option of a discriminated union on the way.
 */
export function childKeys(path: string | readonly PropertyKey[], root?: unknown): string[] | undefined {
  const node = nodeAt(typeof path !== 'string' ? path : path === '' ? [] : path.split('.'), root);
  const def = node && core(node)._zod.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/** @internal True when dotted `path` names an option or a section of options. */
export function isOptionPath(path: string): boolean {
  return path !== '' && nodeAt(path.split('.')) !== undefined && !/\.\d+$/.test(path);
}

/** One option for help output. */
export interface OptionDoc {
  /** Dotted key, e.g. `train.optimizer.lr`. */
  key: string;
  /** What the option takes, e.g. `a positive number`. */
  expected: string;
  /** The default, when there is a fixed one. */
  defaultValue?: unknown;
}

function walk(node: Node, prefix: string, out: OptionDoc[]): void {
  const def = core(node)._zod.def;
  if (def.type === 'object' && def.shape) {
    for (const [key, child] of Object.entries(def.shape)) walk(child, prefix === '' ? key : `${prefix}.${key}`, out);
    return;
  }
  const doc: OptionDoc = { key: prefix, expected: helpAt(prefix.split('.'))?.expected ?? def.type };
  const withDefault = chain(node).find((n) => n._zod.def.type === 'default');
  if (withDefault) doc.defaultValue = withDefault._zod.def.defaultValue;
  out.push(doc);
}

/** Every option with what it takes and its default, in schema order (for `fsllm run --help`). */
export const OPTION_DOCS: readonly OptionDoc[] = (() => {
  const out: OptionDoc[] = [];
  walk(optionsSchema as unknown as Node, '', out);
  return out;
})();

/** Every option's dotted key, e.g. `federate.clientNum`, in schema order. */
export const OPTION_KEYS: readonly string[] = OPTION_DOCS.map((d) => d.key);
