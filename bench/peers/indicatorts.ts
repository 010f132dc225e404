/**
 * indicatorts (README: functions such as `ema(values, { period })` over number arrays returning
 * arrays of the same length). No ADX or z-score; Bollinger bands have a fixed multiplier of 2.
 */
import { packageVersion } from '../../src/runtime/paths.js';
import { toNumbers, win, type PeerAdapter, type PeerCandles } from './types.js';

interface Inputs {
  close: number[];
  high: number[];
  low: number[];
  volume: number[];
}

const CASES = ['ma.ema', 'ma.sma', 'momentum.rsi', 'volatility.atr', 'volatility.bbands', 'momentum.macd', 'volume.mfi'];

export async function load(): Promise<PeerAdapter<Inputs>> {
  const it = await import('indicatorts');
  return {
    name: 'indicatorts',
    version: packageVersion('indicatorts'),
    supports: (id) => CASES.includes(id),
    unsupportedVariant: (id, p) => (id === 'volatility.bbands' && p.mult !== 2 ? 'bb() has a fixed multiplier of 2' : null),
    prepare: (c: PeerCandles) => ({
      close: toNumbers(c.close, 'close'),
      high: toNumbers(c.high, 'high'),
      low: toNumbers(c.low, 'low'),
      volume: toNumbers(c.volume, 'volume'),
    }),
    run: (id, p, x) => {
      switch (id) {
        case 'ma.ema':
          return it.ema(x.close, { period: win(p) });
        case 'ma.sma':
          return it.sma(x.close, { period: win(p) });
        case 'momentum.rsi':
          return it.rsi(x.close, { period: win(p) });
        case 'volatility.atr':
          return it.atr(x.high, x.low, x.close, { period: win(p) });
        case 'volatility.bbands':
          return it.bb(x.close, { period: win(p) });
        case 'momentum.macd':
          return it.macd(x.close, { fast: p.fast_window!, slow: p.slow_window!, signal: p.signal_window! });
        case 'volume.mfi':
          return it.mfi(x.high, x.low, x.close, x.volume, { period: win(p) });
        default:
          throw new Error(`indicatorts: no adapter for ${id}`);
      }
    },
    extract: (id, r) => {
      if (id === 'volatility.atr') return { atr: (r as { atrLine: number[] }).atrLine };
      if (id === 'volatility.bbands') {
        const b = r as { upper: number[]; middle: number[]; lower: number[] };
        return { basis: b.middle, upper: b.upper, lower: b.lower };
      }
      if (id === 'momentum.macd') {
        const m = r as { macdLine: number[]; signalLine: number[] };
        return { macd: m.macdLine, signal: m.signalLine, hist: m.macdLine.map((v, i) => v - m.signalLine[i]!) };
      }
      const primary = { 'ma.ema': 'value', 'ma.sma': 'value', 'momentum.rsi': 'rsi', 'volume.mfi': 'mfi' }[id]!;
      return { [primary]: r as number[] };
    },
    conventions: {
      'volatility.atr': 'ATR as an SMA of the true range, not Wilder smoothing',
      'volume.mfi': 'flow direction from the change of TP·volume (not of TP), a tie counts as positive',
    },
  };
}
