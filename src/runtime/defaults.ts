/**
 * Per-environment grid defaults (`configs/<env>/indicators.yaml`): validation of the `defaults` section
 * against the registry (first violation throws DefaultsValidationError), the merged
 * definition + defaults view, and `defaultGrid` (override per axis, else the YAML default).
 */
import { DefaultsValidationError, GridValidationError, type GridReason } from '../errors.js';
import type { AxisInput, AxisSpec, GridSpec } from '../grid/types.js';
import { registry as defaultRegistry, type Registry } from '../registry/index.js';
import type { IndicatorDef, ParamDef } from '../registry/types.js';
import { findUnknownKey, keyList, unknownKeyExplanation } from '../options.js';
import { isMapping } from '../util/index.js';

/** The keys of a grid spec, which the overrides of `defaultGrid` may carry. */
export const GRID_OVERRIDE_KEYS = keyList<GridSpec>({ indicatorId: true, source: true, params: true, layout: true });

/** One indicator's validated defaults: specs normalised (mode lower-case, names trimmed, `stopIncl`). */
export interface IndicatorDefaults {
  readonly source?: AxisSpec;
  readonly params: Readonly<Record<string, AxisSpec>>;
}

export interface ValidatedDefaults {
  /** The file the defaults came from (as given to `validateDefaults`). */
  readonly configPath: string;
  /** By registry id (normalised), ids without an entry absent. */
  readonly indicators: ReadonlyMap<string, IndicatorDefaults>;
}

export interface MergedIndicatorView extends IndicatorDef {
  readonly defaults: IndicatorDefaults;
  readonly defaultLayout: 'TIME_MAJOR';
}

const ENTRY_KEYS = ['inputs', 'params', 'signals'];
const EXPLICIT_KEYS = ['mode', 'values'];
const RANGE_KEYS = ['mode', 'start', 'stop_incl', 'step'];
const RANGE_PARTS = ['start', 'stop_incl', 'step'] as const;
const TOLERANCE = 1e-9;

const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);
const sortedKeys = (o: Record<string, unknown>): string[] => Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const nearInteger = (x: number): boolean => Math.abs(x - Math.round(x)) <= TOLERANCE;

/** How a found value reads in `actual`. */
function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (isMapping(v)) return 'a mapping';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v) ?? String(v);
}

type Fail = (yamlPath: string, indicatorId: string | null, name: string | null, expected: string, actual: string) => never;

/**
 * Validates the parsed config document's `defaults` section (in a fixed order, so the reported error is stable:
 * the whole shape first, then the registry checks by sorted id, inputs before params, names sorted).
 */
export function validateDefaults(doc: unknown, configPath: string, reg: Registry = defaultRegistry): ValidatedDefaults {
  const fail: Fail = (yamlPath, indicatorId, name, expected, actual) => {
    throw new DefaultsValidationError({ configPath, yamlPath, indicatorId, name, expected, actual });
  };

  // The document: a mapping with schema_version 1; `defaults`, when present, a mapping.
  if (!isMapping(doc))
    fail('(document)', null, null, 'a mapping with schema_version: 1', doc === null ? 'an empty document' : describe(doc));
  if (!hasOwn(doc, 'schema_version')) fail('schema_version', null, null, 'the integer 1', 'missing');
  if (doc.schema_version !== 1) fail('schema_version', null, null, 'the integer 1', describe(doc.schema_version));
  const section = doc.defaults;
  if (section === undefined || section === null) return Object.freeze({ configPath, indicators: new Map() });
  if (!isMapping(section)) fail('defaults', null, null, 'a mapping of indicator id -> grid defaults', describe(section));
  const ids = sortedKeys(section);

  // Shape, before any registry check: entry keys among inputs/params/signals, each spec well-formed.
  for (const id of ids) {
    const entry = section[id];
    const path = `defaults.${id}`;
    if (!isMapping(entry)) fail(path, id, null, 'a mapping with inputs, params or signals', describe(entry));
    for (const key of Object.keys(entry)) {
      if (!ENTRY_KEYS.includes(key))
        fail(`${path}.${key}`, id, null, 'only the keys inputs, params, signals', `the key ${JSON.stringify(key)}`);
    }
    for (const part of ['inputs', 'params'] as const) {
      if (!hasOwn(entry, part)) continue;
      const specs = entry[part];
      if (!isMapping(specs)) fail(`${path}.${part}`, id, null, 'a mapping of name -> spec', describe(specs));
      for (const name of sortedKeys(specs)) checkSpecShape(specs[name], `${path}.${part}.${name}`, id, name, fail);
    }
  }

  // Against the registry: known ids, names and values.
  const out = new Map<string, IndicatorDefaults>();
  const rawOf = new Map<string, string>();
  for (const id of ids) {
    const path = `defaults.${id}`;
    if (!reg.has(id)) fail(path, id, null, 'a registered indicator id', JSON.stringify(id));
    const def = reg.get(id);
    if (rawOf.has(def.id))
      fail(path, def.id, null, `a unique indicator id (${JSON.stringify(rawOf.get(def.id))} names it too)`, JSON.stringify(id));
    rawOf.set(def.id, id);
    const entry = section[id] as Record<string, unknown>;
    let source: AxisSpec | undefined;
    const params: Record<string, AxisSpec> = {};
    const inputs = (entry.inputs ?? {}) as Record<string, Record<string, unknown>>;
    for (const name of sortedKeys(inputs)) {
      const p = `${path}.inputs.${name}`;
      // The only input is `source`, for indicators with a source axis, given as explicit values.
      if (!def.axes.includes('source')) fail(p, def.id, name, `no inputs (${def.id} has no source axis)`, JSON.stringify(name));
      if (name.trim() !== 'source') fail(p, def.id, name, 'source, the only input name', JSON.stringify(name));
      const spec = inputs[name]!;
      if ((spec.mode as string).trim().toLowerCase() !== 'explicit') fail(`${p}.mode`, def.id, name, 'explicit', JSON.stringify(spec.mode));
      source = { mode: 'explicit', values: checkNames(spec.values as unknown[], `${p}.values`, def.id, name, def.sourceValues!, fail) };
    }
    const specsByParam = (entry.params ?? {}) as Record<string, Record<string, unknown>>;
    for (const name of sortedKeys(specsByParam)) {
      const p = `${path}.params.${name}`;
      const key = name.trim();
      // Every param name exists in the definition.
      const param = def.params.find((x) => x.name === key);
      if (!param) {
        const names = def.params.map((x) => x.name);
        fail(p, def.id, name, names.length ? `one of ${names.join(', ')}` : `no params (${def.id} has none)`, JSON.stringify(name));
      }
      if (hasOwn(params, key)) fail(p, def.id, name, 'unique param names (names are trimmed)', JSON.stringify(name));
      params[key] = checkParam(specsByParam[name]!, p, def.id, name, param, fail);
    }
    out.set(def.id, Object.freeze(source ? { source, params: Object.freeze(params) } : { params: Object.freeze(params) }));
  }
  return Object.freeze({ configPath, indicators: out });
}

/** A spec: a mapping with `mode`, then only that mode's keys, each of the right type. */
function checkSpecShape(spec: unknown, p: string, id: string, name: string, fail: Fail): void {
  if (!isMapping(spec)) fail(p, id, name, 'a spec mapping with mode explicit or range', describe(spec));
  const mode = spec.mode;
  const m = typeof mode === 'string' ? mode.trim().toLowerCase() : undefined;
  if (m !== 'explicit' && m !== 'range') fail(`${p}.mode`, id, name, 'explicit or range', describe(mode));
  const allowed = m === 'explicit' ? EXPLICIT_KEYS : RANGE_KEYS;
  for (const key of Object.keys(spec)) {
    if (!allowed.includes(key))
      fail(`${p}.${key}`, id, name, `only the keys ${allowed.join(', ')} in a ${m} spec`, `the key ${JSON.stringify(key)}`);
  }
  if (m === 'explicit') {
    const values = spec.values;
    if (!Array.isArray(values) || values.length === 0) fail(`${p}.values`, id, name, 'a non-empty list of scalars', describe(values));
    values.forEach((v, i) => {
      if (typeof v !== 'number' && typeof v !== 'string')
        fail(`${p}.values[${i}]`, id, name, 'a scalar (integer, float or string)', describe(v));
    });
  } else {
    for (const k of RANGE_PARTS) {
      if (typeof spec[k] !== 'number') fail(`${p}.${k}`, id, name, 'a number', describe(spec[k]));
    }
  }
}

/** Source and enum values: strings, trimmed and lower-cased, non-empty, unique, each allowed. */
function checkNames(values: unknown[], p: string, id: string, name: string, allowed: readonly string[], fail: Fail): string[] {
  const out: string[] = [];
  values.forEach((v, i) => {
    const at = `${p}[${i}]`;
    if (typeof v !== 'string') fail(at, id, name, 'a string', describe(v));
    const s = v.trim().toLowerCase();
    if (s === '') fail(at, id, name, 'a non-empty string', describe(v));
    if (out.includes(s)) fail(at, id, name, 'unique values', describe(v));
    if (!allowed.includes(s)) fail(at, id, name, `one of ${allowed.join(', ')}`, describe(v));
    out.push(s);
  });
  return out;
}

/** One param spec against its definition: enum explicit only; int/float values on the param's bounds and step grid. */
function checkParam(spec: Record<string, unknown>, p: string, id: string, name: string, param: ParamDef, fail: Fail): AxisSpec {
  const mode = (spec.mode as string).trim().toLowerCase() as 'explicit' | 'range';
  if (param.kind === 'enum') {
    if (mode !== 'explicit') fail(`${p}.mode`, id, name, 'explicit', JSON.stringify(spec.mode));
    return { mode, values: checkNames(spec.values as unknown[], `${p}.values`, id, name, param.enumValues!, fail) };
  }
  const isInt = param.kind === 'int';
  const min = param.min!,
    max = param.max!,
    hard = param.step!;
  const typeOk = (v: unknown): v is number => typeof v === 'number' && (isInt ? Number.isInteger(v) : Number.isFinite(v));
  const typeText = isInt ? 'an integer' : 'a finite number';
  const lo = isInt ? min : min - TOLERANCE;
  const hi = isInt ? max : max + TOLERANCE;
  const boundsText = `a value in [${min}, ${max}]`;
  const gridText = `a value on the hard step grid ${min} + k * ${hard}`;
  const onGrid = (v: number): boolean => (isInt ? (v - min) % hard === 0 : nearInteger((v - min) / hard));
  const place = (at: string, v: number): void => {
    if (!(v >= lo && v <= hi)) fail(at, id, name, boundsText, describe(v));
    if (!onGrid(v)) fail(at, id, name, gridText, describe(v));
  };
  if (mode === 'explicit') {
    const values = spec.values as unknown[];
    values.forEach((v, i) => {
      if (!typeOk(v)) fail(`${p}.values[${i}]`, id, name, typeText, describe(v));
    });
    const nums = values as number[];
    const seen = new Set<number>();
    nums.forEach((v, i) => {
      if (seen.has(v)) fail(`${p}.values[${i}]`, id, name, 'unique values', describe(v));
      seen.add(v);
    });
    nums.forEach((v, i) => {
      place(`${p}.values[${i}]`, v);
    });
    return { mode, values: [...nums] };
  }
  for (const k of RANGE_PARTS) {
    if (!typeOk(spec[k])) fail(`${p}.${k}`, id, name, typeText, describe(spec[k]));
  }
  const start = spec.start as number,
    stop = spec.stop_incl as number,
    step = spec.step as number;
  if (!(step > 0)) fail(`${p}.step`, id, name, 'a step > 0', describe(step));
  if (!(start <= stop)) fail(`${p}.start`, id, name, `a start <= stop_incl (${stop})`, describe(start));
  const multiple = isInt ? step % hard === 0 : nearInteger(step / hard) && Math.round(step / hard) >= 1;
  if (!multiple) fail(`${p}.step`, id, name, `a multiple of the hard step ${hard}`, describe(step));
  place(`${p}.start`, start);
  place(`${p}.stop_incl`, stop);
  return { mode, start, stopIncl: stop, step };
}

// ---------------------------------------------------------------------------------------------
// Merged view and default grids

const EMPTY: IndicatorDefaults = Object.freeze({ params: Object.freeze({}) });
const views = new WeakMap<ValidatedDefaults, { reg: Registry; list: readonly MergedIndicatorView[] }>();

/** Every definition with its defaults (empty when none configured), sorted by id. */
export function mergedIndicatorViews(defaults: ValidatedDefaults, reg: Registry = defaultRegistry): readonly MergedIndicatorView[] {
  const hit = views.get(defaults);
  if (hit && hit.reg === reg) return hit.list;
  const list = Object.freeze(
    [...reg.list()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((def) => Object.freeze({ ...def, defaults: defaults.indicators.get(def.id) ?? EMPTY, defaultLayout: 'TIME_MAJOR' as const })),
  );
  views.set(defaults, { reg, list });
  return list;
}

function gridFail(indicatorId: string, field: string, reason: GridReason, value: unknown, explanation: string, expected?: unknown): never {
  const details = expected === undefined ? { indicatorId, field, reason, value } : { indicatorId, field, reason, value, expected };
  throw new GridValidationError(details, explanation);
}

/**
 * One spec per axis: the override when given, else the environment's default. An axis with neither is
 * `missing_axis` (`source_required` for the source axis); override names the indicator lacks are
 * `unknown_axis` / `source_not_supported`, as the grid builder reports them.
 */
export function defaultGrid(
  defaults: ValidatedDefaults,
  id: string,
  overrides: Partial<GridSpec> = {},
  reg: Registry = defaultRegistry,
): GridSpec {
  const def = reg.get(id);
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    gridFail(def.id, 'overrides', 'invalid_spec', overrides, 'the defaultGrid overrides must be an object { source?, params?, layout? }');
  }
  const unknownKey = findUnknownKey(overrides, GRID_OVERRIDE_KEYS);
  if (unknownKey)
    gridFail(
      def.id,
      unknownKey.key,
      'invalid_spec',
      unknownKey.key,
      unknownKeyExplanation(unknownKey, 'the defaultGrid overrides'),
      GRID_OVERRIDE_KEYS,
    );
  const d = defaults.indicators.get(def.id) ?? EMPTY;
  const paramAxes = def.axes.filter((a) => a !== 'source');
  const given = new Map<string, AxisInput>();
  if (overrides.params !== undefined && overrides.params !== null) {
    const unknown: string[] = [];
    for (const [key, spec] of Object.entries(overrides.params)) {
      const name = key.trim();
      if (!paramAxes.includes(name)) unknown.push(name);
      else if (spec !== undefined) given.set(name, spec);
    }
    if (unknown.length) {
      unknown.sort();
      gridFail(
        def.id,
        'params',
        'unknown_axis',
        unknown,
        `${def.id} has no axis ${unknown.join(', ')} (its params are: ${paramAxes.join(', ') || 'none'})`,
        paramAxes,
      );
    }
  }
  const hasSource = def.axes.includes('source');
  let source: AxisInput | undefined;
  if (hasSource) {
    source = overrides.source ?? d.source;
    if (source === undefined) {
      gridFail(
        def.id,
        'source',
        'source_required',
        null,
        `${def.id} needs a source axis (one or more of ${def.sourceValues!.join(', ')}) and none is configured`,
        def.sourceValues,
      );
    }
  } else if (overrides.source !== undefined) {
    gridFail(def.id, 'source', 'source_not_supported', overrides.source, `${def.id} has no source axis`);
  }
  const params: Record<string, AxisInput> = {};
  for (const name of paramAxes) {
    const spec = given.get(name) ?? d.params[name];
    if (spec === undefined)
      gridFail(
        def.id,
        `params.${name}`,
        'missing_axis',
        null,
        `${def.id} needs a spec for its axis ${name} and none is configured`,
        'an axis spec',
      );
    params[name] = spec;
  }
  return {
    indicatorId: def.id,
    ...(source !== undefined ? { source } : {}),
    params,
    ...(overrides.layout !== undefined ? { layout: overrides.layout } : {}),
  };
}
