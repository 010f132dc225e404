/**
 * Unknown keys in options objects: every public entry point that takes an options object (engine
 * options, compute and estimate requests, loaders, exporters, the jobs API) refuses a key it does
 * not know, naming the key, the object it was in and the closest known key. This module only finds
 * the key and words the hint; each layer throws its own typed error. Pure: imports nothing.
 */

/** Levenshtein distance (two-row dynamic programme). */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidates within `maxDistance` edits of `name`, closest first (ties in the candidates' order),
 * at most `limit` of them. Case is ignored when measuring, so `Threads` finds `threads`.
 */
export function closestNames(name: string, candidates: readonly string[], maxDistance: number, limit: number): string[] {
  const key = name.toLowerCase();
  return candidates
    .map((c, i) => ({ c, i, d: levenshtein(key, c.toLowerCase()) }))
    .filter((x) => x.d <= maxDistance)
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, limit)
    .map((x) => x.c);
}

/**
 * The one known key a mistyped option most likely meant: within two edits, or three for names of
 * eight characters or more (`maxVariant`, `batchVariantz`); `undefined` when nothing is that close.
 */
export function suggestKey(name: string, known: readonly string[]): string | undefined {
  return closestNames(name, known, name.length >= 8 ? 3 : 2, 1)[0];
}

export interface UnknownKey {
  /** The first own key of the object (in insertion order) that is not known. */
  readonly key: string;
  /** The closest known key, if one is close enough. */
  readonly suggestion: string | undefined;
  readonly known: readonly string[];
}

/** The first own enumerable string key of `obj` not in `known`, or `null` when every key is known. */
export function findUnknownKey(obj: object, known: readonly string[]): UnknownKey | null {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) return { key, suggestion: suggestKey(key, known), known };
  }
  return null;
}

/** `unknown key in <where>; did you mean <x>? (known keys: a, b, c)`: the explanation every layer uses. */
export function unknownKeyExplanation(u: UnknownKey, where: string): string {
  const hint = u.suggestion === undefined ? '' : `; did you mean ${u.suggestion}?`;
  return `unknown key in ${where}${hint} (known keys: ${u.known.join(', ')})`;
}

/** A plain object: `{...}` or `Object.create(null)`, not an array, a class instance or a function. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The keys of an options type as a frozen list, in the record's order. Pass the type and a record
 * literal naming each of its keys once: the compiler refuses a record that misses a key of the type
 * or names one it does not have, so a list of known keys cannot drift from the interface it guards.
 */
export function keyList<T extends object>(record: Record<keyof T, true>): readonly string[] {
  return Object.freeze(Object.keys(record));
}
