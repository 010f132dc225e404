/**
 * The oracle series set: a seeded random walk, the bundled ttrc.csv sample, holes and a 30-bar gap,
 * leading NaNs, flat bars after a hole (high = low, volume 0), long zero-volume runs and a series
 * shorter than most windows. Every series has all five candle arrays as float32.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prng } from '../../bench/data.js';

export interface TestSeries {
  name: string;
  t: number;
  open: Float32Array;
  high: Float32Array;
  low: Float32Array;
  close: Float32Array;
  volume: Float32Array;
}

/** Deterministic 32-bit PRNG (mulberry32), the benchmark data's generator. */
export { prng };

export function randomWalk(t: number, seed = 7, name = 'random walk'): TestSeries {
  const rnd = prng(seed);
  const s = alloc(name, t);
  let p = 100;
  for (let i = 0; i < t; i++) {
    const o = p;
    p = Math.max(1, p + (rnd() - 0.5) * 2);
    s.open[i] = o;
    s.close[i] = p;
    s.high[i] = Math.max(o, p) + rnd();
    s.low[i] = Math.min(o, p) - rnd();
    s.volume[i] = Math.floor(rnd() * 1000);
  }
  return s;
}

function alloc(name: string, t: number): TestSeries {
  return {
    name,
    t,
    open: new Float32Array(t),
    high: new Float32Array(t),
    low: new Float32Array(t),
    close: new Float32Array(t),
    volume: new Float32Array(t),
  };
}

const ARRAYS = ['open', 'high', 'low', 'close', 'volume'] as const;

function punch(s: TestSeries, from: number, to: number): void {
  for (let i = from; i < to && i < s.t; i++) for (const k of ARRAYS) s[k][i] = NaN;
}

export function ttrc(): TestSeries {
  const path = fileURLToPath(new URL('../../bench/ttrc.csv', import.meta.url));
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  const s = alloc('ttrc.csv', lines.length);
  lines.forEach((line, i) => {
    const [, o, h, l, c, v] = line.split(',');
    s.open[i] = Number(o);
    s.high[i] = Number(h);
    s.low[i] = Number(l);
    s.close[i] = Number(c);
    s.volume[i] = Number(v);
  });
  return s;
}

export function withHoles(): TestSeries {
  const s = randomWalk(1500, 11, 'single holes and a 30-bar gap');
  for (const g of [3, 40, 41, 300, 777]) punch(s, g, g + 1);
  punch(s, 900, 930);
  return s;
}

export function leadingNaN(): TestSeries {
  const s = randomWalk(800, 13, 'leading NaNs');
  punch(s, 0, 57);
  return s;
}

export function flatBars(): TestSeries {
  const s = randomWalk(900, 17, 'flat bars and zero volume');
  for (let i = 200; i < 420; i++) {
    const p = i < 300 ? 50 : 0; // a flat run, then a flat run at zero price
    s.open[i] = s.high[i] = s.low[i] = s.close[i] = p;
    s.volume[i] = 0;
  }
  // a hole just before the flat run: windows restart on flat bars, so averages of changes (rsi's
  // gains and losses) start at exactly 0 and stay there
  punch(s, 199, 200);
  for (let i = 600; i < 700; i++) s.volume[i] = 0;
  for (let i = 700; i < 720; i++) s.high[i] = s.low[i]!;
  s.close[750] = -0;
  s.open[750] = 0; // signed zeros in the data
  return s;
}

export function shortSeries(): TestSeries {
  return randomWalk(5, 19, 'shorter than the window');
}

/** The series set of the oracle tests. */
export function seriesSet(): TestSeries[] {
  return [randomWalk(2000), ttrc(), withHoles(), leadingNaN(), flatBars(), shortSeries()];
}
