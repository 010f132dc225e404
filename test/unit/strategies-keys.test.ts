/**
 * Strategy key test vectors: the canonical payload is written out literally, and the expected key
 * is its SHA-256 computed here with node:crypto, then pinned as hex (the README pins the same).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Execution } from '../../src/backtest/program.js';
import { compileStrategy, strategyKey, strategyKeyPayload } from '../../src/strategies/index.js';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const BOTH: Execution = { side: 'both', fill: 'next_open', fee_bps: 10, slippage_bps: 2.5, annualization: null };
const LONG_AT_CLOSE: Execution = { side: 'long', fill: 'close', fee_bps: 0, slippage_bps: 0, annualization: 525600 };

const MA_EXEC = '"execution":{"side":"both","fill":"next_open","fee_bps":10.0,"slippage_bps":2.5,"annualization":null}}';
const MA_VECTORS = [
  {
    payload: `{"v":1,"kind":"strategy","instrument":"1:BTCUSDT","timeframe":"1m","strategy":"ma_cross","params":{"fast":5,"ma":"ma.ema","slow":10,"source":"close"},${MA_EXEC}`,
    key: '9e807a48dc79dcae7a18a49537fe625fcc2eeabcf37b2252e9dc7e268fe94d3b',
  },
  {
    payload: `{"v":1,"kind":"strategy","instrument":"1:BTCUSDT","timeframe":"1m","strategy":"ma_cross","params":{"fast":5,"ma":"ma.ema","slow":20,"source":"close"},${MA_EXEC}`,
    key: '027ee08bbaede9244d4c1e8e971e27e3db8d2edb1f7b168978c3eb2841d79bd5',
  },
  {
    payload: `{"v":1,"kind":"strategy","instrument":"1:BTCUSDT","timeframe":"1m","strategy":"ma_cross","params":{"fast":10,"ma":"ma.ema","slow":20,"source":"close"},${MA_EXEC}`,
    key: '32588d5569eee60dbfcc710f798cd9d4df378146d0f431547eb8af480800f60f',
  },
];

describe('ma_cross strategy keys', () => {
  const p = compileStrategy({ id: 'ma_cross', params: { fast: [5, 10], slow: [10, 20] } });

  it.each(MA_VECTORS.map((x, v) => ({ v, ...x })))('variant $v has the pinned payload and key', ({ v, payload, key }) => {
    expect(strategyKeyPayload(p, v, '1:BTCUSDT', '1m', BOTH)).toBe(payload);
    expect(sha256(payload)).toBe(key);
    expect(strategyKey(p, v, '1:BTCUSDT', '1m', BOTH)).toBe(key);
  });

  it('trims the instrument and lower-cases the timeframe', () => {
    expect(strategyKey(p, 0, ' 1:BTCUSDT ', '1M', BOTH)).toBe(MA_VECTORS[0]!.key);
  });

  it('is the same key whatever the grid the variant came from', () => {
    const wide = compileStrategy({ id: 'ma_cross', params: { fast: [3, 5], slow: [10] } });
    expect(strategyKey(wide, 1, '1:BTCUSDT', '1m', BOTH)).toBe(MA_VECTORS[0]!.key);
  });

  it('changes with the execution options', () => {
    expect(strategyKey(p, 0, '1:BTCUSDT', '1m', { ...BOTH, fee_bps: 11 })).not.toBe(MA_VECTORS[0]!.key);
  });
});

describe('custom strategy keys', () => {
  const p = compileStrategy({
    id: 'custom',
    params: [
      { name: 'window', kind: 'int', min: 2, max: 100, default: [14] },
      { name: 'level', kind: 'float', min: 0, max: 100, default: [30] },
    ],
    rules: {
      long_entry: ['cross_above', { ind: 'momentum.rsi', params: { window: '$window' } }, '$level'],
      long_exit: ['above', { price: 'close' }, { ind: 'ma.sma', params: { window: 50 }, lag: 1 }],
    },
  });
  const payload =
    '{"v":1,"kind":"strategy","instrument":"1:BTCUSDT","timeframe":"1m",' +
    '"strategy":{"id":"custom","rules":{' +
    '"long_entry":["cross_above",{"ind":"momentum.rsi","lag":0,"output":"rsi","params":{"window":"$window"},"source":"close"},"$level"],' +
    '"long_exit":["above",{"lag":0,"price":"close"},{"ind":"ma.sma","lag":1,"output":"value","params":{"window":50},"source":"close"}]}},' +
    '"params":{"level":30.0,"window":14},' +
    '"execution":{"side":"long","fill":"close","fee_bps":0.0,"slippage_bps":0.0,"annualization":525600.0}}';

  it('writes the canonical body with defaults filled in and float params as floats', () => {
    expect(strategyKeyPayload(p, 0, '1:BTCUSDT', '1m', LONG_AT_CLOSE)).toBe(payload);
  });

  it('hashes that payload to the pinned key', () => {
    expect(sha256(payload)).toBe('31e78996777f98e8fd05cb4adcd0e2d04e84fb0eaa9de7d71e866e1be5e6233b');
    expect(strategyKey(p, 0, '1:BTCUSDT', '1m', LONG_AT_CLOSE)).toBe('31e78996777f98e8fd05cb4adcd0e2d04e84fb0eaa9de7d71e866e1be5e6233b');
  });
});
