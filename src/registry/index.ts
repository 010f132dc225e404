/** The process-wide registry: built once, validated fail-fast, deep-frozen. */
import { RegistryDefinitionError, UnknownIndicatorError } from '../errors.js';
import { closestNames } from '../options.js';
import { deepFreeze } from '../util/index.js';
import type { Group, IndicatorDef } from './types.js';
import * as ma from './ma.js';
import * as volatility from './volatility.js';
import * as momentum from './momentum.js';
import * as trend from './trend.js';
import * as volume from './volume.js';
import * as structure from './structure.js';

export type * from './types.js';
export { defineIndicator, defineKernel, SRC6, SRC7 } from './types.js';

export interface Registry {
  list(): readonly IndicatorDef[];
  groups(): readonly Group[];
  byGroup(group: string): readonly IndicatorDef[];
  get(id: string): IndicatorDef;
  has(id: string): boolean;
}

const GROUPS: readonly Group[] = ['ma', 'volatility', 'momentum', 'trend', 'volume', 'structure'];
const RESERVED_COLUMNS = new Set(['ts_open', 'variant', 'variant_key']);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function fail(indicatorId: string, field: string, value: unknown, expected: string): never {
  throw new RegistryDefinitionError({ indicatorId, field, value, expected });
}

/**
 * Checks one definition (id form, params and their bounds, axes, inputs and source values, outputs,
 * warm-ups, kernel binding); each `fail` call names the field and what it must be. Throws
 * RegistryDefinitionError on the first violation.
 */
export function validateDefinition(def: IndicatorDef): void {
  const id = def.id;
  if (typeof id !== 'string' || id !== id.trim().toLowerCase() || !/^[a-z0-9_-]+\.[a-z0-9_.-]+$/.test(id))
    fail(String(id), 'id', id, 'a trimmed lower-case id <group>.<name>');
  if (id.slice(0, id.indexOf('.')) !== def.group || !GROUPS.includes(def.group))
    fail(id, 'group', def.group, `the id prefix, one of ${GROUPS.join(', ')}`);
  if (typeof def.title !== 'string' || def.title.trim() === '') fail(id, 'title', def.title, 'a non-empty string');
  const names = new Set<string>();
  for (const [i, p] of def.params.entries()) {
    const f = `params[${i}]`;
    if (typeof p.name !== 'string' || p.name.trim() === '') fail(id, `${f}.name`, p.name, 'a non-empty name');
    if (names.has(p.name)) fail(id, `${f}.name`, p.name, 'a unique param name');
    names.add(p.name);
    if (p.kind === 'int' || p.kind === 'float') {
      for (const k of ['min', 'max', 'step'] as const) {
        if (typeof p[k] !== 'number' || !Number.isFinite(p[k])) fail(id, `${f}.${k}`, p[k], 'a finite number');
      }
      if (!(p.step! > 0)) fail(id, `${f}.step`, p.step, 'a number > 0');
      if (!(p.min! <= p.max!)) fail(id, `${f}.min`, p.min, `<= max (${p.max})`);
      if (p.enumValues !== undefined) fail(id, `${f}.enumValues`, p.enumValues, 'absent for numeric params');
      if (p.default !== undefined && (typeof p.default !== 'number' || p.default < p.min! || p.default > p.max!))
        fail(id, `${f}.default`, p.default, `a number in [${p.min}, ${p.max}]`);
      if (p.kind === 'int') {
        for (const k of ['min', 'max', 'step', 'default'] as const) {
          const v = p[k];
          if (v !== undefined && (!Number.isInteger(v) || (v as number) < INT32_MIN || (v as number) > INT32_MAX))
            fail(id, `${f}.${k}`, v, 'a signed 32-bit integer');
        }
      }
    } else if (p.kind === 'enum') {
      if (p.min !== undefined || p.max !== undefined || p.step !== undefined) fail(id, f, p, 'no min/max/step on an enum param');
      const ev = p.enumValues;
      if (!Array.isArray(ev) || ev.length === 0) fail(id, `${f}.enumValues`, ev, 'a non-empty list');
      if (new Set(ev).size !== ev.length || ev.some((v) => typeof v !== 'string' || v !== v.trim().toLowerCase() || v === ''))
        fail(id, `${f}.enumValues`, ev, 'unique trimmed lower-case strings');
      if (p.default !== undefined && !ev.includes(p.default as string)) fail(id, `${f}.default`, p.default, `one of ${ev.join(', ')}`);
    } else {
      fail(id, `${f}.kind`, p.kind, 'int, float or enum');
    }
  }
  if (new Set(def.axes).size !== def.axes.length) fail(id, 'axes', def.axes, 'unique axis names');
  for (const a of def.axes) if (a !== 'source' && !names.has(a)) fail(id, 'axes', a, 'a param name or source');
  for (const n of names) if (!def.axes.includes(n)) fail(id, 'axes', def.axes, `to include the param ${n}`);
  if (def.inputs.length === 0 || new Set(def.inputs).size !== def.inputs.length)
    fail(id, 'inputs', def.inputs, 'a non-empty list of unique series');
  const hasSourceInput = def.inputs.includes('source');
  const hasSourceAxis = def.axes.includes('source');
  const hasSourceValues = Array.isArray(def.sourceValues) && def.sourceValues.length > 0;
  if (hasSourceInput !== hasSourceAxis || hasSourceAxis !== hasSourceValues)
    fail(id, 'sourceValues', def.sourceValues, 'a non-empty list exactly when inputs and axes contain source');
  if (!hasSourceValues && def.sourceValues !== null) fail(id, 'sourceValues', def.sourceValues, 'null without a source axis');
  // SourceSeries has no volume, but a definition built at run time was never seen by the compiler
  const sourceNames: readonly string[] | null = def.sourceValues;
  if (sourceNames?.includes('volume')) fail(id, 'sourceValues', def.sourceValues, 'no volume');
  if (def.outputs.length === 0 || new Set(def.outputs).size !== def.outputs.length)
    fail(id, 'outputs', def.outputs, 'a non-empty list of unique names');
  for (const o of def.outputs) {
    if (def.axes.includes(o) || RESERVED_COLUMNS.has(o))
      fail(id, 'outputs', o, 'a name that is neither an axis nor ts_open/variant/variant_key');
  }
  if (def.primaryOutput !== def.outputs[0]) fail(id, 'primaryOutput', def.primaryOutput, `outputs[0] (${def.outputs[0]})`);
  for (const o of def.outputs) if (typeof def.warmup[o] !== 'string') fail(id, `warmup.${o}`, def.warmup[o], 'a warm-up expression');
  if (def.kernel) {
    for (const o of def.outputs)
      if (!def.kernel.slots.includes(o)) fail(id, 'kernel.slots', def.kernel.slots, `to contain the output ${o}`);
    for (const p of def.kernel.params) if (!names.has(p)) fail(id, 'kernel.params', p, 'a param of the definition');
  }
}

/** Builds a registry from definitions; used once for the process-wide instance and by tests. */
export function createRegistry(defs: readonly IndicatorDef[]): Registry {
  const byId = new Map<string, IndicatorDef>();
  for (const def of defs) {
    validateDefinition(def);
    if (byId.has(def.id)) fail(def.id, 'id', def.id, 'a unique id');
    byId.set(def.id, deepFreeze(def));
  }
  const sorted = Object.freeze([...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  const groupLists = new Map<string, readonly IndicatorDef[]>();
  for (const g of GROUPS) groupLists.set(g, Object.freeze(sorted.filter((d) => d.group === g)));
  return Object.freeze({
    list: () => sorted,
    groups: () => GROUPS,
    byGroup: (group: string) => groupLists.get(group) ?? Object.freeze([]),
    has: (id: string) => typeof id === 'string' && byId.has(id.trim().toLowerCase()),
    get(id: string): IndicatorDef {
      const key = typeof id === 'string' ? id.trim().toLowerCase() : String(id);
      const def = byId.get(key);
      if (def) return def;
      const suggestions = closestNames(
        key,
        sorted.map((d) => d.id),
        3,
        3,
      );
      throw new UnknownIndicatorError({ indicatorId: typeof id === 'string' ? id : String(id), suggestions });
    },
  });
}

const ALL: IndicatorDef[] = [ma, volatility, momentum, trend, volume, structure].flatMap((m) => Object.values(m) as IndicatorDef[]);

/** The process-wide registry. */
export const registry: Registry = createRegistry(ALL);
