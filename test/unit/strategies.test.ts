/**
 * Strategy templates and the compiler: every template compiles with its default grid, and
 * hand-worked programs (variants in grid order, deduplicated series, atoms, postfix code) are
 * asserted exactly.
 */
import { describe, expect, it } from 'vitest';
import { CMP_ABOVE, CMP_BELOW, CMP_CROSS_ABOVE, CMP_CROSS_BELOW, OP_ALL, OP_ANY, OP_ATOM, OP_NOT } from '../../src/backtest/program.js';
import type { AtomSide, SeriesRequest, StrategyProgram } from '../../src/backtest/program.js';
import { StrategyValidationError } from '../../src/errors.js';
import { registry } from '../../src/registry/index.js';
import {
  compileStrategy,
  createStrategyRegistry,
  SIGNAL_NAMES,
  strategyGrid,
  strategyRegistry,
  variantParams,
} from '../../src/strategies/index.js';
import { thrown } from '../helpers/errors.js';

/** A side's per-variant contents as plain data: series indices with the lag, or the constants. */
function sideOf(s: AtomSide): { series: number[]; lag: number } | { const: number[] } {
  return s.kind === 'series' ? { series: Array.from(s.series), lag: s.lag } : { const: Array.from(s.value) };
}
const atomsOf = (p: StrategyProgram) => p.atoms.map((a) => ({ cmp: a.cmp, left: sideOf(a.left), right: sideOf(a.right) }));
const codeOf = (p: StrategyProgram) => Object.fromEntries(SIGNAL_NAMES.map((s) => [s, p.signals[s] ? Array.from(p.signals[s]!) : null]));
const ema = (window: number): SeriesRequest => ({
  kind: 'indicator',
  indicatorId: 'ma.ema',
  output: 'value',
  source: 'close',
  params: { window },
});

const DEFAULT_VARIANTS: Record<string, number> = {
  adx_di_cross: 12,
  bbands_revert: 15,
  donchian_breakout: 6,
  ma_cross: 90,
  macd_cross: 18,
  rsi_revert: 27,
  supertrend_follow: 28,
  zscore_revert: 18,
};

describe('the strategy registry', () => {
  it('lists the eight templates sorted by id', () => {
    expect(strategyRegistry.list().map((d) => d.id)).toEqual(Object.keys(DEFAULT_VARIANTS));
  });

  it('gives every template long and short rules, a title and a doc sentence', () => {
    for (const d of strategyRegistry.list()) {
      for (const s of SIGNAL_NAMES) expect(d.rules[s], `${d.id} ${s}`).toBeDefined();
      expect(d.title.length, d.id).toBeGreaterThan(0);
      expect(d.doc, d.id).toMatch(/\.$/);
    }
  });

  it('offers ma_cross every moving average that has a window and reads a source', () => {
    const ma = strategyRegistry.get('ma_cross').params.find((p) => p.name === 'ma')!;
    expect(ma.kind).toBe('indicator');
    expect(ma.values).toEqual(['ma.dema', 'ma.ema', 'ma.hma', 'ma.lwma', 'ma.rma', 'ma.sma', 'ma.tema', 'ma.wma', 'ma.zlema']);
    const source = strategyRegistry.get('ma_cross').params.find((p) => p.name === 'source')!;
    expect(source.values).toEqual(registry.get('ma.ema').sourceValues);
  });

  it('finds a template by a trimmed, upper-case id', () => {
    expect(strategyRegistry.get('  MA_CROSS ').id).toBe('ma_cross');
    expect(strategyRegistry.has('rsi_revert')).toBe(true);
    expect(strategyRegistry.has('custom')).toBe(false);
  });
});

describe.each(strategyRegistry.list().map((d) => ({ id: d.id })))('template $id', ({ id }) => {
  it('compiles with its default grid to a small, well-formed program', () => {
    const p = compileStrategy({ id });
    expect(p.strategyId).toBe(id);
    expect(p.keyBody).toBe(id);
    expect(p.variants, 'variants after the constraints').toBe(DEFAULT_VARIANTS[id]);
    expect(p.cartesianIndex.length).toBe(p.variants);
    expect(p.axes.map((a) => a.name)).toEqual(strategyRegistry.get(id).params.map((x) => x.name));
    for (const s of SIGNAL_NAMES) expect(p.signals[s], `${id} ${s}`).not.toBeNull();
    for (const a of p.atoms) {
      for (const side of [a.left, a.right]) {
        if (side.kind === 'const') expect(side.value.length).toBe(p.variants);
        else {
          expect(side.series.length).toBe(p.variants);
          for (const i of side.series) expect(i >= 0 && i < p.series.length, `series index ${i}`).toBe(true);
        }
      }
    }
    const keys = p.series.map((s) => JSON.stringify(s));
    expect(new Set(keys).size, 'series are distinct').toBe(keys.length);
  });
});

describe('ma_cross by hand', () => {
  const p = compileStrategy({ id: 'ma_cross', params: { fast: [5, 10], slow: [10, 20] } });

  it('keeps the variants with fast < slow in grid order', () => {
    expect(p.variants).toBe(3);
    expect(Array.from(p.cartesianIndex)).toEqual([0, 1, 3]);
    expect([0, 1, 2].map((v) => variantParams(p, v))).toEqual([
      { ma: 'ma.ema', source: 'close', fast: 5, slow: 10 },
      { ma: 'ma.ema', source: 'close', fast: 5, slow: 20 },
      { ma: 'ma.ema', source: 'close', fast: 10, slow: 20 },
    ]);
  });

  it('reads each EMA once: windows 5, 10 and 20', () => {
    expect(p.series).toEqual([ema(5), ema(10), ema(20)]);
  });

  it('shares the two crossings between the four signals', () => {
    const fast = { series: [0, 0, 1], lag: 0 };
    const slow = { series: [1, 2, 2], lag: 0 };
    expect(atomsOf(p)).toEqual([
      { cmp: CMP_CROSS_ABOVE, left: fast, right: slow },
      { cmp: CMP_CROSS_BELOW, left: fast, right: slow },
    ]);
    expect(codeOf(p)).toEqual({
      long_entry: [OP_ATOM, 0],
      long_exit: [OP_ATOM, 1],
      short_entry: [OP_ATOM, 1],
      short_exit: [OP_ATOM, 0],
    });
  });

  it('sweeps the moving average and the source as axes', () => {
    const q = compileStrategy({ id: 'ma_cross', params: { ma: ['ma.sma', 'ma.ema'], source: ['hl2'], fast: [5], slow: [10] } });
    expect(q.variants).toBe(2);
    expect(q.series.map((s) => (s.kind === 'indicator' ? `${s.indicatorId}/${s.source}/${s.params.window}` : s.price))).toEqual([
      'ma.sma/hl2/5',
      'ma.ema/hl2/5',
      'ma.sma/hl2/10',
      'ma.ema/hl2/10',
    ]);
  });

  it('rejects a variant index outside the kept variants', () => {
    expect(() => variantParams(p, 3)).toThrow(RangeError);
  });
});

describe('rsi_revert by hand', () => {
  const p = compileStrategy({ id: 'rsi_revert', params: { window: [14], lower: [25, 30], upper: [70] } });

  it('compares one RSI series with per-variant constant levels', () => {
    expect(p.variants).toBe(2);
    expect(p.series).toEqual([{ kind: 'indicator', indicatorId: 'momentum.rsi', output: 'rsi', source: 'close', params: { window: 14 } }]);
    const rsi = { series: [0, 0], lag: 0 };
    expect(atomsOf(p)).toEqual([
      { cmp: CMP_CROSS_ABOVE, left: rsi, right: { const: [25, 30] } },
      { cmp: CMP_CROSS_ABOVE, left: rsi, right: { const: [70, 70] } },
      { cmp: CMP_CROSS_BELOW, left: rsi, right: { const: [70, 70] } },
      { cmp: CMP_CROSS_BELOW, left: rsi, right: { const: [25, 30] } },
    ]);
    expect(codeOf(p)).toEqual({ long_entry: [OP_ATOM, 0], long_exit: [OP_ATOM, 1], short_entry: [OP_ATOM, 2], short_exit: [OP_ATOM, 3] });
  });

  it('drops the variants whose lower level is not below the upper one, keeping order', () => {
    const q = compileStrategy({ id: 'rsi_revert', params: { window: [14], lower: [20, 40, 60], upper: [30, 50] } });
    expect(Array.from(q.cartesianIndex)).toEqual([0, 1, 3]);
    expect([0, 1, 2].map((v) => [variantParams(q, v).lower, variantParams(q, v).upper])).toEqual([
      [20, 30],
      [20, 50],
      [40, 50],
    ]);
  });
});

describe('bbands_revert by hand: the side and the series an output depends on', () => {
  const params = { window: [10, 20], mult: [1.5, 2] };
  const band = (output: string, window: number, mult: number): SeriesRequest => ({
    kind: 'indicator',
    indicatorId: 'volatility.bbands',
    output,
    source: 'close',
    params: { mult, window },
  });
  const close: SeriesRequest = { kind: 'price', price: 'close' };

  it('reads the basis once per window (it ignores the mult), the bands once per variant', () => {
    const p = compileStrategy({ id: 'bbands_revert', params });
    // variants in grid order (window, then mult): (10, 1.5), (10, 2), (20, 1.5), (20, 2)
    expect(p.series).toEqual([
      close,
      band('lower', 10, 1.5),
      band('lower', 10, 2),
      band('lower', 20, 1.5),
      band('lower', 20, 2),
      band('basis', 10, 1.5),
      band('basis', 20, 1.5),
      band('upper', 10, 1.5),
      band('upper', 10, 2),
      band('upper', 20, 1.5),
      band('upper', 20, 2),
    ]);
    const closeSide = { series: [0, 0, 0, 0], lag: 0 };
    expect(atomsOf(p)).toEqual([
      { cmp: CMP_CROSS_ABOVE, left: closeSide, right: { series: [1, 2, 3, 4], lag: 0 } },
      { cmp: CMP_CROSS_ABOVE, left: closeSide, right: { series: [5, 5, 6, 6], lag: 0 } },
      { cmp: CMP_CROSS_BELOW, left: closeSide, right: { series: [7, 8, 9, 10], lag: 0 } },
      { cmp: CMP_CROSS_BELOW, left: closeSide, right: { series: [5, 5, 6, 6], lag: 0 } },
    ]);
  });

  it('leaves out the signals (and their series) of the side the execution never takes', () => {
    const long = compileStrategy({ id: 'bbands_revert', params }, registry, 'long');
    const lower = [band('lower', 10, 1.5), band('lower', 10, 2), band('lower', 20, 1.5), band('lower', 20, 2)];
    expect(long.series).toEqual([close, ...lower, band('basis', 10, 1.5), band('basis', 20, 1.5)]);
    expect(codeOf(long)).toEqual({ long_entry: [OP_ATOM, 0], long_exit: [OP_ATOM, 1], short_entry: null, short_exit: null });
    const short = compileStrategy({ id: 'bbands_revert', params }, registry, 'short');
    const upper = [band('upper', 10, 1.5), band('upper', 10, 2), band('upper', 20, 1.5), band('upper', 20, 2)];
    expect(short.series).toEqual([close, ...upper, band('basis', 10, 1.5), band('basis', 20, 1.5)]);
    expect(codeOf(short)).toEqual({ long_entry: null, long_exit: null, short_entry: [OP_ATOM, 0], short_exit: [OP_ATOM, 1] });
    expect(compileStrategy({ id: 'bbands_revert', params }, registry, 'both').series).toHaveLength(11);
  });

  it('still checks the rules it leaves out', () => {
    const spec = {
      id: 'custom',
      params: [{ name: 'n', kind: 'int', min: 1, max: 5000, default: [10, 1] }],
      rules: {
        long_entry: ['above', { price: 'close' }, 1],
        short_entry: ['above', { price: 'close' }, { ind: 'ma.ema', params: { window: '$n' } }],
      },
    } as const;
    const e = thrown(() => compileStrategy(spec as never, registry, 'long'), StrategyValidationError);
    expect(e.details).toMatchObject({ path: 'rules.short_entry[2].params.window', value: 1 });
  });
});

describe('donchian_breakout by hand', () => {
  const p = compileStrategy({ id: 'donchian_breakout', params: { window: [20], exit_window: [10, 20] } });
  const donchian = (output: string, window: number): SeriesRequest => ({
    kind: 'indicator',
    indicatorId: 'trend.donchian',
    output,
    source: null,
    params: { window },
  });

  it('reads the channels of the previous bar (lag 1) against the close', () => {
    expect(p.series).toEqual([
      { kind: 'price', price: 'close' },
      donchian('donchian_upper', 20),
      donchian('donchian_lower', 10),
      donchian('donchian_lower', 20),
      donchian('donchian_upper', 10),
    ]);
    const close = { series: [0, 0], lag: 0 };
    expect(atomsOf(p)).toEqual([
      { cmp: CMP_CROSS_ABOVE, left: close, right: { series: [1, 1], lag: 1 } },
      { cmp: CMP_CROSS_BELOW, left: close, right: { series: [2, 3], lag: 1 } },
      { cmp: CMP_CROSS_BELOW, left: close, right: { series: [3, 3], lag: 1 } },
      { cmp: CMP_CROSS_ABOVE, left: close, right: { series: [4, 1], lag: 1 } },
    ]);
  });
});

describe('zscore_revert by hand', () => {
  const p = compileStrategy({ id: 'zscore_revert', params: { window: [20], entry: [2, 2.5], exit: [0] } });

  it('negates entry and exit for the long side and keeps them for the short side', () => {
    expect(p.variants).toBe(2);
    const z = { series: [0, 0], lag: 0 };
    expect(atomsOf(p)).toEqual([
      { cmp: CMP_CROSS_ABOVE, left: z, right: { const: [-2, -2.5] } },
      { cmp: CMP_CROSS_ABOVE, left: z, right: { const: [0, 0] } },
      { cmp: CMP_CROSS_BELOW, left: z, right: { const: [2, 2.5] } },
      { cmp: CMP_CROSS_BELOW, left: z, right: { const: [0, 0] } },
    ]);
  });

  it('writes a negated zero as +0, not -0', () => {
    const side = p.atoms[1]!.right;
    expect(side.kind).toBe('const');
    if (side.kind === 'const') expect(Object.is(side.value[0], 0)).toBe(true);
  });
});

describe('adx_di_cross by hand', () => {
  it('writes the trend filter as a conjunction in postfix', () => {
    const p = compileStrategy({ id: 'adx_di_cross', params: { window: [14], smoothing: [14], threshold: [20, 25] } });
    expect(p.series.map((s) => (s.kind === 'indicator' ? s.output : s.price))).toEqual(['plus_di', 'minus_di', 'adx']);
    expect(atomsOf(p)).toEqual([
      { cmp: CMP_CROSS_ABOVE, left: { series: [0, 0], lag: 0 }, right: { series: [1, 1], lag: 0 } },
      { cmp: CMP_ABOVE, left: { series: [2, 2], lag: 0 }, right: { const: [20, 25] } },
      { cmp: CMP_CROSS_BELOW, left: { series: [0, 0], lag: 0 }, right: { series: [1, 1], lag: 0 } },
    ]);
    expect(codeOf(p)).toEqual({
      long_entry: [OP_ATOM, 0, OP_ATOM, 1, OP_ALL, 2],
      long_exit: [OP_ATOM, 2],
      short_entry: [OP_ATOM, 2, OP_ATOM, 1, OP_ALL, 2],
      short_exit: [OP_ATOM, 0],
    });
  });
});

describe('custom strategies', () => {
  const sma = (window: number | string, lag?: number) => ({ ind: 'ma.sma', params: { window }, ...(lag === undefined ? {} : { lag }) });

  it('compiles nested any/not rules to postfix and leaves absent signals null', () => {
    const p = compileStrategy({
      id: 'custom',
      params: [{ name: 'n', kind: 'int', min: 2, max: 100, default: [10, 30] }],
      rules: {
        long_entry: ['any', ['above', { price: 'close' }, sma('$n')], ['not', ['below', { price: 'high', lag: 2 }, 100]]],
        long_exit: ['below', { price: 'close' }, sma('$n')],
      },
    });
    expect(p.variants).toBe(2);
    expect(p.keyBody).toEqual({
      id: 'custom',
      rules: {
        long_entry: [
          'any',
          ['above', { lag: 0, price: 'close' }, { ind: 'ma.sma', lag: 0, output: 'value', params: { window: '$n' }, source: 'close' }],
          ['not', ['below', { lag: 2, price: 'high' }, 100]],
        ],
        long_exit: [
          'below',
          { lag: 0, price: 'close' },
          { ind: 'ma.sma', lag: 0, output: 'value', params: { window: '$n' }, source: 'close' },
        ],
      },
    });
    expect(p.series).toEqual([
      { kind: 'price', price: 'close' },
      { kind: 'indicator', indicatorId: 'ma.sma', output: 'value', source: 'close', params: { window: 10 } },
      { kind: 'indicator', indicatorId: 'ma.sma', output: 'value', source: 'close', params: { window: 30 } },
      { kind: 'price', price: 'high' },
    ]);
    expect(atomsOf(p)).toEqual([
      { cmp: CMP_ABOVE, left: { series: [0, 0], lag: 0 }, right: { series: [1, 2], lag: 0 } },
      { cmp: CMP_BELOW, left: { series: [3, 3], lag: 2 }, right: { const: [100, 100] } },
      { cmp: CMP_BELOW, left: { series: [0, 0], lag: 0 }, right: { series: [1, 2], lag: 0 } },
    ]);
    expect(codeOf(p)).toEqual({
      long_entry: [OP_ATOM, 0, OP_ATOM, 1, OP_NOT, 0, OP_ANY, 2],
      long_exit: [OP_ATOM, 2],
      short_entry: null,
      short_exit: null,
    });
  });

  it('maps two spellings of one series (defaults spelt out or not) to one series and one atom', () => {
    const p = compileStrategy({
      id: 'custom',
      rules: {
        long_entry: ['above', { price: 'close' }, { ind: 'ma.sma', params: { window: 20 } }],
        long_exit: [
          'above',
          { price: 'close', lag: 0 },
          { ind: 'MA.SMA', output: 'value', source: 'close', params: { window: 20 }, lag: 0 },
        ],
      },
    });
    expect(p.variants).toBe(1);
    expect(p.axes).toEqual([]);
    expect(p.series.length).toBe(2);
    expect(codeOf(p)).toEqual({ long_entry: [OP_ATOM, 0], long_exit: [OP_ATOM, 0], short_entry: null, short_exit: null });
  });

  it('sweeps the indicator itself through an indicator-kind param', () => {
    const p = compileStrategy({
      id: 'custom',
      params: [
        {
          name: 'osc',
          kind: 'indicator',
          values: ['momentum.rsi', 'momentum.williams_r'],
          default: ['momentum.rsi', 'momentum.williams_r'],
        },
        { name: 'w', kind: 'int', min: 2, max: 50, default: [7, 14] },
      ],
      rules: { long_entry: ['cross_above', { ind: '$osc', params: { window: '$w' } }, 50] },
    });
    expect(p.series.map((s) => (s.kind === 'indicator' ? `${s.indicatorId}/${s.output}/${s.source}/${s.params.window}` : s.price))).toEqual(
      [
        'momentum.rsi/rsi/close/7',
        'momentum.rsi/rsi/close/14',
        'momentum.williams_r/williams_r/null/7',
        'momentum.williams_r/williams_r/null/14',
      ],
    );
    expect(atomsOf(p)).toEqual([{ cmp: CMP_CROSS_ABOVE, left: { series: [0, 1, 2, 3], lag: 0 }, right: { const: [50, 50, 50, 50] } }]);
  });

  it('fills an indicator param the operand leaves out with its registry default', () => {
    const p = compileStrategy({ id: 'custom', rules: { long_entry: ['above', { ind: 'trend.supertrend', output: 'supertrend_dir' }, 0] } });
    expect(p.series).toEqual([
      { kind: 'indicator', indicatorId: 'trend.supertrend', output: 'supertrend_dir', source: null, params: { mult: 2, window: 20 } },
    ]);
  });

  it('accepts a look-ahead output lagged by at least its displacement in every variant', () => {
    const p = compileStrategy({
      id: 'custom',
      params: [{ name: 'd', kind: 'int', min: 2, max: 100, default: [10, 26] }],
      rules: {
        long_entry: ['above', { price: 'close' }, { ind: 'trend.ichimoku', output: 'span_a', params: { displacement: '$d' }, lag: 26 }],
      },
    });
    expect(p.variants).toBe(2);
    expect(atomsOf(p)[0]!.right).toEqual({ series: [1, 2], lag: 26 });
  });

  it('sweeps a float param that declares no hard step', () => {
    const p = compileStrategy({
      id: 'custom',
      params: [{ name: 'level', kind: 'float', min: 0, max: 1, default: { mode: 'range', start: 0.1, stopIncl: 0.3, step: 0.1 } }],
      rules: { long_entry: ['above', { ind: 'structure.percent_rank' }, '$level'] },
    });
    expect(atomsOf(p)[0]!.right).toEqual({ const: [0.1, 0.2, 0.3] });
  });
});

describe('template checks at load', () => {
  it('reject nothing in the shipped templates', () => {
    expect(strategyRegistry.list().length).toBe(8);
  });

  it('are the same checks a custom strategy gets, with the template in the path', () => {
    const broken = {
      ...strategyRegistry.get('ma_cross'),
      id: 'broken',
      rules: { long_entry: ['above', { ind: 'ma.ema', params: { windw: 5 } }, 0] },
    };
    const e = thrown(() => createStrategyRegistry([broken as never]), StrategyValidationError);
    expect(e.details.path).toBe('templates.broken.rules.long_entry[1].params.windw');
    expect(e.details.value).toBe('windw');
  });

  it('refuse a template param whose bounds exceed those of the indicator param it feeds', () => {
    const base = strategyRegistry.get('ma_cross');
    const wide = { ...base, id: 'wide', params: base.params.map((p) => (p.name === 'slow' ? { ...p, max: 5000 } : p)) };
    const e = thrown(() => createStrategyRegistry([wide]), StrategyValidationError);
    expect(e.details.path).toBe('templates.wide.params[3].max');
    expect(e.details.value).toBe(5000);
  });

  it('refuse a template whose default grid breaks its own bounds', () => {
    const base = strategyRegistry.get('rsi_revert');
    const bad = { ...base, id: 'bad', params: base.params.map((p) => (p.name === 'upper' ? { ...p, default: [70, 101] } : p)) };
    const e = thrown(() => createStrategyRegistry([bad]), StrategyValidationError);
    expect(e.details.path).toBe('templates.bad.params[3].default.values[1]');
    expect(e.details.value).toBe(101);
  });
});

describe('the variant grid alone', () => {
  it('gives the kept variants without resolving any operand', () => {
    const g = strategyGrid({ id: 'ma_cross', params: { fast: [5, 10], slow: [10, 20] } });
    expect(g.variants).toBe(3);
    expect(Array.from(g.cartesianIndex)).toEqual([0, 1, 3]);
    expect(g.axes.map((a) => a.values)).toEqual([['ma.ema'], ['close'], [5, 10], [10, 20]]);
  });

  it('compiles a grid of 19 701 crossovers with one series per window', () => {
    const range = { mode: 'range', start: 2, stopIncl: 200, step: 1 } as const;
    const p = compileStrategy({ id: 'ma_cross', params: { fast: range, slow: range } });
    expect(p.variants).toBe((199 * 198) / 2);
    expect(p.series.length).toBe(199);
  });
});
