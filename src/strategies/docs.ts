/**
 * Strategy templates as text, generated from the strategy registry: the README's template table (a
 * test fails when the README drifts) and the lines `gridta strategies` prints. Params read as
 * `name kind min…max step s (default grid)`, default grids in the CLI's axis grammar (`5..50:5`,
 * `close,hlc3`), rules as `a crosses above b`.
 */
import type { AxisInput } from '../grid/types.js';
import { strategyRegistry } from './registry.js';
import type { Operand, Rule, StrategyDef, StrategyParamDef } from './types.js';

export const STRATEGY_TABLE_START = '<!-- strategies:start (generated from the strategy registry by `npm run readme`) -->';
export const STRATEGY_TABLE_END = '<!-- strategies:end -->';

const esc = (s: string): string => s.replace(/\|/g, '\\|');

/** An axis input in the CLI's `--grid` grammar: `a..b:s` for a range, `x,y,z` for a list. */
export function axisInputText(input: AxisInput): string {
  if (Array.isArray(input)) return input.join(',');
  if (typeof input === 'object' && input !== null) {
    const spec = input as { mode: string; start?: number; stopIncl?: number; step?: number; values?: readonly (number | string)[] };
    return spec.mode === 'range' ? `${spec.start}..${spec.stopIncl}:${spec.step}` : (spec.values ?? []).join(',');
  }
  return String(input);
}

/** One param: `fast int 2…2000 step 1 (default 5..50:5)` or `ma ∈ {ma.ema, ma.sma} (default ma.ema)`. */
export function strategyParamText(p: StrategyParamDef): string {
  const grid = `(default ${axisInputText(p.default)})`;
  if (p.kind === 'int' || p.kind === 'float') {
    return `${p.name} ${p.kind} ${p.min}…${p.max}${p.step === undefined ? '' : ` step ${p.step}`} ${grid}`;
  }
  return `${p.name} ∈ {${(p.values ?? []).join(', ')}} ${grid}`;
}

function operandText(op: Operand): string {
  if (typeof op === 'number' || typeof op === 'string') return String(op);
  const lag = op.lag ? `[t−${op.lag}]` : '';
  if ('price' in op) return `${op.price}${lag}`;
  const args = Object.entries(op.params ?? {}).map(([k, v]) => `${k}=${v}`);
  if (op.source !== undefined) args.push(`source=${op.source}`);
  return `${op.ind}${op.output ? `.${op.output}` : ''}(${args.join(', ')})${lag}`;
}

const CMP_WORDS: Readonly<Record<string, string>> = {
  cross_above: 'crosses above',
  cross_below: 'crosses below',
  above: '>',
  below: '<',
};

/** A rule in words: `a crosses above b`, `(x and y)`, `not (x)`. */
export function ruleText(rule: Rule | undefined): string {
  if (rule === undefined) return '—';
  const [head, ...rest] = rule as readonly [string, ...unknown[]];
  if (head === 'all' || head === 'any') return `(${(rest as Rule[]).map(ruleText).join(head === 'all' ? ' and ' : ' or ')})`;
  if (head === 'not') return `not ${ruleText(rest[0] as Rule)}`;
  return `${operandText(rest[0] as Operand)} ${CMP_WORDS[head] ?? head} ${operandText(rest[1] as Operand)}`;
}

/** Constraints as `fast < slow`. */
export function constraintsText(def: Pick<StrategyDef, 'constraints'>): string {
  return def.constraints.length === 0
    ? '—'
    : def.constraints.map(([op, a, b]) => `${a.replace(/^\$/, '')} ${op} ${b.replace(/^\$/, '')}`).join('; ');
}

/** The README table of every template, sorted by id, between its markers. */
export function strategyTableMarkdown(defs: readonly StrategyDef[] = strategyRegistry.list()): string {
  const lines = [STRATEGY_TABLE_START, ''];
  lines.push('| id | title | params (hard bounds, default grid) | constraints | long entry | long exit |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const d of defs) {
    const cells = [
      `\`${d.id}\``,
      esc(d.title),
      esc(d.params.map(strategyParamText).join('; ')),
      esc(constraintsText(d)),
      esc(ruleText(d.rules.long_entry)),
      esc(ruleText(d.rules.long_exit)),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', STRATEGY_TABLE_END);
  return lines.join('\n');
}
