/**
 * Small helpers every layer may use, the pure modules included: this folder imports nothing (not
 * even `node:*`), so importing it never drags a dependency into a layer that must not have one.
 */

/** The `code` of a Node.js system error (`ENOENT`, `EACCES`, ...), or `fallback` when it has none. */
export function errnoOf(e: unknown, fallback = 'EIO'): string {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : fallback;
}

/** A YAML/JSON mapping: a non-null object that is not an array. */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Freezes `v` and every object reachable from it (functions are left as they are); returns `v`. */
export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
