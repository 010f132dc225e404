/**
 * technicalindicators (README: `SMA.calculate({ period, values })`): one static `calculate` call
 * per variant; results drop the warm-up bars (aligned to the end), multi-output ids return objects.
 */
import { packageVersion } from '../../src/runtime/paths.js';
import { field, toNumbers, win, type PeerAdapter, type PeerCandles } from './types.js';

interface Inputs {
  values: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

const CASES = ['ma.ema', 'ma.sma', 'momentum.rsi', 'volatility.atr', 'volatility.bbands', 'momentum.macd', 'trend.adx', 'volume.mfi'];

export async function load(): Promise<PeerAdapter<Inputs>> {
  const ti = await import('technicalindicators');
  return {
    name: 'technicalindicators',
    version: packageVersion('technicalindicators'),
    supports: (id) => CASES.includes(id),
    prepare: (c: PeerCandles) => {
      const close = toNumbers(c.close, 'close');
      return { values: close, close, high: toNumbers(c.high, 'high'), low: toNumbers(c.low, 'low'), volume: toNumbers(c.volume, 'volume') };
    },
    run: (id, p, x) => {
      switch (id) {
        case 'ma.ema':
          return ti.EMA.calculate({ period: win(p), values: x.values });
        case 'ma.sma':
          return ti.SMA.calculate({ period: win(p), values: x.values });
        case 'momentum.rsi':
          return ti.RSI.calculate({ period: win(p), values: x.values });
        case 'volatility.atr':
          return ti.ATR.calculate({ period: win(p), high: x.high, low: x.low, close: x.close });
        case 'volatility.bbands':
          return ti.BollingerBands.calculate({ period: win(p), stdDev: p.mult!, values: x.values });
        case 'momentum.macd':
          return ti.MACD.calculate({
            values: x.values,
            fastPeriod: p.fast_window!,
            slowPeriod: p.slow_window!,
            signalPeriod: p.signal_window!,
            SimpleMAOscillator: false,
            SimpleMASignal: false,
          });
        case 'trend.adx':
          return ti.ADX.calculate({ period: win(p), high: x.high, low: x.low, close: x.close });
        case 'volume.mfi':
          return ti.MFI.calculate({ period: win(p), high: x.high, low: x.low, close: x.close, volume: x.volume });
        default:
          throw new Error(`technicalindicators: no adapter for ${id}`);
      }
    },
    extract: (id, r) => {
      if (id === 'volatility.bbands') {
        const rows = r as { middle: number; upper: number; lower: number }[];
        return { basis: field(rows, 'middle'), upper: field(rows, 'upper'), lower: field(rows, 'lower') };
      }
      if (id === 'momentum.macd') {
        const rows = r as { MACD?: number; signal?: number; histogram?: number }[];
        return { macd: field(rows, 'MACD'), signal: field(rows, 'signal'), hist: field(rows, 'histogram') };
      }
      if (id === 'trend.adx') {
        const rows = r as { adx: number; pdi: number; mdi: number }[];
        return { adx: field(rows, 'adx'), plus_di: field(rows, 'pdi'), minus_di: field(rows, 'mdi') };
      }
      const primary = { 'ma.ema': 'value', 'ma.sma': 'value', 'momentum.rsi': 'rsi', 'volatility.atr': 'atr', 'volume.mfi': 'mfi' }[id]!;
      return { [primary]: r as number[] };
    },
    conventions: {
      'momentum.rsi': 'RSI rounded to 2 decimals',
      'trend.adx': 'one period for the DI and the ADX smoothing (Wilder sums), where gridta has window × smoothing',
      'momentum.macd': 'SMA-seeded EMAs',
      'volume.mfi': 'MFI rounded to 2 decimals',
    },
  };
}
