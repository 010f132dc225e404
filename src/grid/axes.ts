/**
 * Grid builder: turns a GridSpec into materialised axes in definition order, validating every value
 * against the registry, plus the cartesian index mapping (first axis slowest) and the per-variant
 * rules. Pure: nothing here is sized by the number of variants.
 */
import { GridValidationError, type GridReason } from '../errors.js';
import { findUnknownKey, keyList, unknownKeyExplanation } from '../options.js';
import { registry as defaultRegistry, type IndicatorDef, type ParamDef, type Registry } from '../registry/index.js';
import type { Axis, AxisSpec, GridSpec, Layout } from './types.js';

/** A validated grid: axes in definition order and the exact variant count. */
export interface MaterialisedGrid {
  readonly indicatorId: string;
  readonly def: IndicatorDef;
  readonly axes: readonly Axis[];
  /** V, exact: the product of the axis lengths (1n when there are no axes). */
  readonly variants: bigint;
  readonly layout: Layout;
}

/** At most this many values per range axis, checked before any value is built. */
export const MAX_RANGE_VALUES = 1_000_000;

export const LAYOUTS: readonly Layout[] = Object.freeze(['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]);

export const GRID_KEYS = keyList<GridSpec>({ indicatorId: true, source: true, params: true, layout: true });
export const AXIS_EXPLICIT_KEYS = keyList<Extract<AxisSpec, { mode: 'explicit' }>>({ mode: true, values: true });
export const AXIS_RANGE_KEYS = keyList<Extract<AxisSpec, { mode: 'range' }>>({ mode: true, start: true, stopIncl: true, step: true });
const RANGE_PARTS = ['start', 'stopIncl', 'step'] as const;
/** Relative tolerance of the hard step grid (range only). */
const GRID_TOLERANCE = 1e-9;

const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keeps `details.value` JSON-safe without hiding NaN and ±Infinity (the message prints them). */
export function safeValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return String(v);
  return v;
}

/** Throws GridValidationError with details in the documented key order. */
export function gridFail(
  indicatorId: string,
  field: string,
  reason: GridReason,
  value: unknown,
  explanation: string,
  expected?: unknown,
): never {
  const details =
    expected === undefined
      ? { indicatorId, field, reason, value: safeValue(value) }
      : { indicatorId, field, reason, value: safeValue(value), expected };
  throw new GridValidationError(details, explanation);
}

// ---------------------------------------------------------------------------------------------
// Exact decimal ranges

interface Decimal {
  readonly coef: bigint;
  readonly exp: number;
} // value = coef * 10^exp

/** The shortest round-trip decimal of a finite double, as `coef * 10^exp`. */
function toDecimal(x: number): Decimal {
  const s = String(x);
  const eAt = s.indexOf('e');
  let mant = eAt < 0 ? s : s.slice(0, eAt);
  let exp = eAt < 0 ? 0 : Number(s.slice(eAt + 1));
  const dot = mant.indexOf('.');
  if (dot >= 0) {
    exp -= mant.length - dot - 1;
    mant = mant.slice(0, dot) + mant.slice(dot + 1);
  }
  return { coef: BigInt(mant), exp };
}

const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k); // exact up to 1e22

/**
 * A float range in exact decimal arithmetic. The three bounds are written as their shortest
 * round-trip decimals and scaled to a common power of ten (`S`, `E`, `P`); `n = floor((E - S) / P) + 1`
 * and value i is the double nearest to `(S + i * P) * 10^scale`. Callers have checked that the three are
 * finite, `step > 0` and `start <= stopIncl`. Returns the count first so the cap can be checked
 * before anything is built.
 */
export function decimalRange(start: number, stopIncl: number, step: number): { count: bigint; build: () => number[] } {
  const ds = toDecimal(start),
    de = toDecimal(stopIncl),
    dp = toDecimal(step);
  const scale = Math.min(ds.exp, de.exp, dp.exp);
  const up = (d: Decimal): bigint => d.coef * 10n ** BigInt(d.exp - scale);
  const S = up(ds),
    E = up(de),
    P = up(dp);
  const count = (E - S) / P + 1n; // E >= S and P > 0, so truncation is floor
  const build = (): number[] => {
    const n = Number(count);
    const out = new Array<number>(n);
    const last = S + (count - 1n) * P;
    const safe = (b: bigint): boolean => b <= 9007199254740991n && b >= -9007199254740991n;
    if (scale <= 0 && scale >= -22 && safe(S) && safe(P) && safe(last)) {
      // Both operands are exact doubles, so one IEEE division gives the double nearest to the exact
      // decimal quotient: the same result as parsing the decimal string, without building it.
      const s0 = Number(S),
        p0 = Number(P),
        div = POW10[-scale]!;
      for (let i = 0; i < n; i++) out[i] = (s0 + i * p0) / div;
    } else {
      for (let i = 0; i < n; i++) out[i] = Number(`${S + BigInt(i) * P}e${scale}`);
    }
    return out;
  };
  return { count, build };
}

/** An int range as exact integers: the count first, then the values on demand. */
function intRange(start: number, stopIncl: number, step: number): { count: bigint; build: () => number[] } {
  const S = BigInt(start),
    E = BigInt(stopIncl),
    P = BigInt(step);
  const count = (E - S) / P + 1n;
  const build = (): number[] => {
    const n = Number(count);
    const out = new Array<number>(n);
    if (Number.isSafeInteger(start) && Number.isSafeInteger(stopIncl) && Number.isSafeInteger(step)) {
      for (let i = 0; i < n; i++) out[i] = start + i * step;
    } else {
      for (let i = 0; i < n; i++) out[i] = Number(S + BigInt(i) * P);
    }
    return out;
  };
  return { count, build };
}

// ---------------------------------------------------------------------------------------------
// One axis

type AxisKind = Axis['kind'];

interface RawAxis {
  readonly mode: 'explicit' | 'range';
  readonly values: readonly unknown[];
  /** Range only: the validated bounds. */
  readonly range?: { readonly start: number; readonly stopIncl: number; readonly step: number };
}

function describeKind(kind: AxisKind): string {
  return kind === 'int' ? 'an integer' : kind === 'float' ? 'a number' : 'a string';
}

/** Normalises one axis input (bare value or array sugar included) and materialises its raw values. */
function materialiseAxis(id: string, base: string, kind: AxisKind, input: unknown): RawAxis {
  if (Array.isArray(input)) return explicitValues(id, base, input);
  if (typeof input === 'number' || typeof input === 'string') return { mode: 'explicit', values: [input] };
  if (!isPlainObject(input)) {
    gridFail(id, base, 'invalid_spec', input, 'must be an axis spec object, an array of values, a number or a string');
  }
  const rawMode = input.mode;
  const mode = typeof rawMode === 'string' ? rawMode.trim().toLowerCase() : rawMode;
  if (mode !== 'explicit' && mode !== 'range') {
    gridFail(id, `${base}.mode`, 'invalid_spec', rawMode ?? null, "must be 'explicit' or 'range'", ['explicit', 'range']);
  }
  const allowed = mode === 'explicit' ? AXIS_EXPLICIT_KEYS : AXIS_RANGE_KEYS;
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) {
      gridFail(
        id,
        `${base}.${key}`,
        'invalid_spec',
        input[key] ?? null,
        `unknown key ${JSON.stringify(key)} in a ${mode} spec (allowed: ${allowed.join(', ')})`,
        allowed,
      );
    }
  }
  if (mode === 'explicit') {
    if (!Array.isArray(input.values)) {
      gridFail(id, `${base}.values`, 'invalid_spec', input.values ?? null, 'must be an array of values');
    }
    return explicitValues(id, base, input.values);
  }
  if (kind === 'source' || kind === 'enum') {
    gridFail(
      id,
      base,
      'invalid_spec',
      'range',
      `a range is not allowed on ${kind === 'source' ? 'the source axis' : 'an enum axis'}; list the values explicitly`,
      'explicit',
    );
  }
  for (const part of RANGE_PARTS) {
    if (!hasOwn(input, part) || input[part] === undefined)
      gridFail(id, `${base}.${part}`, 'invalid_spec', null, `is required in a range spec`);
  }
  for (const part of RANGE_PARTS) {
    if (typeof input[part] !== 'number') gridFail(id, `${base}.${part}`, 'wrong_type', input[part], 'must be a number', 'a number');
  }
  const r = { start: input.start as number, stopIncl: input.stopIncl as number, step: input.step as number };
  for (const part of RANGE_PARTS) {
    if (!Number.isFinite(r[part])) gridFail(id, `${base}.${part}`, 'non_finite', r[part], 'must be a finite number', 'a finite number');
  }
  if (kind === 'int') {
    for (const part of RANGE_PARTS) {
      if (!Number.isInteger(r[part])) gridFail(id, `${base}.${part}`, 'not_integer', r[part], 'must be an integer', 'an integer');
    }
  }
  if (!(r.step > 0)) gridFail(id, `${base}.step`, 'step_not_positive', r.step, 'must be > 0', '> 0');
  if (!(r.start <= r.stopIncl)) {
    gridFail(id, `${base}.start`, 'start_after_stop', r.start, `must be <= stopIncl (${r.stopIncl})`, `<= ${r.stopIncl}`);
  }
  const { count, build } = kind === 'int' ? intRange(r.start, r.stopIncl, r.step) : decimalRange(r.start, r.stopIncl, r.step);
  if (count > BigInt(MAX_RANGE_VALUES)) {
    const n = count <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(count) : count.toString();
    gridFail(id, base, 'too_many_values', n, `a range may produce at most ${MAX_RANGE_VALUES} values`, `<= ${MAX_RANGE_VALUES} values`);
  }
  return { mode: 'range', values: build(), range: r };
}

function explicitValues(id: string, base: string, values: readonly unknown[]): RawAxis {
  if (values.length === 0) gridFail(id, `${base}.values`, 'empty_values', [], 'must list at least one value', 'a non-empty list');
  return { mode: 'explicit', values };
}

/** Validates materialised values (type, bounds, uniqueness, step grid); returns the normalised values. */
function validateValues(
  id: string,
  base: string,
  kind: AxisKind,
  raw: RawAxis,
  p: ParamDef | null,
  allowed: readonly string[],
): readonly number[] | readonly string[] {
  const vals = raw.values;
  const at = (i: number): string => `${base}.values[${i}]`;
  if (kind === 'source' || kind === 'enum') {
    const out: string[] = new Array(vals.length);
    const seen = new Set<string>();
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (typeof v !== 'string') gridFail(id, at(i), 'wrong_type', v, 'must be a string', 'a string');
      const s = v.trim().toLowerCase();
      if (s === '') gridFail(id, at(i), 'empty_values', v, 'must not be blank', 'a non-blank string');
      if (!allowed.includes(s)) gridFail(id, at(i), 'not_allowed', v, `must be one of ${allowed.join(', ')}`, allowed);
      if (seen.has(s)) gridFail(id, at(i), 'duplicate_value', v, 'repeats an earlier value of this axis', 'unique values');
      seen.add(s);
      out[i] = s;
    }
    return out;
  }
  const def = p!;
  const min = def.min!,
    max = def.max!,
    hardStep = def.step;
  const range = raw.range;
  // In a range, the first value is `start` and values increase, so a bound failure is reported on
  // the key the caller has to change.
  const boundField = (i: number, which: 'min' | 'max'): [string, number] =>
    range ? (which === 'min' ? [`${base}.start`, range.start] : [`${base}.stopIncl`, range.stopIncl]) : [at(i), vals[i] as number];
  const out: number[] = new Array(vals.length);
  const seen = new Set<number>(); // SameValueZero: 0 and -0 count as duplicates
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    if (typeof v !== 'number') gridFail(id, at(i), 'wrong_type', v, `must be ${describeKind(kind)}`, 'a number');
    if (!Number.isFinite(v)) gridFail(id, at(i), 'non_finite', v, 'must be a finite number', 'a finite number');
    if (kind === 'int' && !Number.isInteger(v)) gridFail(id, at(i), 'not_integer', v, 'must be an integer', 'an integer');
    if (v < min) {
      const [f, g] = boundField(i, 'min');
      gridFail(id, f, 'below_min', g, `must be >= ${min}`, `>= ${min}`);
    }
    if (v > max) {
      const [f, g] = boundField(i, 'max');
      gridFail(id, f, 'above_max', g, `must be <= ${max}`, `<= ${max}`);
    }
    // Range values never decrease, so a repeat (two decimals rounding to one double) is adjacent.
    if (range ? i > 0 && v === out[i - 1] : seen.has(v))
      gridFail(id, at(i), 'duplicate_value', v, 'repeats an earlier value of this axis', 'unique values');
    if (!range) seen.add(v);
    out[i] = kind === 'int' && v === 0 ? 0 : v; // an int -0 is plain 0
  }
  // A param without a hard step (a strategy's float param may have none) has no step grid to check.
  if (range && hardStep !== undefined) {
    const q = range.step / hardStep;
    const qr = Math.round(q);
    if (!(Math.abs(q - qr) <= GRID_TOLERANCE) || qr < 1) {
      gridFail(
        id,
        `${base}.step`,
        'step_not_multiple',
        range.step,
        `must be a multiple of the hard step ${hardStep}`,
        `a multiple of ${hardStep}`,
      );
    }
    for (let i = 0; i < out.length; i++) {
      const r = (out[i]! - min) / hardStep;
      if (!(Math.abs(r - Math.round(r)) <= GRID_TOLERANCE)) {
        const f = i === 0 ? `${base}.start` : at(i);
        gridFail(id, f, 'off_grid', out[i], `must lie on the hard step grid ${min} + k * ${hardStep}`, `${min} + k * ${hardStep}`);
      }
    }
  }
  return out;
}

/**
 * One axis on its own, under the grid builder's rules (sugar, materialising, type, bounds, uniqueness,
 * step grid), for callers that are not an indicator: a strategy's params. `ownerId` and `field`
 * name the axis in a GridValidationError; a numeric `param` without `step` skips the step-grid checks.
 */
export function materializeAxis(
  ownerId: string,
  field: string,
  kind: AxisKind,
  input: unknown,
  param: ParamDef | null,
  allowed: readonly string[],
): readonly number[] | readonly string[] {
  return validateValues(ownerId, field, kind, materialiseAxis(ownerId, field, kind, input), param, allowed);
}

// ---------------------------------------------------------------------------------------------
// The grid

/**
 * Materialises and validates a grid: shape sugar, then in order (lookup, unknown
 * param keys, the source axis, each axis in definition order, layout). The first failure throws.
 */
export function materializeGrid(spec: GridSpec, reg: Registry = defaultRegistry): MaterialisedGrid {
  if (!isPlainObject(spec)) {
    gridFail(
      typeof spec === 'string' ? spec : '',
      'grid',
      'invalid_spec',
      spec ?? null,
      'must be a grid spec object { indicatorId, source?, params?, layout? }',
    );
  }
  // Step 1: lookup (UnknownIndicatorError carries the suggestions).
  const def = reg.get(spec.indicatorId as string);
  const id = def.id;
  const unknownKey = findUnknownKey(spec, GRID_KEYS);
  if (unknownKey) gridFail(id, unknownKey.key, 'invalid_spec', unknownKey.key, unknownKeyExplanation(unknownKey, 'a grid spec'), GRID_KEYS);
  const paramAxes = def.axes.filter((a) => a !== 'source');
  // Step 2: request keys of `params` that are not non-source axes.
  const params = new Map<string, unknown>();
  const rawParams = spec.params as unknown;
  if (rawParams !== undefined) {
    if (!isPlainObject(rawParams)) gridFail(id, 'params', 'invalid_spec', rawParams, 'must be an object of axis name -> axis spec');
    const unknown: string[] = [];
    for (const key of Object.keys(rawParams)) {
      const name = key.trim();
      if (!paramAxes.includes(name)) unknown.push(name);
    }
    if (unknown.length > 0) {
      unknown.sort();
      gridFail(
        id,
        'params',
        'unknown_axis',
        unknown,
        `${id} has no axis ${unknown.join(', ')} (its params are: ${paramAxes.join(', ') || 'none'})`,
        paramAxes,
      );
    }
    for (const key of Object.keys(rawParams)) {
      const name = key.trim();
      if (params.has(name))
        gridFail(id, 'params', 'duplicate_value', name, `names the axis ${name} twice (keys are trimmed)`, 'unique axis names');
      params.set(name, rawParams[key]);
    }
  }
  // Step 3: the source axis.
  const hasSource = def.axes.includes('source');
  const source = spec.source as unknown;
  if (hasSource && source === undefined) {
    gridFail(
      id,
      'source',
      'source_required',
      null,
      `${id} needs a source axis (one or more of ${def.sourceValues!.join(', ')})`,
      def.sourceValues,
    );
  }
  if (!hasSource && source !== undefined) {
    gridFail(id, 'source', 'source_not_supported', source, `${id} has no source axis`);
  }
  // Step 4: each axis in definition order.
  const axes: Axis[] = [];
  let variants = 1n;
  for (const name of def.axes) {
    let axis: Axis;
    if (name === 'source') {
      const raw = materialiseAxis(id, 'source', 'source', source);
      axis = { name, kind: 'source', values: Object.freeze(validateValues(id, 'source', 'source', raw, null, def.sourceValues!)) };
    } else {
      const base = `params.${name}`;
      const input = params.get(name);
      if (input === undefined) gridFail(id, base, 'missing_axis', null, `${id} needs a spec for its axis ${name}`, 'an axis spec');
      const p = def.params.find((x) => x.name === name)!;
      const kind: AxisKind = p.kind;
      const raw = materialiseAxis(id, base, kind, input);
      axis = { name, kind, values: Object.freeze(validateValues(id, base, kind, raw, p, p.enumValues ?? [])) };
    }
    axes.push(Object.freeze(axis));
    variants *= BigInt(axis.values.length);
  }
  // Step 5: layout.
  const layout = checkLayout(id, spec.layout);
  return Object.freeze({ indicatorId: id, def, axes: Object.freeze(axes), variants, layout });
}

/** The layout; `undefined` means TIME_MAJOR. */
export function checkLayout(indicatorId: string, layout: unknown): Layout {
  if (layout === undefined) return 'TIME_MAJOR';
  if (typeof layout !== 'string' || !LAYOUTS.includes(layout as Layout)) {
    gridFail(indicatorId, 'layout', 'invalid_layout', layout, "must be 'TIME_MAJOR' or 'VARIANT_MAJOR'", LAYOUTS);
  }
  return layout as Layout;
}

/**
 * The per-variant rule of the definition (today only trend.psar), checked in variant
 * order; the first offending variant throws `variant_rule`. Run it only after the variants guard:
 * its cost is O(V) with no allocation per variant.
 */
export function checkVariantRules(grid: MaterialisedGrid): void {
  const rule = grid.def.variantRule;
  if (!rule) return;
  const axes = grid.axes;
  if (axes.some((a) => a.values.length === 0)) return;
  const n = axes.length;
  const idx = new Array<number>(n).fill(0);
  const rec: Record<string, number | string> = {}; // one record, updated in place per variant
  for (const a of axes) rec[a.name] = a.values[0]!;
  let v = 0;
  for (;;) {
    if (!rule.test(rec)) {
      gridFail(grid.indicatorId, `variants[${v}]`, 'variant_rule', { ...rec }, `breaks the rule ${rule.description}`, rule.description);
    }
    v++;
    // Advance the row-major counter: the last axis fastest.
    let k = n - 1;
    for (; k >= 0; k--) {
      const a = axes[k]!;
      if (++idx[k]! < a.values.length) {
        rec[a.name] = a.values[idx[k]!]!;
        break;
      }
      idx[k] = 0;
      rec[a.name] = a.values[0]!;
    }
    if (k < 0) return;
  }
}

// ---------------------------------------------------------------------------------------------
// Index mapping (first axis varies slowest)

/** The number of variants of a list of axes, as a plain number (callers have passed the guard). */
export function variantCount(axes: readonly Axis[]): number {
  let v = 1;
  for (const a of axes) v *= a.values.length;
  return v;
}

/** The axis values of variant `v` (first axis slowest), keys in axis order. */
export function variantValues(axes: readonly Axis[], v: number): Readonly<Record<string, number | string>> {
  const total = variantCount(axes);
  if (!Number.isInteger(v) || v < 0 || v >= total) {
    throw new RangeError(`variant index must be an integer in [0, ${total}) (got ${String(v)})`);
  }
  const out: Record<string, number | string> = {};
  let stride = total;
  for (const a of axes) {
    const len = a.values.length;
    stride /= len;
    out[a.name] = a.values[Math.floor(v / stride) % len]!;
  }
  return Object.freeze(out);
}

const indexCache = new WeakMap<readonly unknown[], Map<unknown, number>>();
function positionOf(values: readonly (number | string)[], x: unknown): number {
  if (values.length <= 16) {
    for (let i = 0; i < values.length; i++) if (values[i] === x) return i;
    return -1;
  }
  let m = indexCache.get(values);
  if (!m) {
    m = new Map();
    for (let i = 0; i < values.length; i++) if (!m.has(values[i])) m.set(values[i], i);
    indexCache.set(values, m);
  }
  if (typeof x === 'number' && Number.isNaN(x)) return -1; // === never matches NaN
  return m.get(x) ?? -1;
}

const axisField = (name: string): string => (name === 'source' ? 'source' : `params.${name}`);

/**
 * Maps a full assignment (every axis, exact match, numbers by `===`) back to its variant
 * index; `unknown_axis`, `missing_axis` or `not_allowed` otherwise.
 */
export function variantIndex(indicatorId: string, axes: readonly Axis[], values: Readonly<Record<string, number | string>>): number {
  const names = axes.map((a) => a.name);
  if (!isPlainObject(values))
    gridFail(indicatorId, 'values', 'invalid_spec', values ?? null, 'must be an object of axis name -> value', names);
  const unknown = Object.keys(values)
    .filter((k) => !names.includes(k))
    .sort();
  if (unknown.length > 0) {
    gridFail(
      indicatorId,
      'params',
      'unknown_axis',
      unknown,
      `${indicatorId} has no axis ${unknown.join(', ')} (its axes are: ${names.join(', ') || 'none'})`,
      names,
    );
  }
  let index = 0;
  for (const a of axes) {
    if (!hasOwn(values, a.name) || values[a.name] === undefined) {
      gridFail(indicatorId, axisField(a.name), 'missing_axis', null, `a value for the axis ${a.name} is required`, 'a value of the axis');
    }
    const x = values[a.name];
    const pos = positionOf(a.values as readonly (number | string)[], x);
    if (pos < 0) {
      const expected = a.values.length <= 16 ? a.values : `one of the ${a.values.length} values of the axis ${a.name}`;
      gridFail(indicatorId, axisField(a.name), 'not_allowed', x, `is not a value of the axis ${a.name}`, expected);
    }
    index = index * a.values.length + pos;
  }
  return index;
}
