/**
 * The contract every indicator of the registry passes, derived from its definition alone (no id
 * list): every output has T values per variant; on a clean random walk the leading NaNs are exactly
 * the declared warm-up (and the trailing ones the declared trailing NaNs), at the param defaults and
 * with each param at its min and at its max; every bound is accepted and one step (and, for a float
 * param, one ulp) outside it is refused with GridValidationError; variant keys are stable, distinct
 * across variants and those `variantKeyV1` gives; TIME_MAJOR and VARIANT_MAJOR hold the same bits,
 * transposed; the reference engine gives the same bits as wasm-simd.
 */
import { describe, expect, it } from 'vitest';
import type { IndicatorTensor } from '../../src/compute/tensor.js';
import { GridValidationError } from '../../src/errors.js';
import { variantKeyV1, type GridSpec } from '../../src/grid/index.js';
import { registry, type IndicatorDef, type ParamDef } from '../../src/registry/index.js';
import { bits, candlesOf, engineOf, firstBitDiff } from '../helpers/engine.js';
import { rejection } from '../helpers/errors.js';
import { randomWalk } from '../helpers/series.js';

const T = 480;
const INSTRUMENT = '1:BTCUSDT';
/**
 * A warm-up is the first valid bar when no guarded division hits zero. On a walk that starts with
 * two moves the same way, RSI is 0 (or 100) at bars 1 and 2, so stoch_rsi with k_window 2 divides
 * by a zero RSI range there. So every price of bar 1 is one above bar 0's and every price of bar 2
 * half a unit below it: each source goes up, then down.
 */
const walk = randomWalk(T, 29, 'contract walk');
for (const k of ['open', 'high', 'low', 'close'] as const) {
  walk[k][1] = walk[k][0]! + 1;
  walk[k][2] = walk[k][0]! - 0.5;
}
const candles = candlesOf(walk, INSTRUMENT);
const simd = engineOf('wasm-simd');
const reference = engineOf('reference');
const defs = registry.list();

/**
 * Outputs whose first valid bar depends on the data even when no guarded division hits zero; for
 * these the warm-up is only a lower bound (no value before it). Pivots are NaN on every bar that
 * does not confirm a pivot, so the first value comes at the first pivot, not at `left + right`.
 * (trend.adx's adx, valid from the first bar with directional movement, is checked exactly: bar 1
 * of the walk moves.)
 */
const DATA_DEPENDENT: Readonly<Record<string, readonly string[]>> = {
  'structure.pivots': ['pivot_high', 'pivot_low'],
  'structure.pivot_high': ['pivot_high'],
  'structure.pivot_low': ['pivot_low'],
};

type Point = Readonly<Record<string, number>>;

// --- warm-up expressions ---------------------------------------------------------------------

const FUNCTIONS: Readonly<Record<string, (...a: number[]) => number>> = {
  max: (...a) => Math.max(...a),
  min: (...a) => Math.min(...a),
  floor: Math.floor,
  ceil: Math.ceil,
  sqrt: Math.sqrt,
  abs: Math.abs,
};

/**
 * Evaluates a warm-up expression of the registry (`window + max(1, floor(sqrt(window))) - 2`):
 * numbers, param names, + − * · /, parentheses and the functions above. Anything else throws, so a
 * definition with an expression this cannot read fails the contract instead of passing it.
 */
function evalWarmup(expr: string, values: Point): number {
  const tokens = expr.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*·/(),]|\S/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (want?: string): string => {
    const t = tokens[i++];
    if (t === undefined || (want !== undefined && t !== want))
      throw new Error(`warm-up ${JSON.stringify(expr)}: expected ${want ?? 'more'} at token ${i - 1}, got ${String(t)}`);
    return t;
  };
  const primary = (): number => {
    const t = take();
    if (t === '(') {
      const v = sum();
      take(')');
      return v;
    }
    if (t === '-') return -primary();
    if (/^\d/.test(t)) return Number(t);
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') {
        const f = FUNCTIONS[t];
        if (!f) throw new Error(`warm-up ${JSON.stringify(expr)}: unknown function ${t}`);
        take('(');
        const args = [sum()];
        while (peek() === ',') {
          take(',');
          args.push(sum());
        }
        take(')');
        return f(...args);
      }
      const v = values[t];
      if (v === undefined) throw new Error(`warm-up ${JSON.stringify(expr)}: ${t} is not a param of the variant`);
      return v;
    }
    throw new Error(`warm-up ${JSON.stringify(expr)}: unexpected ${t}`);
  };
  const product = (): number => {
    let v = primary();
    while (peek() === '*' || peek() === '·' || peek() === '/') v = take() === '/' ? v / primary() : v * primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') v = take() === '+' ? v + product() : v - product();
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new Error(`warm-up ${JSON.stringify(expr)}: trailing ${tokens.slice(i).join(' ')}`);
  if (!Number.isInteger(v) || v < 0) throw new Error(`warm-up ${JSON.stringify(expr)} gives ${v}, not a bar index`);
  return v;
}

// --- points of the parameter space -------------------------------------------------------------

const numeric = (def: IndicatorDef): ParamDef[] => def.params.filter((p) => p.kind === 'int' || p.kind === 'float');
const pointOf = (def: IndicatorDef, pick: (p: ParamDef) => number): Point => Object.fromEntries(numeric(def).map((p) => [p.name, pick(p)]));
const defaults = (def: IndicatorDef): Point => pointOf(def, (p) => p.default as number);
const passesRule = (def: IndicatorDef, point: Point): boolean => !def.variantRule || def.variantRule.test(point);

/** The param at `value`, the others at the defaults, else all at their mins, else at their maxes: the first the variant rule accepts. */
function pointWith(def: IndicatorDef, name: string, value: number): Point {
  for (const base of [defaults(def), pointOf(def, (p) => p.min!), pointOf(def, (p) => p.max!)]) {
    const point = { ...base, [name]: value };
    if (passesRule(def, point)) return point;
  }
  throw new Error(`${def.id}: no point with ${name} = ${value} passes the variant rule (${def.variantRule?.description})`);
}

/** Defaults, then each param at its min and at its max. */
function points(def: IndicatorDef): { label: string; point: Point }[] {
  const out = [{ label: 'defaults', point: defaults(def) }];
  for (const p of numeric(def)) {
    out.push({ label: `${p.name} = min ${p.min}`, point: pointWith(def, p.name, p.min!) });
    out.push({ label: `${p.name} = max ${p.max}`, point: pointWith(def, p.name, p.max!) });
  }
  return out;
}

/** `count` values of a param on its step grid from the default up (down where the max is near). */
function near(p: ParamDef, count: number): number[] {
  const d = p.default as number;
  const dir = d + (count - 1) * p.step! <= p.max! ? 1 : -1;
  return Array.from({ length: count }, (_, k) => d + dir * k * p.step!);
}

const gridAt = (def: IndicatorDef, params: Readonly<Record<string, number | number[]>>): GridSpec => ({
  indicatorId: def.id,
  ...(def.sourceValues ? { source: [...def.sourceValues] } : {}),
  params,
});

/** The nearest double below (`dir` −1) or above (+1) `x`. */
function ulpStep(x: number, dir: -1 | 1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const u = new BigInt64Array(f.buffer);
  u[0] = u[0]! + BigInt(x > 0 ? dir : -dir);
  return f[0]!;
}

/** Leading NaN count of a series. */
function leadingNaN(s: Float32Array): number {
  let i = 0;
  while (i < s.length && Number.isNaN(s[i])) i++;
  return i;
}

/** Trailing NaN count of a series. */
function trailingNaN(s: Float32Array): number {
  let i = 0;
  while (i < s.length && Number.isNaN(s[s.length - 1 - i])) i++;
  return i;
}

function expectSameBits(a: IndicatorTensor, b: IndicatorTensor, what: string): void {
  for (const o of a.outputs) {
    const diff = firstBitDiff(o.values, b.output(o.name));
    expect(diff, `${what}: ${o.name} first differs at ${diff}`).toBe(-1);
  }
}

// --- the contract --------------------------------------------------------------------------------

describe('the registry', () => {
  it('has definitions to check, each with a kernel and only int and float params (the contract has no rule for enum params yet)', () => {
    expect(defs.length).toBeGreaterThan(0);
    for (const def of defs) {
      expect(def.kernel, def.id).not.toBeNull();
      for (const p of def.params) expect(['int', 'float'], `${def.id} ${p.name}`).toContain(p.kind);
    }
  });

  it('is checked on a walk whose first two moves differ in direction', () => {
    for (const k of ['open', 'high', 'low', 'close'] as const) {
      expect(walk[k][1], k).toBeGreaterThan(walk[k][0]!);
      expect(walk[k][2], k).toBeLessThan(walk[k][1]!);
    }
  });

  it('lists only real ids and outputs as data-dependent', () => {
    for (const [id, outputs] of Object.entries(DATA_DEPENDENT)) {
      expect(registry.has(id), id).toBe(true);
      for (const o of outputs) expect(registry.get(id).outputs, `${id} ${o}`).toContain(o);
    }
  });
});

describe.each(defs.map((def) => ({ id: def.id, def })))('$id', ({ def }) => {
  const sources = def.sourceValues?.length ?? 1;
  const trailing = (o: string, point: Point): number => (def.trailingNan?.[o] === undefined ? 0 : evalWarmup(def.trailingNan[o]!, point));

  it('gives T values per output and variant, the declared warm-up and trailing NaNs, at the defaults and at every bound; the reference agrees', async () => {
    for (const { label, point } of points(def)) {
      const at = `${def.id} at ${label}`;
      const tensor = await simd.compute({ candles, grid: gridAt(def, point) });
      expect(
        tensor.outputs.map((o) => o.name),
        at,
      ).toEqual(def.outputs);
      expect(tensor.meta.lookAheadOutputs, at).toEqual(def.lookAhead);
      expect(tensor.meta.variants, at).toBe(sources);
      for (let v = 0; v < sources; v++) {
        const values = tensor.variantValues(v);
        for (const [name, value] of Object.entries(point)) expect(values[name], `${at}: the axis value is the one asked`).toBe(value);
        for (const o of def.outputs) {
          expect(tensor.output(o).length, `${at} ${o}`).toBe(T * sources);
          const s = tensor.series(v, o);
          expect(s.length, `${at} ${o}`).toBe(T);
          const w = evalWarmup(def.warmup[o]!, point);
          const trail = trailing(o, point);
          const where = `${at}, variant ${v}, ${o} (warm-up ${def.warmup[o]} = ${w}, trailing ${trail})`;
          if (DATA_DEPENDENT[def.id]?.includes(o)) {
            expect(leadingNaN(s), `${where}: no value before the warm-up`).toBeGreaterThanOrEqual(Math.min(w, T));
          } else if (w < T - trail) {
            expect(leadingNaN(s), `${where}: leading NaNs`).toBe(w);
            expect(trailingNaN(s), `${where}: trailing NaNs`).toBe(trail);
          } else {
            expect(leadingNaN(s), `${where}: all NaN`).toBe(T);
          }
        }
      }
      expectSameBits(tensor, await reference.compute({ candles, grid: gridAt(def, point) }), `${at}: reference vs wasm-simd`);
    }
  });

  it('refuses one step (and for a float one ulp) below the min and above the max of every param, naming it', async () => {
    for (const p of numeric(def)) {
      const below = p.kind === 'float' ? [p.min! - p.step!, ulpStep(p.min!, -1)] : [p.min! - p.step!];
      const above = p.kind === 'float' ? [p.max! + p.step!, ulpStep(p.max!, 1)] : [p.max! + p.step!];
      for (const [reason, value] of [...below.map((x) => ['below_min', x] as const), ...above.map((x) => ['above_max', x] as const)]) {
        const point = { ...pointWith(def, p.name, reason === 'below_min' ? p.min! : p.max!), [p.name]: value };
        const e = await rejection(simd.compute({ candles, grid: gridAt(def, point) }), GridValidationError).catch((err: Error) => {
          throw new Error(`${def.id} ${p.name} = ${value}: ${err.message}`);
        });
        expect(e.code).toBe('grid_invalid');
        expect(e.details, `${def.id} ${p.name} = ${value}`).toMatchObject({
          indicatorId: def.id,
          field: `params.${p.name}.values[0]`,
          reason,
          value,
        });
      }
    }
    if (def.sourceValues) {
      const e = await rejection(simd.compute({ candles, grid: { ...gridAt(def, defaults(def)), source: 'volume' } }), GridValidationError);
      expect(e.details).toMatchObject({ indicatorId: def.id, field: 'source.values[0]', reason: 'not_allowed', value: 'volume' });
    } else {
      const e = await rejection(simd.compute({ candles, grid: { ...gridAt(def, defaults(def)), source: 'close' } }), GridValidationError);
      expect(e.details).toMatchObject({ indicatorId: def.id, reason: 'source_not_supported' });
    }
  });

  it('gives stable, distinct variant keys and the same bits in both layouts', async () => {
    // Every source, five values of the first param (a block of four SIMD variants and a tail) and two
    // of each other, stepping up from the default: each param and the source vary.
    const params = Object.fromEntries(numeric(def).map((p, i) => [p.name, near(p, i === 0 ? 5 : 2)]));
    const grid = gridAt(def, params);
    const tm = await simd.compute({ candles, grid, layout: 'TIME_MAJOR' });
    const vm = await simd.compute({ candles, grid, layout: 'VARIANT_MAJOR' });
    const again = await simd.compute({ candles, grid });
    const V = sources * Object.values(params).reduce((n, values) => n * values.length, 1);
    expect(tm.shape).toEqual([T, V]);
    expect(vm.shape).toEqual([V, T]);

    const keys = tm.variantKeys();
    expect(keys.length).toBe(V);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(keys).size, 'a key per variant').toBe(V);
    expect(again.variantKeys()).toEqual(keys);
    expect(vm.variantKeys()).toEqual(keys);
    for (let v = 0; v < V; v++) {
      const { source, ...rest } = tm.variantValues(v);
      const sel = {
        instrumentId: INSTRUMENT,
        timeframe: '1m',
        indicators: [{ indicatorId: def.id, ...(source === undefined ? {} : { source }), params: rest }],
      };
      expect(keys[v], `variant ${v}`).toBe(variantKeyV1(sel));
    }

    for (const o of def.outputs) {
      const a = bits(tm.output(o));
      const b = bits(vm.output(o));
      let diff = -1;
      for (let t = 0; t < T && diff < 0; t++)
        for (let v = 0; v < V; v++)
          if (a[t * V + v] !== b[v * T + t]) {
            diff = t * V + v;
            break;
          }
      expect(diff, `${o}: TIME_MAJOR element ${diff} differs from its VARIANT_MAJOR transpose`).toBe(-1);
    }
    expectSameBits(tm, again, 'a second compute');
    expectSameBits(tm, await reference.compute({ candles, grid }), 'reference vs wasm-simd');
  });
});

/** The key test vectors (instrument 1:BTCUSDT, timeframe 1m): the keys a tensor must give these variants. */
describe('variant keys of the spec vectors', () => {
  it.each([
    ['ma.sma', 'close', { window: 36 }, '18fef2c6d92a7f3eaaa8c183353cd6d4f4827cd0b1a800cb91e06bbcb976d80e'],
    ['volatility.bbands', 'close', { mult: 2, window: 20 }, '6da4adea9b5a0b5a3d5a1c3c5f1025d0c293bf9210289d3c931af21bd2b24d48'],
    ['volatility.bbands', 'hlc3', { mult: 1.02, window: 20 }, '02d8b02dee0cf7047f987a6a62191633ba455f554b6d1ece306fab26bcc61423'],
    ['volatility.tr', null, {}, '141227cb2c46e73ad7c751c477968ecab43bebff2e7addd98c20e394a522053f'],
    [
      'trend.psar',
      null,
      { accel_max: 0.2, accel_start: 0.02, accel_step: 0.02 },
      'f81bc4eeb0c31af441fa5f0fb9a3e9382ebde2540b3885d7487860d58703e43a',
    ],
  ] as const)('%s %s %o', async (indicatorId, source, params, key) => {
    const tensor = await simd.compute({ candles, grid: { indicatorId, ...(source ? { source } : {}), params } });
    expect(tensor.variantKey(0)).toBe(key);
  });
});
