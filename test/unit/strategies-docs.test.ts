/** The README's strategy template table, generated from the strategy registry, and the texts it is made of. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { strategyRegistry } from '../../src/strategies/index.js';
import {
  axisInputText,
  constraintsText,
  ruleText,
  STRATEGY_TABLE_END,
  STRATEGY_TABLE_START,
  strategyParamText,
  strategyTableMarkdown,
} from '../../src/strategies/docs.js';

const readme = (): string => readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

describe('README', () => {
  it('carries the strategy template table generated from the registry (run npm run readme after changing it)', () => {
    const text = readme();
    const a = text.indexOf(STRATEGY_TABLE_START);
    const b = text.indexOf(STRATEGY_TABLE_END);
    expect(a, 'README lacks the strategy table start marker').toBeGreaterThanOrEqual(0);
    expect(b, 'README lacks the strategy table end marker').toBeGreaterThan(a);
    expect(text.slice(a, b + STRATEGY_TABLE_END.length)).toBe(strategyTableMarkdown());
  });

  it('has a row for every template id', () => {
    const text = readme();
    for (const def of strategyRegistry.list()) expect(text, def.id).toContain(`| \`${def.id}\` | ${def.title} |`);
  });
});

describe('template texts', () => {
  const ma = strategyRegistry.get('ma_cross');

  it('writes default grids in the --grid grammar', () => {
    expect(axisInputText({ mode: 'range', start: 5, stopIncl: 50, step: 5 })).toBe('5..50:5');
    expect(axisInputText(['close', 'hlc3'])).toBe('close,hlc3');
    expect(axisInputText({ mode: 'explicit', values: [1.5, 2] })).toBe('1.5,2');
    expect(axisInputText(14)).toBe('14');
  });

  it('writes a numeric param with bounds and step, an id param with its values', () => {
    expect(strategyParamText(ma.params.find((p) => p.name === 'fast')!)).toBe('fast int 2…2000 step 1 (default 5..50:5)');
    expect(strategyParamText(ma.params.find((p) => p.name === 'source')!)).toBe(
      'source ∈ {close, hl2, hlc3, ohlc4, low, high, open} (default close)',
    );
  });

  it('writes rules and constraints in words', () => {
    expect(ruleText(ma.rules.long_entry)).toBe('$ma(window=$fast, source=$source) crosses above $ma(window=$slow, source=$source)');
    expect(constraintsText(ma)).toBe('fast < slow');
    const donchian = strategyRegistry.get('donchian_breakout');
    expect(ruleText(donchian.rules.long_entry)).toBe('close crosses above trend.donchian.donchian_upper(window=$window)[t−1]');
    expect(ruleText(['not', ['any', ['above', { price: 'close' }, 1], ['below', '$x', -2]]])).toBe('not (close > 1 or $x < -2)');
    expect(ruleText(undefined)).toBe('—');
  });
});
