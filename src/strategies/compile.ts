/**
 * Compiles a strategy request (a template with axis overrides, or a custom strategy) over its
 * variant grid into a StrategyProgram: the distinct series every variant reads, the comparisons
 * with per-variant operands, and each signal as postfix code. Every defect is a
 * StrategyValidationError naming its path; nothing here runs per bar.
 */
import {
  OP_ALL,
  OP_ANY,
  OP_ATOM,
  OP_NOT,
  type Atom,
  type AtomSide,
  type SeriesRequest,
  type Side,
  type StrategyProgram,
} from '../backtest/program.js';
import { GridValidationError } from '../errors.js';
import { checkVariantRules, materializeGrid, variantValues } from '../grid/axes.js';
import type { Axis, AxisInput } from '../grid/types.js';
import { isPlainObject, keyList } from '../options.js';
import { registry as indicatorRegistry, type IndicatorDef, type Registry, type SourceSeries } from '../registry/index.js';
import { DEFAULT_PROFILE, type Profile } from '../registry/types.js';
import { deepFreeze } from '../util/index.js';
import { fromGridError, keepVariants, paramAxis } from './grid.js';
import { strategyRegistry } from './registry.js';
import { type CustomStrategy, SIGNAL_NAMES, type SignalName, type StrategySpec } from './types.js';
import {
  type CheckedBinding,
  type CheckedIndicatorOperand,
  type CheckedOperand,
  type CheckedRule,
  type CheckedStrategy,
  canonicalJson,
  checkStrategy,
  DEFAULT_SOURCE,
  oneOf,
  strategyFail,
} from './validate.js';

const TEMPLATE_REQUEST_KEYS: readonly string[] = Object.freeze(['id', 'params']);
const CUSTOM_KEYS = keyList<CustomStrategy>({ id: true, params: true, constraints: true, rules: true });

/** A checked strategy with the axis input of each param and where that input came from. */
interface Resolved {
  readonly checked: CheckedStrategy;
  readonly keyBody: unknown;
  readonly inputs: readonly { readonly input: AxisInput; readonly field: string }[];
}

function refuseKeys(spec: Record<string, unknown>, known: readonly string[], what: string): void {
  for (const k of Object.keys(spec)) if (!known.includes(k)) strategyFail(k, k, `a key of ${what}, ${oneOf(k, known)}`);
}

function resolveTemplate(spec: Record<string, unknown>, reg: Registry): Resolved {
  const def = strategyRegistry.get(spec.id as string);
  refuseKeys(spec, TEMPLATE_REQUEST_KEYS, `a ${def.id} request (rules and constraints belong to custom strategies)`);
  const overrides = spec.params ?? {};
  if (!isPlainObject(overrides)) strategyFail('params', overrides, 'an object of param name -> axis spec');
  const names = def.params.map((p) => p.name);
  for (const k of Object.keys(overrides)) {
    if (!names.includes(k)) strategyFail(`params.${k}`, k, `a param of ${def.id}, ${oneOf(k, names)}`);
  }
  const inputs = def.params.map((p) => ({ input: (overrides[p.name] as AxisInput | undefined) ?? p.default, field: `params.${p.name}` }));
  return { checked: checkStrategy(def.id, def, reg), keyBody: def.id, inputs };
}

function resolveCustom(spec: Record<string, unknown>, reg: Registry): Resolved {
  refuseKeys(spec, CUSTOM_KEYS, 'a custom strategy');
  const checked = checkStrategy('custom', spec, reg);
  const inputs = checked.params.map((p, i) => ({ input: p.default, field: `params[${i}].default` }));
  return { checked, keyBody: deepFreeze({ id: 'custom', rules: checked.canonicalRules }), inputs };
}

/** Per-variant reads of the strategy params of the kept variants. */
interface VariantTable {
  readonly count: number;
  value(name: string, k: number): number | string;
  /**
   * A number that tells apart the variants by the values of `names` only (mixed radix over their
   * axis positions): variants with equal values of those params get equal numbers.
   */
  subIndex(names: readonly string[]): (k: number) => number;
}

function variantTable(axes: readonly Axis[], cartesianIndex: Float64Array): VariantTable {
  const count = cartesianIndex.length;
  const positions = new Map<string, { axis: Axis; pos: Int32Array }>();
  let stride = 1;
  for (let a = axes.length - 1; a >= 0; a--) {
    const axis = axes[a]!;
    const len = axis.values.length;
    const pos = new Int32Array(count);
    for (let k = 0; k < count; k++) pos[k] = Math.floor(cartesianIndex[k]! / stride) % len;
    positions.set(axis.name, { axis, pos });
    stride *= len;
  }
  return {
    count,
    value(name, k) {
      const p = positions.get(name)!;
      return p.axis.values[p.pos[k]!]!;
    },
    subIndex(names) {
      const parts = [...new Set(names)].map((n) => positions.get(n)!);
      return (k) => {
        let i = 0;
        for (const p of parts) i = i * p.axis.values.length + p.pos[k]!;
        return i;
      };
    },
  };
}

const bind = (b: CheckedBinding, t: VariantTable, k: number): number | string => {
  if (b.kind === 'lit') return b.value;
  const v = t.value(b.name, k);
  return b.negate ? 0 - (v as number) : v; // 0 - x, not -x: a negated 0 is 0, not -0
};

/** How far ahead a look-ahead output reads: its trailing-NaN count, a param name or an integer. */
function displacement(def: IndicatorDef, output: string, params: Readonly<Record<string, number | string>>): number {
  const expr = (def.trailingNan?.[output] ?? '0').trim();
  if (/^\d+$/.test(expr)) return Number(expr);
  const v = params[expr];
  return typeof v === 'number' ? v : Number.POSITIVE_INFINITY;
}

/** The program under construction: distinct series, distinct atoms, and operand sides by key. */
interface Builder {
  readonly reg: Registry;
  readonly table: VariantTable;
  readonly series: SeriesRequest[];
  readonly seriesIndex: Map<string, number>;
  readonly atoms: Atom[];
  readonly atomIndex: Map<string, number>;
  readonly sides: Map<string, AtomSide>;
  /** Series (canonical key and lag) already checked against their indicator's bounds and look-ahead. */
  readonly checked: Set<string>;
  /** The profile the series are computed in: outputParams hold for the default profile only. */
  readonly profile: Profile;
}

function addSeries(b: Builder, key: string, req: SeriesRequest): number {
  let i = b.seriesIndex.get(key);
  if (i === undefined) {
    i = b.series.length;
    b.series.push(deepFreeze(req));
    b.seriesIndex.set(key, i);
  }
  return i;
}

/**
 * Checks one distinct indicator series of an operand: its values pass the indicator's own grid
 * validation (bounds, kinds, per-variant rules), and a look-ahead output is lagged by at least
 * its displacement. Errors name the operand's path.
 */
function checkSeries(
  reg: Registry,
  op: CheckedIndicatorOperand,
  def: IndicatorDef,
  req: Extract<SeriesRequest, { kind: 'indicator' }>,
): void {
  const params: Record<string, AxisInput> = {};
  for (const [k, v] of Object.entries(req.params)) params[k] = [v];
  try {
    checkVariantRules(materializeGrid({ indicatorId: def.id, source: req.source === null ? undefined : [req.source], params }, reg));
  } catch (e) {
    if (!(e instanceof GridValidationError)) throw e;
    const field = e.details.field;
    const m = /^params\.([^.]+)/.exec(field);
    fromGridError(e, field.startsWith('source') ? `${op.path}.source` : m ? `${op.path}.params.${m[1]}` : `${op.path}.params`);
  }
  if (def.lookAhead.includes(req.output)) {
    const d = displacement(def, req.output, req.params);
    if (!(op.lag >= d)) {
      strategyFail(
        `${op.path}.lag`,
        op.lag,
        `>= ${d}: ${def.id} ${req.output} looks ${d} bars ahead, a lag of at least that makes it causal`,
      );
    }
  }
}

/** What an indicator operand reads from one candidate indicator: its output and its params by name. */
interface ReadPlan {
  readonly def: IndicatorDef;
  readonly output: string;
  readonly params: readonly { readonly name: string; readonly binding: CheckedBinding | null; readonly fallback: number | string }[];
}

/** The strategy params an indicator operand reads: the variants that agree on them read one series. */
function boundNames(op: CheckedIndicatorOperand): string[] {
  const all = [op.ind, op.source, ...Object.values(op.params)];
  return all.flatMap((x) => (x !== null && x.kind === 'param' ? [x.name] : []));
}

function indicatorSide(b: Builder, op: CheckedIndicatorOperand): AtomSide {
  const plans = new Map<string, ReadPlan>();
  for (const def of op.candidates) {
    const sorted = [...def.params].sort((x, y) => (x.name < y.name ? -1 : 1));
    const params = sorted.map((ip) => ({ name: ip.name, binding: op.params[ip.name] ?? null, fallback: ip.default! }));
    plans.set(def.id, { def, output: op.output ?? def.primaryOutput, params });
  }
  const out = new Int32Array(b.table.count);
  // Variants that agree on the params this operand reads share its series: resolve once per group.
  const group = b.table.subIndex(boundNames(op));
  const seen = new Map<number, number>();
  for (let k = 0; k < out.length; k++) {
    const g = group(k);
    let s = seen.get(g);
    if (s === undefined) {
      const plan = plans.get(bind(op.ind, b.table, k) as string)!;
      const source = plan.def.sourceValues === null ? null : op.source ? (bind(op.source, b.table, k) as SourceSeries) : DEFAULT_SOURCE;
      const params: Record<string, number | string> = {};
      for (const p of plan.params) params[p.name] = p.binding ? bind(p.binding, b.table, k) : p.fallback;
      const req = { kind: 'indicator', indicatorId: plan.def.id, output: plan.output, source, params } as const;
      const full = canonicalJson(['indicator', plan.def.id, plan.output, source, params]);
      if (!b.checked.has(`${full}|${op.lag}`)) {
        checkSeries(b.reg, op, plan.def, req);
        b.checked.add(`${full}|${op.lag}`);
      }
      // an output that ignores some params (the registry's outputParams) is one series for every
      // value of those: it is computed with the first variant's values and read by the others. The
      // registry states them for the default profile: in TA-Lib's, an output's leading NaNs can depend
      // on more params (stoch's k and macd's line start at the signal's lookback), so nothing is shared
      const deps = b.profile === DEFAULT_PROFILE ? plan.def.outputParams?.[plan.output] : undefined;
      const key = deps
        ? canonicalJson(['indicator', plan.def.id, plan.output, source, Object.fromEntries(deps.map((n) => [n, params[n]!]))])
        : full;
      s = addSeries(b, key, req);
      seen.set(g, s);
    }
    out[k] = s;
  }
  return { kind: 'series', lag: op.lag, series: out };
}

function side(b: Builder, op: CheckedOperand): AtomSide {
  const cached = b.sides.get(op.key);
  if (cached) return cached;
  let s: AtomSide;
  if (op.kind === 'indicator') s = indicatorSide(b, op);
  else if (op.kind === 'price') {
    const i = addSeries(b, canonicalJson(['price', op.price]), { kind: 'price', price: op.price });
    s = { kind: 'series', lag: op.lag, series: new Int32Array(b.table.count).fill(i) };
  } else {
    const value = new Float64Array(b.table.count);
    for (let k = 0; k < value.length; k++) value[k] = bind(op.value, b.table, k) as number;
    s = { kind: 'const', value };
  }
  b.sides.set(op.key, s);
  return s;
}

/** Appends the postfix code of `rule` as (op, arg) pairs; atoms are shared between signals. */
function emit(b: Builder, rule: CheckedRule, code: number[]): void {
  if (rule.kind === 'cmp') {
    const key = `${rule.cmp}|${rule.left.key}|${rule.right.key}`;
    let a = b.atomIndex.get(key);
    if (a === undefined) {
      a = b.atoms.length;
      b.atoms.push(Object.freeze({ cmp: rule.cmp, left: side(b, rule.left), right: side(b, rule.right) }));
      b.atomIndex.set(key, a);
    }
    code.push(OP_ATOM, a);
  } else if (rule.kind === 'not') {
    emit(b, rule.child, code);
    code.push(OP_NOT, 0);
  } else {
    for (const c of rule.children) emit(b, c, code);
    code.push(rule.kind === 'all' ? OP_ALL : OP_ANY, rule.children.length);
  }
}

/** A strategy's variant grid: its axes and the variants its constraints keep. */
export interface StrategyGrid {
  readonly strategyId: string;
  /** The strategy's axes in declaration order (cartesian, last fastest), before constraints. */
  readonly axes: readonly Axis[];
  /** Variants after the constraints. */
  readonly variants: number;
  /** Cartesian index (over `axes`) of each kept variant, ascending. */
  readonly cartesianIndex: Float64Array;
}

interface Prepared extends StrategyGrid {
  readonly resolved: Resolved;
}

function prepare(spec: StrategySpec, reg: Registry): Prepared {
  const raw: unknown = spec;
  if (!isPlainObject(raw))
    strategyFail('strategy', raw ?? null, "a strategy request { id, params? } or a custom strategy { id: 'custom', ... }");
  if (typeof raw.id !== 'string') strategyFail('strategy.id', raw.id ?? null, "a template id or 'custom'");
  const resolved = raw.id.trim().toLowerCase() === 'custom' ? resolveCustom(raw, reg) : resolveTemplate(raw, reg);
  const { checked, inputs } = resolved;
  const axes = Object.freeze(checked.params.map((p, i) => paramAxis(checked.id, p, inputs[i]!.input, inputs[i]!.field)));
  const cartesianIndex = keepVariants(axes, checked.constraints, 'constraints');
  return { strategyId: checked.id, axes, variants: cartesianIndex.length, cartesianIndex, resolved };
}

/**
 * The cheap half of compiling: the static checks, the axes and the constraint filter, without
 * resolving any operand per variant. Gives V before anything is sized by it (estimates and the
 * variants guard); compileStrategy repeats these steps and adds the per-variant checks.
 */
export function strategyGrid(spec: StrategySpec, reg: Registry = indicatorRegistry): StrategyGrid {
  const { strategyId, axes, variants, cartesianIndex } = prepare(spec, reg);
  return Object.freeze({ strategyId, axes, variants, cartesianIndex });
}

/**
 * Validates and compiles a strategy request over its variant grid: static checks, the axes
 * (overrides or default grids), the constraint filter, then the series, atoms and signals. With
 * `side` 'long' (or 'short') the other side's two signals are validated but compiled as absent, as
 * that execution never reads them (an absent signal is never true).
 */
export function compileStrategy(
  spec: StrategySpec,
  reg: Registry = indicatorRegistry,
  side: Side = 'both',
  profile: Profile = DEFAULT_PROFILE,
): StrategyProgram {
  const g = prepare(spec, reg);
  const table = variantTable(g.axes, g.cartesianIndex);
  const builder = (): Builder => ({
    reg,
    table,
    series: [],
    seriesIndex: new Map(),
    atoms: [],
    atomIndex: new Map(),
    sides: new Map(),
    checked: new Set(),
    profile,
  });
  const b = builder();
  // the rules of the side the execution never takes are checked like the others (a throwaway
  // builder), then left out: their series are not computed and their comparisons not evaluated
  const ignored = builder();
  const signals = {} as Record<SignalName, Int32Array | null>;
  for (const s of SIGNAL_NAMES) {
    const rule = g.resolved.checked.rules[s];
    const used = side === 'both' || s.startsWith(side);
    if (rule === null) signals[s] = null;
    else {
      const code: number[] = [];
      emit(used ? b : ignored, rule, code);
      signals[s] = used ? Int32Array.from(code) : null;
    }
  }
  return Object.freeze({
    strategyId: g.strategyId,
    keyBody: g.resolved.keyBody,
    axes: g.axes,
    variants: g.variants,
    cartesianIndex: g.cartesianIndex,
    series: Object.freeze(b.series),
    atoms: Object.freeze(b.atoms),
    signals: Object.freeze(signals),
  });
}

/** The strategy params of kept variant `v` (0 ≤ v < program.variants), keys in axis order. */
export function variantParams(program: StrategyProgram, v: number): Readonly<Record<string, number | string>> {
  if (!Number.isInteger(v) || v < 0 || v >= program.variants) {
    throw new RangeError(`variant index must be an integer in [0, ${program.variants}) (got ${String(v)})`);
  }
  return variantValues(program.axes, program.cartesianIndex[v]!);
}
