/**
 * Every defect of a strategy request is a StrategyValidationError (code strategy_invalid) whose
 * path names the place in the request, with the offending value; one test per kind of defect.
 */
import { describe, expect, it } from 'vitest';
import { StrategyValidationError } from '../../src/errors.js';
import { createRegistry, registry, type Registry } from '../../src/registry/index.js';
import { compileStrategy, MAX_STRATEGY_CARTESIAN, strategyKey, strategyRegistry } from '../../src/strategies/index.js';
import type { StrategyParamDef, StrategySpec } from '../../src/strategies/types.js';
import { thrown } from '../helpers/errors.js';

/** Compiles `spec`, which must fail, and checks class, code, path and value; returns the details. */
function refused(spec: unknown, path: string, value: unknown, reg?: Registry) {
  const e = thrown(() => compileStrategy(spec as StrategySpec, reg), StrategyValidationError);
  expect(e.code).toBe('strategy_invalid');
  expect(e.details.path, e.message).toBe(path);
  expect(e.details.value, e.message).toEqual(value);
  expect(e.message.startsWith(`${path}: expected `), e.message).toBe(true);
  return e.details;
}

const close = { price: 'close' };
const N: StrategyParamDef = { name: 'n', kind: 'int', min: 2, max: 500, default: [10, 20] };
const SRC: StrategyParamDef = { name: 'src', kind: 'source', values: ['close', 'hlc3'], default: ['close'] };
const custom = (long_entry: unknown, params: readonly unknown[] = [N], extra: Record<string, unknown> = {}) => ({
  id: 'custom',
  params,
  rules: { long_entry },
  ...extra,
});

describe('template requests', () => {
  it('refuses an unknown template id and suggests the closest', () => {
    const d = refused({ id: 'ma_crosss' }, 'strategy.id', 'ma_crosss');
    expect(d.expected).toContain('did you mean ma_cross?');
  });

  it('refuses the same unknown id from the registry itself', () => {
    const e = thrown(() => strategyRegistry.get('rsi_revrt'), StrategyValidationError);
    expect(e.details).toEqual({ path: 'strategy.id', value: 'rsi_revrt', expected: expect.stringContaining('did you mean rsi_revert?') });
  });

  it('refuses an override of an unknown param and suggests the closest', () => {
    const d = refused({ id: 'ma_cross', params: { fsat: [5] } }, 'params.fsat', 'fsat');
    expect(d.expected).toContain('did you mean fast?');
  });

  it('refuses an override value below the param bound', () => {
    refused({ id: 'ma_cross', params: { fast: [1, 5] } }, 'params.fast.values[0]', 1);
  });

  it('refuses a range override that ends above the param bound', () => {
    refused({ id: 'rsi_revert', params: { upper: { mode: 'range', start: 70, stopIncl: 120, step: 10 } } }, 'params.upper.stopIncl', 120);
  });

  it('refuses a non-integer value of an int param', () => {
    refused({ id: 'ma_cross', params: { fast: [5, 5.5] } }, 'params.fast.values[1]', 5.5);
  });

  it('refuses a value of an indicator param that is not among its choices', () => {
    const d = refused({ id: 'ma_cross', params: { ma: ['ma.vwma'] } }, 'params.ma.values[0]', 'ma.vwma');
    expect(d.expected).toContain('ma.ema');
  });

  it('refuses a request key that only custom strategies have', () => {
    refused({ id: 'ma_cross', rules: {} }, 'rules', 'rules');
  });

  it('refuses constraints that leave no variant, naming them', () => {
    const d = refused({ id: 'ma_cross', params: { fast: [50], slow: [20, 40] } }, 'constraints', [['<', '$fast', '$slow']]);
    expect(d.expected).toContain('2 variants');
  });
});

describe('custom strategies: indicators and their params', () => {
  it('refuses an unknown indicator and suggests the closest', () => {
    const d = refused(custom(['above', close, { ind: 'ma.emma', params: { window: '$n' } }]), 'rules.long_entry[2].ind', 'ma.emma');
    expect(d.expected).toContain('did you mean ma.ema?');
  });

  it('refuses an unknown indicator param', () => {
    const d = refused(custom(['above', { ind: 'ma.ema', params: { windw: '$n' } }, close]), 'rules.long_entry[1].params.windw', 'windw');
    expect(d.expected).toContain('did you mean window?');
  });

  it('refuses an operand that leaves out an indicator param without a registry default', () => {
    const ema = registry.get('ma.ema');
    const noDefault = createRegistry([{ ...ema, params: ema.params.map((p) => ({ ...p, default: undefined })) }]);
    const d = refused(custom(['above', close, { ind: 'ma.ema' }], []), 'rules.long_entry[2].params.window', null, noDefault);
    expect(d.expected).toContain('no default');
  });

  it('refuses an unknown output and suggests the closest', () => {
    const d = refused(custom(['above', { ind: 'volatility.bbands', output: 'uper' }, close], []), 'rules.long_entry[1].output', 'uper');
    expect(d.expected).toContain('did you mean upper?');
  });

  it('refuses a binding to a strategy param that does not exist', () => {
    const d = refused(custom(['above', close, { ind: 'ma.ema', params: { window: '$m' } }]), 'rules.long_entry[2].params.window', '$m');
    expect(d.expected).toContain('did you mean n?');
  });

  it('refuses a bound value outside the indicator bounds, at the operand', () => {
    const wide: StrategyParamDef = { name: 'n', kind: 'int', min: 1, max: 5000, default: [10, 1] };
    refused(custom(['above', close, { ind: 'ma.ema', params: { window: '$n' } }], [wide]), 'rules.long_entry[2].params.window', 1);
  });

  it('refuses a literal value outside the indicator bounds, at the operand', () => {
    refused(custom(['above', close, { ind: 'trend.supertrend', params: { mult: 50 } }], []), 'rules.long_entry[2].params.mult', 50);
  });

  it('refuses a float param bound to an int indicator param', () => {
    const f: StrategyParamDef = { name: 'w', kind: 'float', min: 2, max: 50, default: [10] };
    refused(custom(['above', close, { ind: 'ma.ema', params: { window: '$w' } }], [f]), 'rules.long_entry[2].params.window', '$w');
  });

  it('refuses the negated form of a binding inside indicator params', () => {
    refused(custom(['above', close, { ind: 'ma.ema', params: { window: '-$n' } }]), 'rules.long_entry[2].params.window', '-$n');
  });

  it('refuses a source on an indicator that has no source axis', () => {
    const d = refused(custom(['above', close, { ind: 'trend.donchian', source: '$src' }], [SRC]), 'rules.long_entry[2].source', '$src');
    expect(d.expected).toContain('trend.donchian has no source axis');
  });

  it('refuses a source the indicator does not accept', () => {
    refused(custom(['above', close, { ind: 'momentum.rsi', source: 'hl2' }], []), 'rules.long_entry[2].source', 'hl2');
  });

  it('refuses an unknown key in an operand', () => {
    const d = refused(custom(['above', close, { ind: 'ma.ema', windows: 5 }], []), 'rules.long_entry[2].windows', 'windows');
    expect(d.expected).toContain('known key');
  });
});

describe('custom strategies: lags and look-ahead', () => {
  it('refuses a negative lag', () => {
    refused(custom(['above', { price: 'close', lag: -1 }, 0], []), 'rules.long_entry[1].lag', -1);
  });

  it('refuses a fractional lag', () => {
    refused(custom(['above', close, { ind: 'ma.ema', lag: 1.5 }], []), 'rules.long_entry[2].lag', 1.5);
  });

  it('refuses a look-ahead output read without a lag', () => {
    const d = refused(custom(['above', close, { ind: 'trend.ichimoku', output: 'span_a' }], []), 'rules.long_entry[2].lag', 0);
    expect(d.expected).toContain('>= 26');
  });

  it('refuses a look-ahead output whose lag is short of the displacement in one variant', () => {
    const D: StrategyParamDef = { name: 'd', kind: 'int', min: 2, max: 100, default: [10, 26] };
    const span = { ind: 'trend.ichimoku', output: 'span_b', params: { displacement: '$d' }, lag: 20 };
    const d = refused(custom(['above', close, span], [D]), 'rules.long_entry[2].lag', 20);
    expect(d.expected).toContain('>= 26');
  });
});

describe('custom strategies: constants, constraints, rules, signals', () => {
  it('refuses a comparison with a non-numeric param', () => {
    const d = refused(custom(['above', close, '$src'], [SRC]), 'rules.long_entry[2]', '$src');
    expect(d.expected).toContain('src is source');
  });

  it('refuses a comparison of two constants', () => {
    refused(custom(['above', 1, '$n']), 'rules.long_entry', ['above', 1, '$n']);
  });

  it('refuses a constraint on a non-numeric param', () => {
    refused(custom(['above', close, 0], [N, SRC], { constraints: [['<', '$src', '$n']] }), 'constraints[0][1]', '$src');
  });

  it('refuses a constraint on an unknown param', () => {
    const d = refused(custom(['above', close, 0], [N], { constraints: [['<', '$n', '$m']] }), 'constraints[0][2]', '$m');
    expect(d.expected).toContain('did you mean n?');
  });

  it('refuses an unknown constraint operator', () => {
    refused(custom(['above', close, 0], [N], { constraints: [['=<', '$n', '$n']] }), 'constraints[0][0]', '=<');
  });

  it('refuses a comparison with one operand', () => {
    refused(custom(['above', close]), 'rules.long_entry', ['above', close]);
  });

  it('refuses a not with two rules', () => {
    const r = ['above', close, 0];
    refused(custom(['not', r, r]), 'rules.long_entry', ['not', r, r]);
  });

  it('refuses an unknown rule operator, nested, and suggests the closest', () => {
    const d = refused(custom(['all', ['above', close, 0], ['crosses_above', close, 0]]), 'rules.long_entry[2][0]', 'crosses_above');
    expect(d.expected).toContain('did you mean cross_above?');
  });

  it('refuses an unknown signal name and suggests the closest', () => {
    const d = refused({ id: 'custom', rules: { long_entri: ['above', close, 0] } }, 'rules.long_entri', 'long_entri');
    expect(d.expected).toContain('did you mean long_entry?');
  });

  it('refuses a strategy without any signal', () => {
    refused({ id: 'custom', rules: {} }, 'rules', {});
  });

  it('refuses a param defined twice', () => {
    refused(custom(['above', close, 0], [N, N]), 'params[1].name', 'n');
  });

  it('refuses a custom param default outside its own bounds', () => {
    const bad: StrategyParamDef = { ...N, default: [10, 600] };
    refused(custom(['above', close, { ind: 'ma.ema', params: { window: '$n' } }], [bad]), 'params[0].default.values[1]', 600);
  });
});

describe('strategy keys', () => {
  it('refuses an execution fee outside [0, 1000] bps', () => {
    const p = compileStrategy({ id: 'ma_cross', params: { fast: [5], slow: [10] } });
    const e = thrown(
      () => strategyKey(p, 0, '1:BTCUSDT', '1m', { side: 'long', fill: 'close', fee_bps: -1, slippage_bps: 0, annualization: null }),
      StrategyValidationError,
    );
    expect(e.details.path).toBe('execution.fee_bps');
    expect(e.details.value).toBe(-1);
  });

  it('refuses an unknown timeframe', () => {
    const p = compileStrategy({ id: 'ma_cross', params: { fast: [5], slow: [10] } });
    const e = thrown(
      () => strategyKey(p, 0, '1:BTCUSDT', '2m', { side: 'long', fill: 'close', fee_bps: 0, slippage_bps: 0, annualization: null }),
      StrategyValidationError,
    );
    expect(e.details.path).toBe('timeframe');
    expect(e.details.value).toBe('2m');
  });
});

describe('grid size', () => {
  it('refuses more cartesian variants than the cap before walking them', () => {
    const range = { mode: 'range', start: 2, stopIncl: 2000, step: 1 };
    const sources = ['close', 'hl2', 'hlc3', 'ohlc4', 'low', 'high', 'open'];
    const d = refused({ id: 'ma_cross', params: { source: sources, fast: range, slow: range } }, 'params', 7 * 1999 * 1999);
    expect(d.expected).toContain(String(MAX_STRATEGY_CARTESIAN));
  });
});
