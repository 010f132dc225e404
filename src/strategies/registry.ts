/**
 * The strategy registry: the templates, checked when the module loads exactly as a custom strategy
 * is checked (params, constraints, every operand resolving against the indicator registry), plus
 * what only a template promises: a numeric param's bounds lie inside those of every indicator param
 * it feeds, a source param only lists sources its indicators accept, and its default grid is valid.
 */
import { registry as indicatorRegistry, type Registry } from '../registry/index.js';
import { deepFreeze } from '../util/index.js';
import { paramAxis } from './grid.js';
import { REVERT_TEMPLATES } from './templates/revert.js';
import { TREND_TEMPLATES } from './templates/trend.js';
import type { StrategyDef, StrategyParamDef } from './types.js';
import { type CheckedOperand, type CheckedRule, checkStrategy, oneOf, strategyFail } from './validate.js';

export interface StrategyRegistry {
  /** Every template, sorted by id. */
  list(): readonly StrategyDef[];
  /** The template `id` (trimmed, lower-cased); an unknown id is a StrategyValidationError at `strategy.id`. */
  get(id: string): StrategyDef;
  has(id: string): boolean;
}

const ID_RE = /^[a-z][a-z0-9_]*$/;

function forEachOperand(rule: CheckedRule | null, fn: (op: CheckedOperand) => void): void {
  if (rule === null) return;
  if (rule.kind === 'cmp') {
    fn(rule.left);
    fn(rule.right);
  } else if (rule.kind === 'not') forEachOperand(rule.child, fn);
  else for (const c of rule.children) forEachOperand(c, fn);
}

/** A template's params fit every indicator they feed, for every value their bounds allow. */
function checkFeeds(def: StrategyDef, op: CheckedOperand, prefix: string): void {
  if (op.kind !== 'indicator') return;
  const at = (p: StrategyParamDef): string => `${prefix}params[${def.params.indexOf(p)}]`;
  const param = (name: string): StrategyParamDef => def.params.find((p) => p.name === name)!;
  for (const ind of op.candidates) {
    for (const [name, b] of Object.entries(op.params)) {
      if (b.kind !== 'param') continue;
      const p = param(b.name);
      const ip = ind.params.find((x) => x.name === name)!;
      if (ip.kind === 'enum') continue;
      if (p.min! < ip.min!) strategyFail(`${at(p)}.min`, p.min, `>= ${ip.min}, the minimum of ${ind.id} ${name}`);
      if (p.max! > ip.max!) strategyFail(`${at(p)}.max`, p.max, `<= ${ip.max}, the maximum of ${ind.id} ${name}`);
    }
    if (op.source?.kind === 'param') {
      const p = param(op.source.name);
      for (const [j, s] of (p.values ?? []).entries()) {
        if (!ind.sourceValues!.includes(s as never))
          strategyFail(`${at(p)}.values[${j}]`, s, `a source of ${ind.id}, one of ${ind.sourceValues!.join(', ')}`);
      }
    }
  }
}

/** Checks one template (see the module comment); throws StrategyValidationError at `templates.<id>.…`. */
export function checkTemplate(def: StrategyDef, reg: Registry): void {
  const prefix = `templates.${String(def.id)}.`;
  if (typeof def.id !== 'string' || !ID_RE.test(def.id) || def.id === 'custom') {
    strategyFail(`${prefix}id`, def.id, "a lower-case id of letters, digits and _ other than 'custom'");
  }
  for (const k of ['family', 'title', 'doc'] as const) {
    if (typeof def[k] !== 'string' || def[k].trim() === '') strategyFail(`${prefix}${k}`, def[k] ?? null, 'a non-empty string');
  }
  const checked = checkStrategy(def.id, def, reg, prefix);
  for (const r of Object.values(checked.rules)) forEachOperand(r, (op) => checkFeeds(def, op, prefix));
  for (const [i, p] of def.params.entries()) paramAxis(def.id, p, p.default, `${prefix}params[${i}].default`);
}

/** Builds a strategy registry from templates (the process-wide one, or a test's). */
export function createStrategyRegistry(defs: readonly StrategyDef[], reg: Registry = indicatorRegistry): StrategyRegistry {
  const byId = new Map<string, StrategyDef>();
  for (const def of defs) {
    checkTemplate(def, reg);
    if (byId.has(def.id)) strategyFail(`templates.${def.id}.id`, def.id, 'a unique template id');
    byId.set(def.id, deepFreeze(def));
  }
  const sorted = Object.freeze([...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  const ids = sorted.map((d) => d.id);
  return Object.freeze({
    list: () => sorted,
    has: (id: string) => typeof id === 'string' && byId.has(id.trim().toLowerCase()),
    get(id: string): StrategyDef {
      const key = typeof id === 'string' ? id.trim().toLowerCase() : id;
      const def = typeof key === 'string' ? byId.get(key) : undefined;
      if (def) return def;
      return strategyFail('strategy.id', id ?? null, `a registered strategy id or 'custom', ${oneOf(key, ids)}`);
    },
  });
}

/** The process-wide strategy registry. */
export const strategyRegistry: StrategyRegistry = createStrategyRegistry([...TREND_TEMPLATES, ...REVERT_TEMPLATES]);
