/**
 * Static checks of a strategy (a registered template or a custom one, the same checks for both):
 * its params, constraints and rules, before any grid is expanded. The result is a checked tree
 * whose every node knows its path in the request, so the per-variant work (compile.ts) can report
 * a defect at the place it comes from. Every defect is a StrategyValidationError naming that path.
 */
import { StrategyValidationError } from '../errors.js';
import { safeValue } from '../grid/axes.js';
import { formatFloatV1 } from '../grid/keys.js';
import { findUnknownKey, isPlainObject, keyList, suggestKey } from '../options.js';
import type { IndicatorDef, ParamDef, Registry, SourceSeries } from '../registry/index.js';
import { CMP_ABOVE, CMP_BELOW, CMP_CROSS_ABOVE, CMP_CROSS_BELOW } from '../backtest/program.js';
import {
  SIGNAL_NAMES,
  type Comparison,
  type ConstraintOp,
  type IndicatorOperand,
  type PriceName,
  type PriceOperand,
  type SignalName,
  type StrategyParamDef,
} from './types.js';

/** Throws the StrategyValidationError of a defect at `path`. */
export function strategyFail(path: string, value: unknown, expected: string): never {
  throw new StrategyValidationError({ path, value: safeValue(value) ?? null, expected });
}

/** `one of a, b, c`, plus the closest name when one is close enough. */
export function oneOf(name: unknown, known: readonly string[]): string {
  const hint = typeof name === 'string' ? suggestKey(name, known) : undefined;
  return `one of ${known.join(', ') || '(none)'}${hint === undefined ? '' : `; did you mean ${hint}?`}`;
}

function refuseUnknownKeys(obj: object, known: readonly string[], path: string): void {
  const u = findUnknownKey(obj, known);
  if (u) strategyFail(`${path}${path ? '.' : ''}${u.key}`, u.key, `a known key, ${oneOf(u.key, known)}`);
}

export const PARAM_KINDS: readonly StrategyParamDef['kind'][] = Object.freeze(['int', 'float', 'enum', 'indicator', 'source']);
export const PRICE_NAMES: readonly PriceName[] = Object.freeze(['open', 'high', 'low', 'close', 'volume', 'hl2', 'hlc3', 'ohlc4']);
export const SOURCE_NAMES: readonly SourceSeries[] = Object.freeze(['close', 'hl2', 'hlc3', 'ohlc4', 'low', 'high', 'open']);
export const CONSTRAINT_OPS: readonly ConstraintOp[] = Object.freeze(['<', '<=', '>', '>=', '!=', '==']);
const COMPARISONS: Readonly<Record<Comparison, number>> = Object.freeze({
  above: CMP_ABOVE,
  below: CMP_BELOW,
  cross_above: CMP_CROSS_ABOVE,
  cross_below: CMP_CROSS_BELOW,
});
const RULE_OPS: readonly string[] = Object.freeze([...Object.keys(COMPARISONS), 'all', 'any', 'not']);
const PARAM_KEYS = keyList<StrategyParamDef>({
  name: true,
  kind: true,
  min: true,
  max: true,
  step: true,
  values: true,
  default: true,
  doc: true,
});
const INDICATOR_KEYS = keyList<IndicatorOperand>({ ind: true, output: true, params: true, source: true, lag: true });
const PRICE_KEYS = keyList<PriceOperand>({ price: true, lag: true });
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INT32_MAX = 2147483647;
/** The source an indicator operand reads when it names none. */
export const DEFAULT_SOURCE: SourceSeries = 'close';
/** Rules nest at most this deep (all/any/not), so a hostile request cannot exhaust the stack. */
export const MAX_RULE_DEPTH = 32;

// ---------------------------------------------------------------------------------------------
// The checked tree

/** A literal, or a strategy param read per variant (`negate`: the `'-$name'` form of a constant). */
export type CheckedBinding =
  | { readonly kind: 'lit'; readonly value: number | string }
  | { readonly kind: 'param'; readonly name: string; readonly negate: boolean };

export interface CheckedIndicatorOperand {
  readonly kind: 'indicator';
  readonly path: string;
  readonly ind: CheckedBinding;
  /** The indicators `ind` may name: one for a literal id, the param's values for a binding. */
  readonly candidates: readonly IndicatorDef[];
  /** null: each candidate's primary output. */
  readonly output: string | null;
  readonly params: Readonly<Record<string, CheckedBinding>>;
  /** null: `close` for an indicator with a source axis. */
  readonly source: CheckedBinding | null;
  readonly lag: number;
  /** Canonical JSON of the operand: equal keys read equal series in every variant. */
  readonly key: string;
}
export interface CheckedPriceOperand {
  readonly kind: 'price';
  readonly path: string;
  readonly price: PriceName;
  readonly lag: number;
  readonly key: string;
}
export interface CheckedConstOperand {
  readonly kind: 'const';
  readonly path: string;
  readonly value: CheckedBinding;
  readonly key: string;
}
export type CheckedOperand = CheckedIndicatorOperand | CheckedPriceOperand | CheckedConstOperand;

export type CheckedRule =
  | { readonly kind: 'cmp'; readonly path: string; readonly cmp: number; readonly left: CheckedOperand; readonly right: CheckedOperand }
  | { readonly kind: 'all' | 'any'; readonly path: string; readonly children: readonly CheckedRule[] }
  | { readonly kind: 'not'; readonly path: string; readonly child: CheckedRule };

export interface CheckedConstraint {
  readonly op: ConstraintOp;
  readonly a: string;
  readonly b: string;
}

export interface CheckedStrategy {
  readonly id: string;
  readonly params: readonly StrategyParamDef[];
  readonly constraints: readonly CheckedConstraint[];
  readonly rules: Readonly<Record<SignalName, CheckedRule | null>>;
  /** The canonical form of the rules (defaults filled, keys sorted), for a custom strategy's key. */
  readonly canonicalRules: Readonly<Record<string, unknown>>;
}

/** What the checks need to know about the strategy being checked. */
interface Ctx {
  readonly reg: Registry;
  readonly prefix: string;
  readonly params: ReadonlyMap<string, StrategyParamDef>;
}

// ---------------------------------------------------------------------------------------------
// Params

function checkNumericParam(p: Record<string, unknown>, path: string, isInt: boolean): void {
  for (const k of ['min', 'max'] as const) {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isFinite(v))
      strategyFail(`${path}.${k}`, v ?? null, 'a finite number (numeric params have hard bounds)');
    if (isInt && (!Number.isInteger(v) || Math.abs(v) > INT32_MAX)) strategyFail(`${path}.${k}`, v, 'a signed 32-bit integer');
  }
  if (!((p.min as number) <= (p.max as number))) strategyFail(`${path}.min`, p.min, `<= max (${String(p.max)})`);
  const step = p.step;
  if (step !== undefined) {
    if (typeof step !== 'number' || !Number.isFinite(step) || !(step > 0)) strategyFail(`${path}.step`, step, 'a finite number > 0');
    if (isInt && !Number.isInteger(step)) strategyFail(`${path}.step`, step, 'an integer');
  }
  if (p.values !== undefined)
    strategyFail(`${path}.values`, p.values, 'absent on a numeric param (values belong to enum, indicator and source params)');
}

function checkValuesParam(p: Record<string, unknown>, path: string, kind: string, reg: Registry): void {
  for (const k of ['min', 'max', 'step'] as const) {
    if (p[k] !== undefined) strategyFail(`${path}.${k}`, p[k], `absent on a ${kind} param`);
  }
  const values = p.values;
  if (!Array.isArray(values) || values.length === 0)
    strategyFail(`${path}.values`, values ?? null, `a non-empty list of the allowed ${kind} values`);
  const seen = new Set<string>();
  values.forEach((v: unknown, j: number) => {
    const at = `${path}.values[${j}]`;
    if (typeof v !== 'string' || v === '' || v !== v.trim().toLowerCase()) strategyFail(at, v, 'a trimmed lower-case string');
    if (seen.has(v)) strategyFail(at, v, 'unique values');
    seen.add(v);
    if (kind === 'indicator' && !reg.has(v)) {
      strategyFail(
        at,
        v,
        `a registered indicator id, ${oneOf(
          v,
          reg.list().map((d) => d.id),
        )}`,
      );
    }
    if (kind === 'source' && !SOURCE_NAMES.includes(v as SourceSeries)) strategyFail(at, v, oneOf(v, SOURCE_NAMES));
  });
}

/** Checks the param definitions (names, kinds, bounds, allowed values); returns them by name. */
function checkParams(raw: unknown, prefix: string, reg: Registry): Map<string, StrategyParamDef> {
  const base = `${prefix}params`;
  if (raw === undefined) return new Map();
  if (!Array.isArray(raw)) strategyFail(base, raw, 'a list of param definitions');
  const out = new Map<string, StrategyParamDef>();
  raw.forEach((p: unknown, i: number) => {
    const path = `${base}[${i}]`;
    if (!isPlainObject(p)) strategyFail(path, p, 'a param definition { name, kind, min?, max?, step?, values?, default }');
    refuseUnknownKeys(p, PARAM_KEYS, path);
    const name = p.name;
    if (typeof name !== 'string' || !NAME_RE.test(name))
      strategyFail(`${path}.name`, name ?? null, 'a name of letters, digits and _ (not starting with a digit)');
    if (out.has(name)) strategyFail(`${path}.name`, name, 'a unique param name');
    const kind = p.kind as StrategyParamDef['kind'];
    if (!PARAM_KINDS.includes(kind)) strategyFail(`${path}.kind`, kind ?? null, oneOf(kind, PARAM_KINDS));
    if (kind === 'int' || kind === 'float') checkNumericParam(p, path, kind === 'int');
    else checkValuesParam(p, path, kind, reg);
    if (p.default === undefined) strategyFail(`${path}.default`, null, 'an axis spec: the values this param sweeps');
    if (p.doc !== undefined && typeof p.doc !== 'string') strategyFail(`${path}.doc`, p.doc, 'a string');
    out.set(name, p as unknown as StrategyParamDef);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Constraints

const isNumericParam = (p: StrategyParamDef | undefined): boolean => p !== undefined && (p.kind === 'int' || p.kind === 'float');

/** A `'$name'` reference to a numeric strategy param inside a constraint. */
function constraintParam(raw: unknown, path: string, params: ReadonlyMap<string, StrategyParamDef>): string {
  const names = [...params.keys()];
  if (typeof raw !== 'string' || !raw.startsWith('$'))
    strategyFail(path, raw ?? null, `'$name' of a numeric strategy param (${names.join(', ') || 'none'})`);
  const name = raw.slice(1);
  const p = params.get(name);
  if (!p) strategyFail(path, raw, `a strategy param, ${oneOf(name, names)}`);
  if (!isNumericParam(p)) strategyFail(path, raw, `a numeric (int or float) strategy param; ${name} is ${p.kind}`);
  return name;
}

function checkConstraints(raw: unknown, prefix: string, params: ReadonlyMap<string, StrategyParamDef>): CheckedConstraint[] {
  const base = `${prefix}constraints`;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) strategyFail(base, raw, "a list of constraints [op, '$a', '$b']");
  return raw.map((c: unknown, i: number) => {
    const path = `${base}[${i}]`;
    if (!Array.isArray(c) || c.length !== 3) strategyFail(path, c, "a constraint [op, '$a', '$b']");
    const op = c[0] as ConstraintOp;
    if (!CONSTRAINT_OPS.includes(op)) strategyFail(`${path}[0]`, op ?? null, oneOf(op, CONSTRAINT_OPS));
    return { op, a: constraintParam(c[1], `${path}[1]`, params), b: constraintParam(c[2], `${path}[2]`, params) };
  });
}

// ---------------------------------------------------------------------------------------------
// Operands

/** A `'$name'` (or, when `allowNegate`, `'-$name'`) string; null when `raw` is not of that form. */
function paramRef(raw: string, allowNegate: boolean): { name: string; negate: boolean } | null {
  const m = /^(-?)\$(.*)$/.exec(raw);
  if (!m || (m[1] === '-' && !allowNegate)) return null;
  return { name: m[2]!, negate: m[1] === '-' };
}

function lookupParam(ctx: Ctx, name: string, raw: unknown, path: string): StrategyParamDef {
  const p = ctx.params.get(name);
  if (!p) strategyFail(path, raw, `a binding to a strategy param, ${oneOf(name, [...ctx.params.keys()])}`);
  return p;
}

function checkLag(raw: unknown, path: string): number {
  if (raw === undefined) return 0;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > INT32_MAX) strategyFail(`${path}.lag`, raw, 'an integer >= 0');
  return raw === 0 ? 0 : raw; // -0 is 0
}

function checkConstOperand(raw: number | string, path: string, ctx: Ctx): CheckedConstOperand {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) strategyFail(path, raw, 'a finite number');
    return { kind: 'const', path, value: { kind: 'lit', value: raw }, key: canonicalJson(raw) };
  }
  const ref = paramRef(raw, true);
  if (!ref) strategyFail(path, raw, "an operand: an indicator { ind, ... }, a price { price }, a number, '$param' or '-$param'");
  const p = lookupParam(ctx, ref.name, raw, path);
  if (!isNumericParam(p)) strategyFail(path, raw, `a numeric (int or float) strategy param to compare with; ${ref.name} is ${p.kind}`);
  return { kind: 'const', path, value: { kind: 'param', ...ref }, key: canonicalJson(raw) };
}

function checkPriceOperand(raw: Record<string, unknown>, path: string): CheckedPriceOperand {
  refuseUnknownKeys(raw, PRICE_KEYS, path);
  const price = raw.price as PriceName;
  if (!PRICE_NAMES.includes(price)) strategyFail(`${path}.price`, price ?? null, oneOf(price, PRICE_NAMES));
  const lag = checkLag(raw.lag, path);
  return { kind: 'price', path, price, lag, key: canonicalJson({ lag, price }) };
}

/** Checks an operand and returns its checked form; constants are numbers or param references. */
function checkOperand(raw: unknown, path: string, ctx: Ctx): CheckedOperand {
  if (typeof raw === 'number' || typeof raw === 'string') return checkConstOperand(raw, path, ctx);
  if (isPlainObject(raw) && Object.hasOwn(raw, 'ind')) return checkIndicatorOperand(raw, path, ctx);
  if (isPlainObject(raw) && Object.hasOwn(raw, 'price')) return checkPriceOperand(raw, path);
  return strategyFail(path, raw ?? null, "an operand: an indicator { ind, ... }, a price { price }, a number, '$param' or '-$param'");
}

/** The `ind` of an indicator operand: a literal id, or a binding to an indicator-kind param. */
function checkInd(raw: unknown, path: string, ctx: Ctx): { ind: CheckedBinding; candidates: IndicatorDef[] } {
  if (typeof raw !== 'string') strategyFail(path, raw ?? null, "an indicator id, or '$param' of an indicator param");
  const ref = paramRef(raw, false);
  if (ref) {
    const p = lookupParam(ctx, ref.name, raw, path);
    if (p.kind !== 'indicator') strategyFail(path, raw, `a binding to an indicator-kind strategy param; ${ref.name} is ${p.kind}`);
    return { ind: { kind: 'param', ...ref }, candidates: (p.values ?? []).map((id) => ctx.reg.get(id)) };
  }
  const id = raw.trim().toLowerCase();
  if (!ctx.reg.has(id))
    strategyFail(
      path,
      raw,
      `a registered indicator id, ${oneOf(
        id,
        ctx.reg.list().map((d) => d.id),
      )}`,
    );
  return { ind: { kind: 'lit', value: id }, candidates: [ctx.reg.get(id)] };
}

/** One indicator param binding: a literal of the param's kind, or `'$name'` of a compatible strategy param. */
function checkParamBinding(raw: unknown, path: string, ip: ParamDef, ctx: Ctx): CheckedBinding {
  if (typeof raw === 'string' && raw.includes('$')) {
    const ref = paramRef(raw, false);
    if (!ref) strategyFail(path, raw, "a literal or '$param' (the '-$param' form is for constant operands only)");
    const p = lookupParam(ctx, ref.name, raw, path);
    const fits = ip.kind === 'enum' ? p.kind === 'enum' : ip.kind === 'int' ? p.kind === 'int' : isNumericParam(p);
    if (!fits)
      strategyFail(path, raw, `a strategy param whose kind fits the indicator's ${ip.kind} param ${ip.name}; ${ref.name} is ${p.kind}`);
    return { kind: 'param', ...ref };
  }
  const wantsString = ip.kind === 'enum';
  if (wantsString ? typeof raw !== 'string' : typeof raw !== 'number') {
    strategyFail(path, raw ?? null, `${wantsString ? 'a string' : 'a number'} or '$param' (the indicator's ${ip.name} is ${ip.kind})`);
  }
  return { kind: 'lit', value: raw as number | string };
}

function checkSourceBinding(raw: unknown, path: string, candidates: readonly IndicatorDef[], ctx: Ctx): CheckedBinding {
  const without = candidates.find((d) => d.sourceValues === null);
  if (without) strategyFail(path, raw, `no source: ${without.id} has no source axis`);
  if (typeof raw !== 'string') strategyFail(path, raw ?? null, "a source name or '$param' of a source param");
  const ref = paramRef(raw, false);
  if (ref) {
    const p = lookupParam(ctx, ref.name, raw, path);
    if (p.kind !== 'source') strategyFail(path, raw, `a binding to a source-kind strategy param; ${ref.name} is ${p.kind}`);
    return { kind: 'param', ...ref };
  }
  for (const d of candidates)
    if (!d.sourceValues!.includes(raw as SourceSeries)) strategyFail(path, raw, `a source of ${d.id}, ${oneOf(raw, d.sourceValues!)}`);
  return { kind: 'lit', value: raw };
}

function checkIndicatorOperand(raw: Record<string, unknown>, path: string, ctx: Ctx): CheckedIndicatorOperand {
  refuseUnknownKeys(raw, INDICATOR_KEYS, path);
  const { ind, candidates } = checkInd(raw.ind, `${path}.ind`, ctx);
  let output: string | null = null;
  if (raw.output !== undefined) {
    const o = raw.output;
    for (const d of candidates)
      if (typeof o !== 'string' || !d.outputs.includes(o))
        strategyFail(`${path}.output`, o, `an output of ${d.id}, ${oneOf(o, d.outputs)}`);
    output = o as string;
  }
  const rawParams = raw.params ?? {};
  if (!isPlainObject(rawParams)) strategyFail(`${path}.params`, rawParams, 'an object of indicator param -> binding');
  const params: Record<string, CheckedBinding> = {};
  for (const [name, b] of Object.entries(rawParams)) {
    const at = `${path}.params.${name}`;
    for (const d of candidates) {
      const ip = d.params.find((p) => p.name === name);
      const names = d.params.map((p) => p.name);
      if (!ip) strategyFail(at, name, `a param of ${d.id}, ${oneOf(name, names)}`);
      params[name] = checkParamBinding(b, at, ip, ctx);
    }
  }
  for (const d of candidates) {
    for (const ip of d.params) {
      if (params[ip.name] === undefined && ip.default === undefined)
        strategyFail(`${path}.params.${ip.name}`, null, `a value: ${d.id} has no default for ${ip.name}`);
    }
  }
  const source = raw.source === undefined ? null : checkSourceBinding(raw.source, `${path}.source`, candidates, ctx);
  const lag = checkLag(raw.lag, path);
  const key = canonicalJson(canonicalIndicator(ind, candidates, output, params, source, lag));
  return { kind: 'indicator', path, ind, candidates, output, params, source, lag, key };
}

const bindingJson = (b: CheckedBinding): number | string => (b.kind === 'lit' ? b.value : `${b.negate ? '-' : ''}$${b.name}`);

/**
 * The canonical form of an indicator operand: a literal id gets its output, every param (registry
 * defaults filled in) and its source (`close` by default, null without a source axis) spelt out, so
 * two spellings of the same series are one key; a bound id keeps what the operand gives.
 */
function canonicalIndicator(
  ind: CheckedBinding,
  candidates: readonly IndicatorDef[],
  output: string | null,
  params: Readonly<Record<string, CheckedBinding>>,
  source: CheckedBinding | null,
  lag: number,
): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  for (const [k, b] of Object.entries(params)) p[k] = bindingJson(b);
  if (ind.kind === 'param') {
    return { ind: bindingJson(ind), lag, output, params: p, source: source ? bindingJson(source) : null };
  }
  const def = candidates[0]!;
  for (const ip of def.params) if (p[ip.name] === undefined) p[ip.name] = ip.default!;
  const src = def.sourceValues === null ? null : source ? bindingJson(source) : DEFAULT_SOURCE;
  return { ind: def.id, lag, output: output ?? def.primaryOutput, params: p, source: src };
}

// ---------------------------------------------------------------------------------------------
// Rules

function checkRule(raw: unknown, path: string, ctx: Ctx, depth: number): CheckedRule {
  if (depth > MAX_RULE_DEPTH) strategyFail(path, '...', `rules nested at most ${MAX_RULE_DEPTH} deep`);
  if (!Array.isArray(raw) || raw.length === 0)
    strategyFail(path, raw ?? null, "a rule [op, ...]: ['above', a, b], ['all', rule, ...], ['not', rule], ...");
  const op = raw[0] as string;
  if (typeof op !== 'string' || !RULE_OPS.includes(op)) strategyFail(`${path}[0]`, op ?? null, oneOf(op, RULE_OPS));
  if (op === 'all' || op === 'any') {
    if (raw.length < 2) strategyFail(path, raw, `['${op}', rule, ...] with at least one rule`);
    return { kind: op, path, children: raw.slice(1).map((r, i) => checkRule(r, `${path}[${i + 1}]`, ctx, depth + 1)) };
  }
  if (op === 'not') {
    if (raw.length !== 2) strategyFail(path, raw, "['not', rule] with exactly one rule");
    return { kind: 'not', path, child: checkRule(raw[1], `${path}[1]`, ctx, depth + 1) };
  }
  if (raw.length !== 3) strategyFail(path, raw, `['${op}', a, b] with exactly two operands`);
  const left = checkOperand(raw[1], `${path}[1]`, ctx);
  const right = checkOperand(raw[2], `${path}[2]`, ctx);
  if (left.kind === 'const' && right.kind === 'const') strategyFail(path, raw, 'at least one series operand (an indicator or a price)');
  return { kind: 'cmp', path, cmp: COMPARISONS[op as Comparison], left, right };
}

function canonicalRule(r: CheckedRule): unknown {
  if (r.kind === 'cmp') {
    const op = (Object.keys(COMPARISONS) as Comparison[]).find((k) => COMPARISONS[k] === r.cmp)!;
    return [op, JSON.parse(r.left.key) as unknown, JSON.parse(r.right.key) as unknown];
  }
  if (r.kind === 'not') return ['not', canonicalRule(r.child)];
  return [r.kind, ...r.children.map(canonicalRule)];
}

/** Checks the signals; at least one must be present. */
function checkRules(raw: unknown, ctx: Ctx): { rules: Record<SignalName, CheckedRule | null>; canonical: Record<string, unknown> } {
  const base = `${ctx.prefix}rules`;
  if (!isPlainObject(raw)) strategyFail(base, raw ?? null, `an object of signal -> rule (${SIGNAL_NAMES.join(', ')})`);
  refuseUnknownKeys(raw, SIGNAL_NAMES, base);
  const rules = {} as Record<SignalName, CheckedRule | null>;
  const canonical: Record<string, unknown> = {};
  for (const s of SIGNAL_NAMES) {
    const r = raw[s];
    rules[s] = r === undefined ? null : checkRule(r, `${base}.${s}`, ctx, 0);
    if (rules[s]) canonical[s] = canonicalRule(rules[s]);
  }
  if (SIGNAL_NAMES.every((s) => rules[s] === null)) strategyFail(base, raw, `at least one signal of ${SIGNAL_NAMES.join(', ')}`);
  return { rules, canonical };
}

/**
 * The static checks of one strategy body (params, constraints, rules) in that order; `prefix` goes
 * before every path (empty for a request, `templates.<id>.` when the registry checks a template).
 */
export function checkStrategy(
  id: string,
  body: { readonly params?: unknown; readonly constraints?: unknown; readonly rules?: unknown },
  reg: Registry,
  prefix = '',
): CheckedStrategy {
  const params = checkParams(body.params, prefix, reg);
  const constraints = checkConstraints(body.constraints, prefix, params);
  const { rules, canonical } = checkRules(body.rules, { reg, prefix, params });
  return { id, params: [...params.values()], constraints, rules, canonicalRules: canonical };
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON

/**
 * Canonical JSON: no whitespace, object keys sorted, strings as JSON.stringify writes them, safe
 * integers as plain decimals and every other number in the variant-key float notation (`2.5`,
 * `1e-05`, `-0.0`). `undefined` members are left out.
 */
export function canonicalJson(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : formatFloatV1(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot write ${typeof v}`);
}
