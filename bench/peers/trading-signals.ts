/**
 * trading-signals (README: `new SMA(3)`, `sma.updates([...])`): one indicator instance per
 * variant, all bars through `updates(inputs, false)`, which returns one result (or null) per bar.
 */
import { packageVersion } from '../../src/runtime/paths.js';
import { field, toNumbers, win, type PeerAdapter, type PeerCandles } from './types.js';

interface Bar {
  high: number;
  low: number;
  close: number;
  volume: number;
}
interface Inputs {
  close: number[];
  bars: Bar[];
}

const CASES = ['ma.ema', 'ma.sma', 'momentum.rsi', 'volatility.atr', 'volatility.bbands', 'momentum.macd', 'trend.adx', 'volume.mfi'];

export async function load(): Promise<PeerAdapter<Inputs>> {
  const ts = await import('trading-signals');
  return {
    name: 'trading-signals',
    version: packageVersion('trading-signals'),
    supports: (id) => CASES.includes(id),
    prepare: (c: PeerCandles) => {
      const close = toNumbers(c.close, 'close');
      const high = toNumbers(c.high, 'high'),
        low = toNumbers(c.low, 'low'),
        volume = toNumbers(c.volume, 'volume');
      const bars = close.map((x, i) => ({ high: high[i]!, low: low[i]!, close: x, volume: volume[i]! }));
      return { close, bars };
    },
    run: (id, p, x) => {
      switch (id) {
        case 'ma.ema':
          return new ts.EMA(win(p)).updates(x.close, false);
        case 'ma.sma':
          return new ts.SMA(win(p)).updates(x.close, false);
        case 'momentum.rsi':
          return new ts.RSI(win(p)).updates(x.close, false);
        case 'volatility.atr':
          return new ts.ATR(win(p)).updates(x.bars, false);
        case 'volatility.bbands':
          return new ts.BollingerBands(win(p), p.mult!).updates(x.close, false);
        case 'momentum.macd':
          return new ts.MACD(new ts.EMA(p.fast_window!), new ts.EMA(p.slow_window!), new ts.EMA(p.signal_window!)).updates(x.close, false);
        case 'trend.adx': {
          // pdi/mdi are getters of the instance, so the DI lines are read bar by bar through add()
          const adx = new ts.ADX(win(p));
          return x.bars.map((b) => adx.add(b));
        }
        case 'volume.mfi':
          return new ts.MFI(win(p)).updates(x.bars, false);
        default:
          throw new Error(`trading-signals: no adapter for ${id}`);
      }
    },
    extract: (id, r) => {
      if (id === 'volatility.bbands') {
        const rows = r as ({ middle: number; upper: number; lower: number } | null)[];
        return { basis: field(rows as never, 'middle'), upper: field(rows as never, 'upper'), lower: field(rows as never, 'lower') };
      }
      if (id === 'momentum.macd') {
        const rows = r as ({ macd: number; signal: number; histogram: number } | null)[];
        return { macd: field(rows as never, 'macd'), signal: field(rows as never, 'signal'), hist: field(rows as never, 'histogram') };
      }
      const primary = {
        'ma.ema': 'value',
        'ma.sma': 'value',
        'momentum.rsi': 'rsi',
        'volatility.atr': 'atr',
        'trend.adx': 'adx',
        'volume.mfi': 'mfi',
      }[id]!;
      return { [primary]: r as (number | null)[] };
    },
    conventions: {
      'trend.adx': 'one period for the DI and the ADX smoothing, where gridta has window × smoothing',
      'momentum.macd': 'signal EMA starts only once the slow EMA is stable',
    },
  };
}
