/**
 * Price paths for the backtest suites, on top of the oracle series set: flat runs (bars with zero
 * return) and a crash-and-recovery path that ruins shorts. Every series has all five candle arrays
 * as float32, like the oracle series.
 */
import { prng, randomWalk, type TestSeries } from './series.js';

/** Sets rows [from, to) to one price (open = high = low = close), so their returns are exactly 0. */
function flatten(s: TestSeries, from: number, to: number, price: number): void {
  for (let i = from; i < to && i < s.t; i++) s.open[i] = s.high[i] = s.low[i] = s.close[i] = price;
}

/** A random walk with three flat runs: short, long, and one that starts right after a hole. */
export function flatRuns(): TestSeries {
  const s = randomWalk(1400, 29, 'flat runs');
  flatten(s, 150, 170, s.close[149]!);
  flatten(s, 400, 640, s.close[399]!);
  for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) s[k][900] = Number.NaN;
  flatten(s, 901, 960, s.close[899]!);
  return s;
}

/**
 * Noise around 100, a crash to 30 (−70%) over 120 bars, a choppy bottom, a one-bar jump to 75
 * (+150%: any short open at that bar is ruined, its equity would go negative), then a noisy rise
 * to about 160. Noise of ±1.5% a bar keeps the indicators crossing on the way.
 */
export function crashAndRecovery(): TestSeries {
  const t = 1400;
  const rnd = prng(31);
  const s: TestSeries = {
    name: 'crash −70% and recovery',
    t,
    open: new Float32Array(t),
    high: new Float32Array(t),
    low: new Float32Array(t),
    close: new Float32Array(t),
    volume: new Float32Array(t),
  };
  let trend = 100;
  let prev = 100;
  for (let i = 0; i < t; i++) {
    if (i >= 300 && i < 420) trend *= 0.3 ** (1 / 120);
    else if (i === 700) trend = 75;
    else if (i > 700) trend *= (160 / 75) ** (1 / (t - 701));
    const c = trend * (1 + (rnd() - 0.5) * 0.03);
    const o = i === 700 ? c : prev;
    s.open[i] = o;
    s.close[i] = c;
    s.high[i] = Math.max(o, c) * (1 + rnd() * 0.005);
    s.low[i] = Math.min(o, c) * (1 - rnd() * 0.005);
    s.volume[i] = 1000 + Math.floor(rnd() * 1000);
    prev = c;
  }
  return s;
}
