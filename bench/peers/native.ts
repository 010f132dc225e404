/**
 * Native peers, opt-in: tulind and talib build from source with node-gyp, so they live
 * in their own package, bench/native/ (`npm run bench:native` installs it). Absent or failing to
 * load, they are reported as skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../src/runtime/paths.js';
import { toNumbers, win, type PeerAdapter, type PeerCandles } from './types.js';

interface Inputs {
  close: number[];
  high: number[];
  low: number[];
  volume: number[];
}

const nativeDir = (): string => join(packageRoot(), 'bench', 'native');

function requireNative(name: string): { mod: unknown; version: string } {
  const dir = nativeDir();
  const pj = join(dir, 'node_modules', name, 'package.json');
  if (!existsSync(pj)) throw new Error(`not installed in bench/native (run npm run bench:native; its native build may have failed)`);
  const req = createRequire(join(dir, 'package.json'));
  return { mod: req(name), version: (JSON.parse(readFileSync(pj, 'utf8')) as { version: string }).version };
}

const prepare = (c: PeerCandles): Inputs => ({
  close: toNumbers(c.close, 'close'),
  high: toNumbers(c.high, 'high'),
  low: toNumbers(c.low, 'low'),
  volume: toNumbers(c.volume, 'volume'),
});

interface TulipIndicator {
  indicator(inputs: number[][], options: number[], cb: (err: unknown, res: number[][]) => void): void;
}

/** tulind (README: `tulind.indicators.sma.indicator([close], [3], (err, results) => ...)`; the callback runs synchronously). */
export async function loadTulind(): Promise<PeerAdapter<Inputs>> {
  const { mod, version } = requireNative('tulind');
  const ind = (mod as { indicators: Record<string, TulipIndicator> }).indicators;
  const call = (name: string, inputs: number[][], options: number[]): number[][] => {
    let out: number[][] | undefined;
    let error: unknown;
    ind[name]!.indicator(inputs, options, (e, r) => {
      error = e;
      out = r;
    });
    if (error || !out) throw new Error(`tulind ${name}: ${String(error ?? 'no result')}`);
    return out;
  };
  const CASES: Record<string, (p: Readonly<Record<string, number>>, x: Inputs) => number[][]> = {
    'ma.ema': (p, x) => call('ema', [x.close], [win(p)]),
    'ma.sma': (p, x) => call('sma', [x.close], [win(p)]),
    'momentum.rsi': (p, x) => call('rsi', [x.close], [win(p)]),
    'volatility.atr': (p, x) => call('atr', [x.high, x.low, x.close], [win(p)]),
    'volatility.bbands': (p, x) => call('bbands', [x.close], [win(p), p.mult!]),
    'momentum.macd': (p, x) => call('macd', [x.close], [p.fast_window!, p.slow_window!, p.signal_window!]),
    'trend.adx': (p, x) => call('adx', [x.high, x.low, x.close], [win(p)]),
    'volume.mfi': (p, x) => call('mfi', [x.high, x.low, x.close, x.volume], [win(p)]),
  };
  return {
    name: 'tulind',
    version,
    native: true,
    supports: (id) => id in CASES,
    prepare,
    run: (id, p, x) => CASES[id]!(p, x),
    extract: (id, r) => {
      const o = r as number[][];
      if (id === 'volatility.bbands') return { lower: o[0]!, basis: o[1]!, upper: o[2]! };
      if (id === 'momentum.macd') return { macd: o[0]!, signal: o[1]!, hist: o[2]! };
      const primary = {
        'ma.ema': 'value',
        'ma.sma': 'value',
        'momentum.rsi': 'rsi',
        'volatility.atr': 'atr',
        'trend.adx': 'adx',
        'volume.mfi': 'mfi',
      }[id]!;
      return { [primary]: o[0]! };
    },
    conventions: {
      'trend.adx': 'Wilder sums seeded over n bars, one period for DI and ADX',
      'momentum.macd': 'signal seeded at bar slow − 1',
    },
  };
}

interface TalibResult {
  begIndex: number;
  nbElement: number;
  result: Record<string, number[]>;
}

/** talib (README: `talib.execute({ name: 'SMA', startIdx: 0, endIdx: n - 1, inReal, optInTimePeriod })`, synchronous). */
export async function loadTalib(): Promise<PeerAdapter<Inputs>> {
  const { mod, version } = requireNative('talib');
  const talib = mod as { execute(params: Record<string, unknown>): TalibResult };
  const ex = (name: string, x: Inputs, extra: Record<string, unknown>): TalibResult =>
    talib.execute({ name, startIdx: 0, endIdx: x.close.length - 1, ...extra });
  const CASES: Record<string, (p: Readonly<Record<string, number>>, x: Inputs) => TalibResult> = {
    'ma.ema': (p, x) => ex('EMA', x, { inReal: x.close, optInTimePeriod: win(p) }),
    'ma.sma': (p, x) => ex('SMA', x, { inReal: x.close, optInTimePeriod: win(p) }),
    'momentum.rsi': (p, x) => ex('RSI', x, { inReal: x.close, optInTimePeriod: win(p) }),
    'volatility.atr': (p, x) => ex('ATR', x, { high: x.high, low: x.low, close: x.close, optInTimePeriod: win(p) }),
    'volatility.bbands': (p, x) =>
      ex('BBANDS', x, { inReal: x.close, optInTimePeriod: win(p), optInNbDevUp: p.mult!, optInNbDevDn: p.mult!, optInMAType: 0 }),
    'momentum.macd': (p, x) =>
      ex('MACD', x, {
        inReal: x.close,
        optInFastPeriod: p.fast_window!,
        optInSlowPeriod: p.slow_window!,
        optInSignalPeriod: p.signal_window!,
      }),
    'trend.adx': (p, x) => ex('ADX', x, { high: x.high, low: x.low, close: x.close, optInTimePeriod: win(p) }),
    'volume.mfi': (p, x) => ex('MFI', x, { high: x.high, low: x.low, close: x.close, volume: x.volume, optInTimePeriod: win(p) }),
  };
  return {
    name: 'talib',
    version,
    native: true,
    supports: (id) => id in CASES,
    prepare,
    run: (id, p, x) => CASES[id]!(p, x),
    extract: (id, r) => {
      const o = (r as TalibResult).result;
      if (id === 'volatility.bbands') return { basis: o.outRealMiddleBand!, upper: o.outRealUpperBand!, lower: o.outRealLowerBand! };
      if (id === 'momentum.macd') return { macd: o.outMACD!, signal: o.outMACDSignal!, hist: o.outMACDHist! };
      const primary = {
        'ma.ema': 'value',
        'ma.sma': 'value',
        'momentum.rsi': 'rsi',
        'volatility.atr': 'atr',
        'trend.adx': 'adx',
        'volume.mfi': 'mfi',
      }[id]!;
      return { [primary]: o.outReal! };
    },
    conventions: {
      'trend.adx': 'Wilder sums seeded over n bars, one period for DI and ADX',
      'volume.mfi': '100·SP/(SP+SN), 0 when SP+SN < 1',
    },
  };
}
