import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UnknownIndicatorError } from '../../src/errors.js';
import {
  formatFloatV1,
  materializeGrid,
  tensorVariantKey,
  tensorVariantKeyPayload,
  variantKeyPayloadV1,
  variantKeyV1,
  type VariantKeyIndicator,
} from '../../src/grid/index.js';
import { gridDetails } from '../helpers/errors.js';

const sel = (...indicators: VariantKeyIndicator[]) => ({ instrumentId: '1:BTCUSDT', timeframe: '1m', indicators });
const SMA36: VariantKeyIndicator = { indicatorId: 'ma.sma', source: 'close', params: { window: 36 } };
const RSI14: VariantKeyIndicator = { indicatorId: 'momentum.rsi', source: 'close', params: { window: 14 } };
const TAIL = ',"instrument_id":"1:BTCUSDT","schema_version":1,"timeframe":"1m"}';

describe('float notation', () => {
  it.each([
    [2, '2.0'],
    [1.02, '1.02'],
    [0.0001, '0.0001'],
    [1e15, '1000000000000000.0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e16, '1e+16'],
    [123456789012345680, '1.2345678901234568e+17'],
    [-0, '-0.0'],
    [0, '0.0'],
    [-2.5, '-2.5'],
    [123.456, '123.456'],
    [1e100, '1e+100'],
    [5e-324, '5e-324'],
    [-1.5e-7, '-1.5e-07'],
    [0.00012, '0.00012'],
    [999999999999999.9, '999999999999999.9'],
  ])('writes %s as %s', (x, want) => {
    expect(formatFloatV1(x)).toBe(want);
  });

  it('refuses a non-finite float', () => {
    expect(() => formatFloatV1(NaN)).toThrow(RangeError);
  });
});

describe('test vectors (instrument 1:BTCUSDT, timeframe 1m)', () => {
  it('keys ma.sma close 36', () => {
    const payload = variantKeyPayloadV1(sel(SMA36));
    expect(payload).toBe(`{"indicators":[{"id":"ma.sma","inputs":[["source","close"]],"params":[["window",36]]}]${TAIL}`);
    expect(variantKeyV1(sel(SMA36))).toBe('18fef2c6d92a7f3eaaa8c183353cd6d4f4827cd0b1a800cb91e06bbcb976d80e');
  });

  it('keys ma.sma + momentum.rsi in id order', () => {
    expect(variantKeyPayloadV1(sel(SMA36, RSI14))).toBe(
      '{"indicators":[{"id":"ma.sma","inputs":[["source","close"]],"params":[["window",36]]},' +
        '{"id":"momentum.rsi","inputs":[["source","close"]],"params":[["window",14]]}]' +
        TAIL,
    );
    expect(variantKeyV1(sel(SMA36, RSI14))).toBe('38cac2186b3fee4c342b67e63c8205e732eac98a5e704c7a423b7a49dcdf0578');
  });

  it('keys ma.sma + momentum.rsi the same given in the other order', () => {
    expect(variantKeyV1(sel(RSI14, SMA36))).toBe('38cac2186b3fee4c342b67e63c8205e732eac98a5e704c7a423b7a49dcdf0578');
  });

  it('keys volatility.bbands close, mult 2 as 2.0, window 20', () => {
    const s = sel({ indicatorId: 'volatility.bbands', source: 'close', params: { mult: 2, window: 20 } });
    expect(variantKeyPayloadV1(s)).toBe(
      `{"indicators":[{"id":"volatility.bbands","inputs":[["source","close"]],"params":[["mult",2.0],["window",20]]}]${TAIL}`,
    );
    expect(variantKeyV1(s)).toBe('6da4adea9b5a0b5a3d5a1c3c5f1025d0c293bf9210289d3c931af21bd2b24d48');
  });

  it('keys volatility.bbands hlc3, mult 1.02, window 20', () => {
    const s = sel({ indicatorId: 'volatility.bbands', source: 'hlc3', params: { window: 20, mult: 1.02 } });
    expect(variantKeyPayloadV1(s)).toBe(
      `{"indicators":[{"id":"volatility.bbands","inputs":[["source","hlc3"]],"params":[["mult",1.02],["window",20]]}]${TAIL}`,
    );
    expect(variantKeyV1(s)).toBe('02d8b02dee0cf7047f987a6a62191633ba455f554b6d1ece306fab26bcc61423');
  });

  it('keys volatility.tr with empty inputs and params', () => {
    const s = sel({ indicatorId: 'volatility.tr' });
    expect(variantKeyPayloadV1(s)).toBe(`{"indicators":[{"id":"volatility.tr","inputs":[],"params":[]}]${TAIL}`);
    expect(variantKeyV1(s)).toBe('141227cb2c46e73ad7c751c477968ecab43bebff2e7addd98c20e394a522053f');
  });

  it('keys trend.psar with params sorted by name', () => {
    const s = sel({ indicatorId: 'trend.psar', params: { accel_step: 0.02, accel_start: 0.02, accel_max: 0.2 } });
    expect(variantKeyPayloadV1(s)).toBe(
      `{"indicators":[{"id":"trend.psar","inputs":[],"params":[["accel_max",0.2],["accel_start",0.02],["accel_step",0.02]]}]${TAIL}`,
    );
    expect(variantKeyV1(s)).toBe('f81bc4eeb0c31af441fa5f0fb9a3e9382ebde2540b3885d7487860d58703e43a');
  });

  it('hashes the UTF-8 payload with SHA-256 in lower-case hex', () => {
    const payload = variantKeyPayloadV1(sel(SMA36));
    expect(variantKeyV1(sel(SMA36))).toBe(createHash('sha256').update(Buffer.from(payload, 'utf8')).digest('hex'));
  });
});

describe('what a key depends on', () => {
  const base = variantKeyV1(sel(SMA36));

  it('changes with the instrument', () => {
    expect(variantKeyV1({ ...sel(SMA36), instrumentId: '1:ETHUSDT' })).not.toBe(base);
  });

  it('changes with the timeframe', () => {
    expect(variantKeyV1({ ...sel(SMA36), timeframe: '5m' })).not.toBe(base);
  });

  it('changes with a parameter value', () => {
    expect(variantKeyV1(sel({ ...SMA36, params: { window: 37 } }))).not.toBe(base);
  });

  it('changes with the source', () => {
    expect(variantKeyV1(sel({ ...SMA36, source: 'open' }))).not.toBe(base);
  });

  it('normalises id, timeframe, instrument, source and param names', () => {
    const s = {
      instrumentId: ' 1:BTCUSDT ',
      timeframe: ' 1M ',
      indicators: [{ indicatorId: ' MA.SMA ', source: ' Close ', params: { ' window ': 36 } }],
    };
    expect(variantKeyV1(s)).toBe(base);
  });

  it('accepts a one-value explicit axis', () => {
    expect(variantKeyV1(sel({ indicatorId: 'ma.sma', source: ['close'], params: { window: { mode: 'explicit', values: [36] } } }))).toBe(
      base,
    );
  });

  it('writes non-ASCII characters as themselves and control characters escaped', () => {
    const p = variantKeyPayloadV1({ instrumentId: 'x:é\u001f"', timeframe: '1m', indicators: [{ indicatorId: 'volatility.tr' }] });
    expect(p).toContain('"instrument_id":"x:é\\u001f\\""');
  });
});

describe('selection validation', () => {
  it('rejects a repeated indicator id with duplicate_value', () => {
    const d = gridDetails(() => variantKeyV1(sel(SMA36, { ...SMA36, params: { window: 10 } })));
    expect([d.field, d.reason, d.value]).toEqual(['indicators', 'duplicate_value', 'ma.sma']);
  });

  it('rejects ids repeated after normalisation', () => {
    expect(gridDetails(() => variantKeyV1(sel(SMA36, { ...SMA36, indicatorId: 'MA.SMA' }))).reason).toBe('duplicate_value');
  });

  it('rejects a value below the hard bound with below_min', () => {
    const d = gridDetails(() => variantKeyV1(sel({ ...SMA36, params: { window: 1 } })));
    expect([d.indicatorId, d.field, d.reason]).toEqual(['ma.sma', 'params.window.values[0]', 'below_min']);
  });

  it('rejects a missing source with source_required', () => {
    expect(gridDetails(() => variantKeyV1(sel({ indicatorId: 'ma.sma', params: { window: 36 } }))).reason).toBe('source_required');
  });

  it('rejects an unknown param with unknown_axis', () => {
    expect(gridDetails(() => variantKeyV1(sel({ ...SMA36, params: { window: 36, mult: 2 } }))).reason).toBe('unknown_axis');
  });

  it('rejects two values on one axis', () => {
    const d = gridDetails(() => variantKeyV1(sel({ ...SMA36, params: { window: [10, 20] } })));
    expect([d.field, d.reason]).toEqual(['params.window', 'invalid_spec']);
  });

  it('rejects an unknown indicator with UnknownIndicatorError', () => {
    expect(() => variantKeyV1(sel({ indicatorId: 'ma.smaa', source: 'close', params: { window: 3 } }))).toThrow(UnknownIndicatorError);
  });

  it('rejects an unsupported timeframe with not_allowed', () => {
    const d = gridDetails(() => variantKeyV1({ ...sel(SMA36), timeframe: '2m' }));
    expect([d.field, d.reason]).toEqual(['timeframe', 'not_allowed']);
  });

  it('rejects a blank instrument with empty_values', () => {
    expect(gridDetails(() => variantKeyV1({ ...sel(SMA36), instrumentId: '  ' })).field).toBe('instrumentId');
  });

  it('rejects an empty selection with empty_values', () => {
    const d = gridDetails(() => variantKeyV1(sel()));
    expect([d.field, d.reason]).toEqual(['indicators', 'empty_values']);
  });

  it('rejects an unknown key in an indicator entry', () => {
    const d = gridDetails(() => variantKeyV1(sel({ ...SMA36, layout: 'TIME_MAJOR' } as VariantKeyIndicator)));
    expect([d.field, d.reason]).toEqual(['layout', 'invalid_spec']);
  });
});

describe('tensor keys', () => {
  const grid = materializeGrid({
    indicatorId: 'volatility.bbands',
    source: ['close', 'hlc3'],
    params: { mult: [1.02, 2], window: [20, 36] },
  });

  it('builds the same payload as the validated path for every variant', () => {
    for (let v = 0; v < 8; v++) {
      const mult = [1.02, 2][v >> 2]!,
        source = ['close', 'hlc3'][(v >> 1) & 1]!,
        window = [20, 36][v & 1]!;
      const want = variantKeyPayloadV1(sel({ indicatorId: 'volatility.bbands', source, params: { mult, window } }));
      expect(tensorVariantKeyPayload(grid.def, grid.axes, v, '1:BTCUSDT', '1m'), `variant ${v}`).toBe(want);
    }
  });

  it('gives tensor variant 2 the bbands hlc3 test-vector key', () => {
    expect(tensorVariantKey(grid.def, grid.axes, 2, '1:BTCUSDT', '1m')).toBe(
      '02d8b02dee0cf7047f987a6a62191633ba455f554b6d1ece306fab26bcc61423',
    );
  });

  it('keys a tensor without axes like the validated path', () => {
    const tr = materializeGrid({ indicatorId: 'volatility.tr' });
    expect(tensorVariantKey(tr.def, tr.axes, 0, '1:BTCUSDT', '1m')).toBe(
      '141227cb2c46e73ad7c751c477968ecab43bebff2e7addd98c20e394a522053f',
    );
  });

  it('writes psar float params by kind in a tensor', () => {
    const g = materializeGrid({ indicatorId: 'trend.psar', params: { accel_max: [0.2, 1], accel_start: 0.02, accel_step: 0.02 } });
    expect(tensorVariantKeyPayload(g.def, g.axes, 1, '1:BTCUSDT', '1m')).toContain(
      '"params":[["accel_max",1.0],["accel_start",0.02],["accel_step",0.02]]',
    );
  });

  it('keys 100 000 tensor variants in well under a second', () => {
    const g = materializeGrid({
      indicatorId: 'volatility.bbands',
      source: ['close', 'hlc3', 'ohlc4', 'low', 'high'],
      params: { mult: { mode: 'range', start: 0.1, stopIncl: 2, step: 0.01 }, window: { mode: 'range', start: 2, stopIncl: 106, step: 1 } },
    });
    expect(g.variants).toBe(5n * 191n * 105n);
    const t0 = performance.now();
    const keys = new Set<string>();
    for (let v = 0; v < 100_000; v++) keys.add(tensorVariantKey(g.def, g.axes, v, '1:BTCUSDT', '1m'));
    expect(keys.size).toBe(100_000);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
