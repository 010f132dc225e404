/**
 * @ixjb94/indicators (README: `const ta = new Indicators(); ta.ema(close, 20).then(...)`): the
 * class-based async API, one awaited call per variant; results drop the warm-up bars.
 */
import { packageVersion } from '../../src/runtime/paths.js';
import { toNumbers, win, type PeerAdapter, type PeerCandles } from './types.js';

interface Inputs {
  close: number[];
  high: number[];
  low: number[];
  volume: number[];
}

const CASES = ['ma.ema', 'ma.sma', 'momentum.rsi', 'volatility.atr', 'volatility.bbands', 'momentum.macd', 'trend.adx', 'volume.mfi'];

export async function load(): Promise<PeerAdapter<Inputs>> {
  const { Indicators } = await import('@ixjb94/indicators');
  const ta = new Indicators();
  return {
    name: '@ixjb94/indicators',
    version: packageVersion('@ixjb94/indicators'),
    supports: (id) => CASES.includes(id),
    prepare: (c: PeerCandles) => ({
      close: toNumbers(c.close, 'close'),
      high: toNumbers(c.high, 'high'),
      low: toNumbers(c.low, 'low'),
      volume: toNumbers(c.volume, 'volume'),
    }),
    run: (id, p, x) => {
      switch (id) {
        case 'ma.ema':
          return ta.ema(x.close, win(p));
        case 'ma.sma':
          return ta.sma(x.close, win(p));
        case 'momentum.rsi':
          return ta.rsi(x.close, win(p));
        case 'volatility.atr':
          return ta.atr(x.high, x.low, x.close, win(p));
        case 'volatility.bbands':
          return ta.bbands(x.close, win(p), p.mult!);
        case 'momentum.macd':
          return ta.macd(x.close, p.fast_window!, p.slow_window!, p.signal_window!);
        case 'trend.adx':
          return ta.adx(x.high, x.low, win(p));
        case 'volume.mfi':
          return ta.mfi(x.high, x.low, x.close, x.volume, win(p));
        default:
          throw new Error(`@ixjb94/indicators: no adapter for ${id}`);
      }
    },
    extract: (id, r) => {
      if (id === 'volatility.bbands') {
        const [lower, middle, upper] = r as number[][];
        return { basis: middle!, upper: upper!, lower: lower! };
      }
      if (id === 'momentum.macd') {
        const [macd, signal, hist] = r as number[][];
        return { macd: macd!, signal: signal!, hist: hist! };
      }
      const primary = {
        'ma.ema': 'value',
        'ma.sma': 'value',
        'momentum.rsi': 'rsi',
        'volatility.atr': 'atr',
        'trend.adx': 'adx',
        'volume.mfi': 'mfi',
      }[id]!;
      return { [primary]: r as number[] };
    },
    conventions: {
      'trend.adx': 'ADX from directional movement only (no true range), one period for everything',
      'momentum.macd': 'signal EMA seeded at bar slow − 1',
    },
  };
}
