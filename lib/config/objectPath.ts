/** Dotted-path access to plain option objects (`train.optimizer.lr`). */

/** A parsed YAML/JSON mapping. */
export type PlainObject = Record<string, unknown>;

/** A mapping (not null, not an array). */
export function isPlainObject(v: unknown): v is PlainObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value at dotted `path`, or undefined when any step is missing or not an object. */
export function getPath(root: unknown, path: string): unknown {
  let v = root;
  for (const k of path.split('.')) v = isPlainObject(v) ? v[k] : undefined;
  return v;
}

/**
 * Sets dotted `path` in `root`, making intermediate objects (and replacing non-objects on the way).
 * A plain-object value is merged into an existing plain object rather than replacing it.
 * `undefined` is stored as is: it marks "unset" for mergeOptions.
 */
export function setPath(root: PlainObject, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let obj = root;
  for (const k of keys) {
    if (!isPlainObject(obj[k])) obj[k] = {};
    obj = obj[k] as PlainObject;
  }
  const old = obj[last];
  obj[last] = isPlainObject(old) && isPlainObject(value) ? mergeOptions(old, value) : value;
}

/** Removes dotted `path` from `root`, if present. */
export function deletePath(root: PlainObject, path: string): void {
  const keys = path.split('.');
  const last = keys.pop() as string;
  const parent = getPath(root, keys.join('.'));
  const obj = keys.length === 0 ? root : parent;
  if (isPlainObject(obj)) delete obj[last];
}

/** Deep-merges `patch` into `base` (mutating it): objects merge, other values replace, `undefined` deletes. */
export function mergeOptions(base: PlainObject, patch: PlainObject): PlainObject {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete base[k];
    else if (isPlainObject(v) && isPlainObject(base[k])) mergeOptions(base[k] as PlainObject, v);
    else base[k] = isPlainObject(v) ? mergeOptions({}, v) : v;
  }
  return base;
}
