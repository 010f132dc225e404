/**
 * Benchmark data: a deterministic 1-minute series with holes (seeded, reproducible on any machine)
 * and the bundled daily sample bench/ttrc.csv.
 */
import { createCandles, type Candles } from '../src/candles/index.js';

export const SYNTHETIC_SEED = 20261129;

/** mulberry32: small, fast, deterministic (also the tests' series generator). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `t` one-minute bars starting 2024-01-01T00:00Z: a geometric random walk around 100 with intrabar
 * range, volume with zero-volume minutes, and holes (a missing bar every ~5,000 bars on average plus
 * one 30-bar outage per 250,000 bars) written as NaN in every series.
 */
export function syntheticMinuteCandles(t = 1_000_000, seed = SYNTHETIC_SEED): Candles {
  const rnd = prng(seed);
  const start = Date.UTC(2024, 0, 1);
  const tsOpen = new BigInt64Array(t);
  const open = new Float32Array(t),
    high = new Float32Array(t),
    low = new Float32Array(t),
    close = new Float32Array(t),
    volume = new Float32Array(t);
  let p = 100;
  for (let i = 0; i < t; i++) {
    tsOpen[i] = BigInt(start + i * 60_000);
    const o = p;
    p = p * Math.exp((rnd() - 0.5) * 0.002);
    const hi = Math.max(o, p) * (1 + rnd() * 0.0008);
    const lo = Math.min(o, p) * (1 - rnd() * 0.0008);
    const hole = rnd() < 0.0002 || (i % 250_000 >= 125_000 && i % 250_000 < 125_030);
    open[i] = hole ? NaN : o;
    high[i] = hole ? NaN : hi;
    low[i] = hole ? NaN : lo;
    close[i] = hole ? NaN : p;
    volume[i] = hole ? NaN : rnd() < 0.05 ? 0 : Math.floor(rnd() * 5000);
  }
  return createCandles({ instrumentId: `synthetic:seed${seed}`, timeframe: '1m', tsOpen, open, high, low, close, volume });
}
