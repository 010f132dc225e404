/**
 * Random candles for the fuzz suite. fast-check draws a small recipe (length, seed, value style,
 * magnitude, spans of holes, flat runs and zero volume, which series exist, how the timeline is
 * built); the arrays are then filled from a seeded PRNG, so shrinking works on the recipe and a
 * counterexample prints in a few lines.
 */
import fc from 'fast-check';
import { candlesFromCsv, createCandles, type Candles } from '../../src/candles/index.js';
import { prng } from '../helpers/series.js';

export type HoleKind = 'bar' | 'close' | 'high' | 'low' | 'open' | 'volume';
export interface Span {
  at: number;
  len: number;
}
export interface CandleRecipe {
  t: number;
  seed: number;
  /** walk: a random walk around `scale`; chaos: every value drawn from special floats; steps: few distinct levels. */
  style: 'walk' | 'chaos' | 'steps';
  /** Price level: tiny, huge, negative. */
  scale: number;
  leadingNaN: number;
  holes: (Span & { kind: HoleKind })[];
  flats: (Span & { price: 'same' | 'zero' | 'negzero' })[];
  zeroVolume: Span[];
  /** Series left out (the indicator may then need a missing series). */
  drop: ('open' | 'high' | 'low' | 'volume')[];
  /** direct: createCandles with NaN bars; csv: the CSV loader with the hole rows missing on a dense
   * timeline; sessions: a sessions timeline whose hole bars are missing timestamps. */
  timeline: 'direct' | 'csv' | 'sessions';
}

const span = (t: number): fc.Arbitrary<Span> => fc.record({ at: fc.integer({ min: 0, max: t - 1 }), len: fc.integer({ min: 1, max: 40 }) });

/** Recipes of length 1..maxT (mostly short). */
export function candleRecipe(maxT = 3000): fc.Arbitrary<CandleRecipe> {
  const length = fc.oneof(
    { weight: 2, arbitrary: fc.integer({ min: 1, max: Math.min(40, maxT) }) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: Math.min(600, maxT) }) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: maxT }) },
  );
  return length.chain((t) =>
    fc.record({
      t: fc.constant(t),
      seed: fc.integer(),
      style: fc.constantFrom<CandleRecipe['style'][]>('walk', 'walk', 'walk', 'chaos', 'steps'),
      scale: fc.constantFrom(100, 100, 1, 1e-30, 1e-6, 1e6, 1e30, -100, -1e-30, 3e38),
      leadingNaN: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 120 }) }),
      holes: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: t - 1 }),
          len: fc.integer({ min: 1, max: 40 }),
          kind: fc.constantFrom<HoleKind[]>('bar', 'bar', 'bar', 'close', 'high', 'low', 'open', 'volume'),
        }),
        { maxLength: 6 },
      ),
      flats: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: t - 1 }),
          len: fc.integer({ min: 1, max: 200 }),
          price: fc.constantFrom<('same' | 'zero' | 'negzero')[]>('same', 'zero', 'negzero'),
        }),
        { maxLength: 3 },
      ),
      zeroVolume: fc.array(span(t), { maxLength: 3 }),
      drop: fc.oneof(
        { weight: 12, arbitrary: fc.constant([] as ('open' | 'high' | 'low' | 'volume')[]) },
        {
          weight: 1,
          arbitrary: fc.subarray(['open', 'high', 'low', 'volume'] as ('open' | 'high' | 'low' | 'volume')[], { minLength: 1 }),
        },
      ),
      timeline: fc.constantFrom<CandleRecipe['timeline'][]>('direct', 'direct', 'direct', 'direct', 'direct', 'direct', 'csv', 'sessions'),
    }),
  );
}

/** Special float32 values for the chaos style. */
const SPECIAL = [0, -0, 1e-45, -1e-45, 1.1754944e-38, 1e-30, -1e-30, 1, -1, 3.4e38, -3.4e38, 1e30, -1e30, 65504, 0.1, NaN];

export interface Arrays {
  open: Float32Array;
  high: Float32Array;
  low: Float32Array;
  close: Float32Array;
  volume: Float32Array;
}
const NAMES = ['open', 'high', 'low', 'close', 'volume'] as const;

/** The five arrays of a recipe (before the timeline decides which hole bars are missing). */
export function fill(r: CandleRecipe): { arrays: Arrays; holeBar: Uint8Array } {
  const { t } = r;
  const rnd = prng(r.seed);
  const a: Arrays = {
    open: new Float32Array(t),
    high: new Float32Array(t),
    low: new Float32Array(t),
    close: new Float32Array(t),
    volume: new Float32Array(t),
  };
  const mag = Math.abs(r.scale),
    sign = Math.sign(r.scale) || 1;
  let p = 1;
  for (let i = 0; i < t; i++) {
    if (r.style === 'chaos') {
      for (const k of NAMES) a[k][i] = rnd() < 0.5 ? SPECIAL[Math.floor(rnd() * SPECIAL.length)]! : (rnd() - 0.5) * 2 * mag;
      continue;
    }
    const o = p;
    p = r.style === 'steps' ? 1 + Math.floor(rnd() * 3) * 0.25 : Math.max(0.01, p + (rnd() - 0.5) * 0.04);
    a.open[i] = sign * mag * o;
    a.close[i] = sign * mag * p;
    const hi = Math.max(o, p) + (r.style === 'steps' ? 0 : rnd() * 0.02),
      lo = Math.min(o, p) - (r.style === 'steps' ? 0 : rnd() * 0.02);
    // negative prices swap high and low, so high >= low still holds
    a.high[i] = sign * mag * (sign > 0 ? hi : lo);
    a.low[i] = sign * mag * (sign > 0 ? lo : hi);
    a.volume[i] = Math.floor(rnd() * 1000) * (r.style === 'steps' ? 1 : Math.min(mag, 1e6));
  }
  for (const f of r.flats) {
    const v = f.price === 'zero' ? 0 : f.price === 'negzero' ? -0 : a.close[f.at]!;
    for (let i = f.at; i < Math.min(t, f.at + f.len); i++) {
      a.open[i] = a.high[i] = a.low[i] = a.close[i] = v;
      a.volume[i] = 0;
    }
  }
  for (const z of r.zeroVolume) for (let i = z.at; i < Math.min(t, z.at + z.len); i++) a.volume[i] = 0;
  const holeBar = new Uint8Array(t);
  for (const h of r.holes) {
    for (let i = h.at; i < Math.min(t, h.at + h.len); i++) {
      if (h.kind === 'bar') {
        holeBar[i] = 1;
        for (const k of NAMES) a[k][i] = NaN;
      } else a[h.kind][i] = NaN;
    }
  }
  for (let i = 0; i < Math.min(t, r.leadingNaN); i++) {
    holeBar[i] = 1;
    for (const k of NAMES) a[k][i] = NaN;
  }
  return { arrays: a, holeBar };
}

const T0 = 1_700_000_000_000;
const STEP = 60_000;

/** Builds the candles of a recipe; the loaders' own errors (a CSV of only missing rows) propagate. */
export async function buildCandles(r: CandleRecipe): Promise<Candles> {
  const { arrays, holeBar } = fill(r);
  const present = NAMES.filter((k) => !r.drop.includes(k as never));
  if (r.timeline === 'direct') {
    const tsOpen = Array.from({ length: r.t }, (_, i) => T0 + i * STEP);
    return createCandles({
      instrumentId: 'fuzz:X',
      timeframe: '1m',
      tsOpen,
      ...(Object.fromEntries(present.map((k) => [k, arrays[k]])) as unknown as Arrays),
    });
  }
  // hole bars are missing rows; a recipe whose every bar is a hole keeps its first bar
  const keep: number[] = [];
  for (let i = 0; i < r.t; i++) if (!holeBar[i]) keep.push(i);
  if (keep.length === 0) keep.push(0);
  if (r.timeline === 'sessions') {
    const pick = (k: (typeof NAMES)[number]) => Float32Array.from(keep, (i) => arrays[k][i]!);
    return createCandles({
      instrumentId: 'fuzz:X',
      timeframe: '1m',
      timeline: 'sessions',
      tsOpen: keep.map((i) => T0 + i * STEP),
      ...(Object.fromEntries(present.map((k) => [k, pick(k)])) as unknown as Arrays),
    });
  }
  const lines = [['ts_open', ...present].join(',')];
  for (const i of keep) lines.push([T0 + i * STEP, ...present.map((k) => csvValue(arrays[k][i]!))].join(','));
  // the dense range runs to the last bar of the recipe, so trailing holes stay holes
  return candlesFromCsv(new TextEncoder().encode(`${lines.join('\n')}\n`), {
    instrumentId: 'fuzz:X',
    timeframe: '1m',
    start: T0 + keep[0]! * STEP,
    end: T0 + r.t * STEP,
  });
}

/** A float32 as CSV text that reads back to the same float32 (NaN as an empty cell, -0 kept). */
function csvValue(x: number): string {
  if (Number.isNaN(x)) return '';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}
