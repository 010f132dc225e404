/**
 * A strategy's variant grid: its params materialised as axes under the grid builder's own rules
 * (declaration order, cartesian, last axis fastest), then filtered by the constraints keeping order.
 */
import { GridValidationError } from '../errors.js';
import { materializeAxis } from '../grid/axes.js';
import type { Axis, AxisInput } from '../grid/types.js';
import type { StrategyParamDef } from './types.js';
import { type CheckedConstraint, strategyFail } from './validate.js';

/**
 * Cartesian variants a strategy may have before its constraints: the grid is walked once to filter
 * it and the kept indices are held as float64, so this bounds the time and memory of that walk.
 */
export const MAX_STRATEGY_CARTESIAN = 10_000_000;

/** Restates a grid builder's refusal as a StrategyValidationError at `path` (default: the grid's own field). */
export function fromGridError(e: GridValidationError, path?: string): never {
  const { field, value, expected } = e.details;
  // The message is `<field>: <explanation> (got <value>)`; the explanation words a defect without `expected`.
  const explanation = e.message.slice(field.length + 2, e.message.lastIndexOf(' (got '));
  const want = typeof expected === 'string' ? expected : Array.isArray(expected) ? `one of ${expected.join(', ')}` : explanation;
  return strategyFail(path ?? field, value, want);
}

/**
 * One strategy param as an axis: `input` (an override, or the param's default grid) materialised
 * and checked against the param's bounds and step, or its allowed values. `field` names the input
 * in errors: `params.<name>` for an override, `params[<i>].default` for a definition's grid.
 */
export function paramAxis(ownerId: string, p: StrategyParamDef, input: AxisInput, field: string): Axis {
  try {
    if (p.kind === 'int' || p.kind === 'float') {
      const step = p.step ?? (p.kind === 'int' ? 1 : undefined);
      const values = materializeAxis(ownerId, field, p.kind, input, { name: p.name, kind: p.kind, min: p.min, max: p.max, step }, []);
      return Object.freeze({ name: p.name, kind: p.kind, values: Object.freeze(values) });
    }
    const kind = p.kind === 'source' ? 'source' : 'enum';
    const values = materializeAxis(ownerId, field, kind, input, null, p.values ?? []);
    return Object.freeze({ name: p.name, kind, values: Object.freeze(values) });
  } catch (e) {
    if (e instanceof GridValidationError) fromGridError(e);
    throw e;
  }
}

function passes(op: CheckedConstraint['op'], a: number, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '!=':
      return a !== b;
    case '==':
      return a === b;
  }
}

/**
 * The cartesian indices (first axis slowest) of the variants that pass every constraint, ascending.
 * No variant left is a StrategyValidationError naming the constraints.
 */
export function keepVariants(axes: readonly Axis[], constraints: readonly CheckedConstraint[], constraintsPath: string): Float64Array {
  let total = 1;
  for (const a of axes) total *= a.values.length;
  if (total > MAX_STRATEGY_CARTESIAN) {
    strategyFail('params', total, `at most ${MAX_STRATEGY_CARTESIAN} variants before the constraints (narrow the axes)`);
  }
  if (constraints.length === 0) return Float64Array.from({ length: total }, (_, i) => i);
  const at = (name: string): number => axes.findIndex((a) => a.name === name);
  const tests = constraints.map((c) => ({ op: c.op, a: at(c.a), b: at(c.b) }));
  const n = axes.length;
  const idx = new Int32Array(n);
  const kept: number[] = [];
  for (let v = 0; v < total; v++) {
    const ok = tests.every((t) => passes(t.op, axes[t.a]!.values[idx[t.a]!] as number, axes[t.b]!.values[idx[t.b]!] as number));
    if (ok) kept.push(v);
    for (let k = n - 1; k >= 0; k--) {
      if (++idx[k]! < axes[k]!.values.length) break;
      idx[k] = 0;
    }
  }
  if (kept.length === 0) {
    const shown = constraints.map((c) => [c.op, `$${c.a}`, `$${c.b}`]);
    strategyFail(constraintsPath, shown, `constraints that at least one of the ${total} variants satisfies (none does)`);
  }
  return Float64Array.from(kept);
}
