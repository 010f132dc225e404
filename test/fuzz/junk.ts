/**
 * Wrong values for the request fuzz: every JavaScript type, special numbers, near-miss strings,
 * empty and odd containers. No value runs caller code (no getters, no throwing toString), so any
 * untyped error they cause comes from gridta itself.
 */
import fc from 'fast-check';

const SPECIAL: unknown[] = [
  undefined,
  null,
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  -1,
  1,
  1.5,
  2.5,
  1e-300,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  Number.MAX_VALUE,
  '',
  ' ',
  'abc',
  '1',
  '1.5',
  'NaN',
  'TIME_MAJOR',
  'variant_major',
  'close',
  'ma.sma',
  'auto',
  '\u0000',
  '\uD800',
  true,
  false,
  10n,
  -1n,
  Symbol('junk'),
  [],
  [null],
  [undefined],
  ['close', 1],
  [[]],
  [NaN],
  {},
  { mode: 'range' },
  { mode: 'explicit', values: [] },
  { aborted: true },
  { aborted: false },
  Object.create(null),
  new Date(0),
  new Float32Array(2),
  new Float64Array(0),
  new BigInt64Array(1),
  new Uint8Array(3),
  new Map(),
  new Set([1]),
  /x/,
  () => undefined,
  new Error('not gridta'),
  new Proxy({}, {}),
];

/** Numbers near the valid ones of a numeric field: fractions, zero, negatives, NaN. */
export const nearNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(NaN, 0, -0, -3, 0.5, 1.5, 2.5, 3.5, 1e-9, 2 ** 31 - 1),
  fc.double({ min: -10, max: 10 }),
);

/** One wrong value of any type. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
  { weight: 2, arbitrary: nearNumber },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 5000 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.anything({
      maxDepth: 1,
      maxKeys: 3,
      withBigInt: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
    }),
  },
);

/** Key names for unknown extra keys. */
export const extraKey: fc.Arbitrary<string> = fc.constantFrom(
  'foo',
  'then',
  'constructor',
  'valueOf',
  'toJSON',
  'Layout',
  'grid ',
  'length',
  '0',
);

/** The value at a path, or undefined. */
export function getAt(x: unknown, path: Path): unknown {
  let v: unknown = x;
  for (const k of path) v = v === null || v === undefined ? undefined : (v as Record<string | number, unknown>)[k];
  return v;
}

/** A path into a value: object keys and array indices. */
export type Path = readonly (string | number)[];

function isPlain(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Every path of a request-like tree: each key of each plain object, the first and last element of
 * each array and typed array (descending into plain objects and arrays only, to `depth`).
 */
export function pathsOf(x: unknown, depth = 5, prefix: Path = []): Path[] {
  const out: Path[] = [];
  if (depth === 0) return out;
  if (isPlain(x)) {
    for (const k of Object.keys(x)) {
      out.push([...prefix, k]);
      out.push(...pathsOf(x[k], depth - 1, [...prefix, k]));
    }
  } else if (Array.isArray(x) || ArrayBuffer.isView(x)) {
    const n = (x as ArrayLike<unknown>).length;
    for (const i of new Set([0, n - 1])) {
      if (i < 0) continue;
      out.push([...prefix, i]);
      if (Array.isArray(x)) out.push(...pathsOf(x[i], depth - 1, [...prefix, i]));
    }
  }
  return out;
}

/** Paths of the plain objects of a tree, where an extra key can be added. */
export function objectPathsOf(x: unknown, depth = 5, prefix: Path = []): Path[] {
  if (depth === 0 || !isPlain(x)) return [];
  const out: Path[] = [prefix];
  for (const k of Object.keys(x)) out.push(...objectPathsOf(x[k], depth - 1, [...prefix, k]));
  return out;
}

/** A copy of `x` with the value at `path` replaced (copying only the nodes on the path; a typed array becomes a plain array). */
export function setAt(x: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  let copy: Record<string | number, unknown>;
  if (Array.isArray(x)) copy = [...x] as unknown as Record<number, unknown>;
  else if (ArrayBuffer.isView(x)) copy = Array.from(x as unknown as ArrayLike<unknown>) as unknown as Record<number, unknown>;
  else copy = { ...(x as object) } as Record<string, unknown>;
  // a key named like a prototype member is set as an own data property; a key an array cannot take
  // (`length` = a non-integer, after an earlier wrong value made the node an array) is left out
  try {
    Object.defineProperty(copy, head!, { value: setAt(copy[head!], rest, value), enumerable: true, writable: true, configurable: true });
  } catch {
    // the node keeps its value
  }
  return copy;
}

/** Shows a path as `grid.params.window[0]`. */
export function showPath(p: Path): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('') || '(the whole value)';
}
