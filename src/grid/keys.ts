/**
 * Variant key v1: a canonical JSON payload naming indicators, their inputs and
 * parameters, the instrument, the timeframe and, when it is not the default, the profile of
 * conventions, hashed with SHA-256. Changing anything here needs a new key version; the test vectors
 * in test/unit/keys.test.ts pin it.
 */
import * as nodeCrypto from 'node:crypto';
import { registry as defaultRegistry, type IndicatorDef, type Registry } from '../registry/index.js';
import { DEFAULT_PROFILE, PROFILES, type Profile } from '../registry/types.js';
import { findUnknownKey, keyList, unknownKeyExplanation } from '../options.js';
import { gridFail, materializeGrid, safeValue } from './axes.js';
import { normalizeTimeframe, TIMEFRAME_MS } from './timeframe.js';
import type { Axis, AxisInput } from './types.js';

/** One indicator of a selection: one value per axis (scalars, or one-value explicit axes). */
export interface VariantKeyIndicator {
  readonly indicatorId: string;
  readonly source?: AxisInput;
  readonly params?: Readonly<Record<string, AxisInput>>;
}

export interface VariantKeySelection {
  readonly instrumentId: string;
  readonly timeframe: string;
  readonly indicators: readonly VariantKeyIndicator[];
  /** The profile of conventions (default `gridta`); a key names it only when it is not the default. */
  readonly profile?: Profile;
}

/**
 * Float rule: shortest round-trip digits; positional with a fractional part when the decimal
 * exponent is in [-4, 15], else `d[.ddd]e±XX`; negative zero is `-0.0`.
 */
export function formatFloatV1(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`a variant key float must be finite (got ${String(x)})`);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const expo = Math.abs(x).toExponential(); // "d.ddde±N", shortest round-trip digits
  const eAt = expo.indexOf('e');
  const digits = expo.slice(0, eAt).replace('.', '');
  const e = Number(expo.slice(eAt + 1));
  if (e >= -4 && e <= 15) {
    if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
    const intLen = e + 1;
    const intPart = digits.length >= intLen ? digits.slice(0, intLen) : digits + '0'.repeat(intLen - digits.length);
    const frac = digits.length > intLen ? digits.slice(intLen) : '0';
    return `${sign}${intPart}.${frac}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const absE = Math.abs(e);
  return `${sign}${mant}e${e < 0 ? '-' : '+'}${absE < 10 ? '0' : ''}${absE}`;
}

function formatAxisValue(kind: Axis['kind'], v: number | string): string {
  if (kind === 'float') return formatFloatV1(v as number);
  if (kind === 'int') return String(v);
  return JSON.stringify(v);
}

/** Per-axes cache for tensors: formatted values per axis, parameter order by name, strides. */
interface TensorKeyer {
  readonly idJson: string;
  readonly sourceAxis: number; // -1 without a source axis
  readonly paramOrder: readonly number[]; // axis positions of the params, sorted by name
  readonly nameJson: readonly string[]; // JSON of each axis name
  readonly strides: readonly number[];
  readonly lengths: readonly number[];
  readonly formatted: (string[] | undefined)[]; // filled per axis on first use
}
const keyers = new WeakMap<readonly Axis[], TensorKeyer>();

function keyerFor(def: IndicatorDef, axes: readonly Axis[]): TensorKeyer {
  let k = keyers.get(axes);
  if (k && k.idJson === JSON.stringify(def.id)) return k;
  const lengths = axes.map((a) => a.values.length);
  const strides = new Array<number>(axes.length);
  let s = 1;
  for (let i = axes.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= lengths[i]!;
  }
  const paramOrder = axes
    .map((a, i) => ({ name: a.name.trim(), i }))
    .filter((x) => x.name !== 'source')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((x) => x.i);
  k = {
    idJson: JSON.stringify(def.id),
    sourceAxis: axes.findIndex((a) => a.name === 'source'),
    paramOrder,
    nameJson: axes.map((a) => JSON.stringify(a.name.trim())),
    strides,
    lengths,
    formatted: new Array(axes.length),
  };
  keyers.set(axes, k);
  return k;
}

function formattedAxis(k: TensorKeyer, def: IndicatorDef, axes: readonly Axis[], i: number): string[] {
  let f = k.formatted[i];
  if (!f) {
    const a = axes[i]!;
    // The parameter's kind decides the notation, never the JS value (a mult of 2 is `2.0`).
    const kind = a.name === 'source' ? 'source' : (def.params.find((p) => p.name === a.name)?.kind ?? a.kind);
    f = (a.values as readonly (number | string)[]).map((v) => formatAxisValue(kind, v));
    k.formatted[i] = f;
  }
  return f;
}

/** The `{"id":...,"inputs":[...],"params":[...]}` object of one indicator at axis positions `pos`. */
function indicatorJson(k: TensorKeyer, def: IndicatorDef, axes: readonly Axis[], pos: (i: number) => number): string {
  let inputs = '[]';
  if (k.sourceAxis >= 0) inputs = `[["source",${formattedAxis(k, def, axes, k.sourceAxis)[pos(k.sourceAxis)]}]]`;
  let params = '';
  for (const i of k.paramOrder) {
    params += `${params ? ',' : ''}[${k.nameJson[i]},${formattedAxis(k, def, axes, i)[pos(i)]}]`;
  }
  return `{"id":${k.idJson},"inputs":${inputs},"params":[${params}]}`;
}

/**
 * The payload's top-level object, keys in code-point order. The profile appears only when it is not
 * the default, so that every key of the default profile stays what it was before profiles existed
 * (and keys of ids that compute the same in both profiles still differ between them: a key names
 * what was asked, not what happened to coincide).
 */
function wrapPayload(indicators: readonly string[], instrumentId: string, timeframe: string, profile: Profile): string {
  const named = profile === DEFAULT_PROFILE ? '' : `"profile":${JSON.stringify(profile)},`;
  return `{"indicators":[${indicators.join(',')}],"instrument_id":${JSON.stringify(instrumentId)},${named}"schema_version":1,"timeframe":${JSON.stringify(timeframe)}}`;
}

/** Lower-case hex SHA-256 of the UTF-8 payload. */
export function hashPayloadV1(payload: string): string {
  return oneShot !== undefined ? oneShot('sha256', payload, 'hex') : nodeCrypto.createHash('sha256').update(payload, 'utf8').digest('hex');
}
/** `crypto.hash` (Node >= 20.12) hashes a string as UTF-8 in one call, about twice as fast. */
const oneShot: ((alg: string, data: string, enc: 'hex') => string) | undefined =
  typeof (nodeCrypto as { hash?: unknown }).hash === 'function'
    ? (nodeCrypto as { hash: (a: string, d: string, e: 'hex') => string }).hash
    : undefined;

/**
 * The v1 payload of variant `v` of a materialised (already validated) grid, for tensors. No
 * validation: `def`, `axes`, `instrumentId` and `timeframe` come from a compute that validated candles and grid.
 */
export function tensorVariantKeyPayload(
  def: IndicatorDef,
  axes: readonly Axis[],
  v: number,
  instrumentId: string,
  timeframe: string,
  profile: Profile = DEFAULT_PROFILE,
): string {
  const k = keyerFor(def, axes);
  const json = indicatorJson(k, def, axes, (i) => Math.floor(v / k.strides[i]!) % k.lengths[i]!);
  return wrapPayload([json], instrumentId.trim(), timeframe.trim().toLowerCase(), profile);
}

/** The v1 key of variant `v` of a tensor computed in `profile` (default: the default profile). */
export function tensorVariantKey(
  def: IndicatorDef,
  axes: readonly Axis[],
  v: number,
  instrumentId: string,
  timeframe: string,
  profile: Profile = DEFAULT_PROFILE,
): string {
  return hashPayloadV1(tensorVariantKeyPayload(def, axes, v, instrumentId, timeframe, profile));
}

export const SELECTION_KEYS = keyList<VariantKeySelection>({ instrumentId: true, timeframe: true, indicators: true, profile: true });
export const SELECTION_ENTRY_KEYS = keyList<VariantKeyIndicator>({ indicatorId: true, source: true, params: true });

/**
 * The canonical payload of a selection of indicators (one value per axis), validated against
 * the registry as the grid builder validates one-value explicit axes. A repeated indicator id is `duplicate_value`.
 */
export function variantKeyPayloadV1(sel: VariantKeySelection, reg: Registry = defaultRegistry): string {
  if (typeof sel !== 'object' || sel === null || Array.isArray(sel)) {
    gridFail('', 'selection', 'invalid_spec', sel ?? null, 'must be an object { instrumentId, timeframe, indicators }', SELECTION_KEYS);
  }
  const unknownSel = findUnknownKey(sel, SELECTION_KEYS);
  if (unknownSel)
    gridFail(
      '',
      unknownSel.key,
      'invalid_spec',
      unknownSel.key,
      unknownKeyExplanation(unknownSel, 'a variant key selection'),
      SELECTION_KEYS,
    );
  const { instrumentId, timeframe, indicators, profile } = sel as {
    instrumentId: unknown;
    timeframe: unknown;
    indicators: unknown;
    profile?: unknown;
  };
  if (profile !== undefined && !(PROFILES as readonly unknown[]).includes(profile))
    gridFail('', 'profile', 'invalid_spec', safeValue(profile) ?? null, `must be one of ${PROFILES.join(', ')}`, PROFILES);
  if (typeof instrumentId !== 'string') gridFail('', 'instrumentId', 'wrong_type', instrumentId ?? null, 'must be a string', 'a string');
  const instrument = instrumentId.trim();
  if (instrument === '') gridFail('', 'instrumentId', 'empty_values', instrumentId, 'must not be blank', 'a non-blank string');
  const tf = normalizeTimeframe(timeframe);
  if (tf === null) {
    const allowed = Object.keys(TIMEFRAME_MS);
    gridFail('', 'timeframe', 'not_allowed', safeValue(timeframe) ?? null, `must be one of ${allowed.join(', ')}`, allowed);
  }
  if (!Array.isArray(indicators))
    gridFail('', 'indicators', 'invalid_spec', safeValue(indicators) ?? null, 'must be an array of indicator selections');
  if (indicators.length === 0) gridFail('', 'indicators', 'empty_values', [], 'must name at least one indicator', 'a non-empty list');
  const parts: { id: string; json: string }[] = [];
  const seen = new Set<string>();
  for (const entry of indicators as unknown[]) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      gridFail(
        '',
        'indicators',
        'invalid_spec',
        safeValue(entry) ?? null,
        'each entry must be an object { indicatorId, source?, params? }',
        SELECTION_ENTRY_KEYS,
      );
    }
    const e = entry as Record<string, unknown>;
    const def = reg.get(e.indicatorId as string);
    const unknownEntry = findUnknownKey(e, SELECTION_ENTRY_KEYS);
    if (unknownEntry)
      gridFail(
        def.id,
        unknownEntry.key,
        'invalid_spec',
        unknownEntry.key,
        unknownKeyExplanation(unknownEntry, 'an indicator selection'),
        SELECTION_ENTRY_KEYS,
      );
    const grid = materializeGrid(
      { indicatorId: def.id, source: e.source as AxisInput | undefined, params: e.params as Record<string, AxisInput> | undefined },
      reg,
    );
    for (const a of grid.axes) {
      if (a.values.length !== 1) {
        const field = a.name === 'source' ? 'source' : `params.${a.name}`;
        gridFail(def.id, field, 'invalid_spec', a.values.length, 'a variant key needs exactly one value per axis', 'one value');
      }
    }
    if (seen.has(def.id)) gridFail(def.id, 'indicators', 'duplicate_value', def.id, `names ${def.id} twice`, 'unique indicator ids');
    seen.add(def.id);
    parts.push({ id: def.id, json: indicatorJson(keyerFor(def, grid.axes), def, grid.axes, () => 0) });
  }
  parts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return wrapPayload(
    parts.map((p) => p.json),
    instrument,
    tf,
    (profile as Profile | undefined) ?? DEFAULT_PROFILE,
  );
}

/** The v1 variant key (64 lower-case hex chars) of a selection. */
export function variantKeyV1(sel: VariantKeySelection, reg: Registry = defaultRegistry): string {
  return hashPayloadV1(variantKeyPayloadV1(sel, reg));
}
