/**
 * Reference primitives, plain TypeScript on binary64 numbers. Each follows the
 * spec's algorithm literally: same operations, same order. Kernels in `assembly/primitives.ts` must
 * match these bit for bit.
 */

import { DEFAULT_PROFILE, type Profile } from '../registry/types.js';

export type Series = Float64Array;

/** Widens a float32 series to binary64 (exact). */
export function widen(x: Float32Array): Float64Array {
  return Float64Array.from(x);
}

/** Narrows to float32, writing the canonical quiet NaN (0x7FC00000) for every NaN. */
export function narrow(x: ArrayLike<number>): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v !== v ? NaN : v;
  }
  return out;
}

export function nanSeries(t: number): Float64Array {
  return new Float64Array(t).fill(NaN);
}

/** ROLLSUM: running sum skipping NaN terms, counting them; reset to 0 when no non-zero term remains. */
export function rollsum(x: Series, n: number): Series {
  const T = x.length;
  const out = new Float64Array(T);
  let S = 0.0,
    k = 0,
    z = 0;
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) k++;
    else {
      if (v !== 0) z++;
      S = S + v;
    }
    if (t >= n) {
      const u = x[t - n]!;
      if (u !== u) k--;
      else {
        if (u !== 0) z--;
        S = S - u;
      }
    }
    if (z === 0) S = 0.0;
    out[t] = t < n - 1 || k > 0 ? NaN : S;
  }
  return out;
}

/**
 * TA-Lib's SMA sum (talib profile) over the segments of valid terms (a NaN term ends one): from a
 * segment's first term the sum S starts at 0, the term leaving is subtracted before the incoming one
 * is added ((S − x[t − n]) + x[t]), never reset otherwise; NaN until the window holds n terms of one
 * segment.
 */
export function rollsumTalib(x: Series, n: number): Series {
  const T = x.length;
  const out = new Float64Array(T);
  let S = 0.0,
    last = -1; // the bar of the last NaN term
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) {
      S = 0.0;
      last = t;
    } else {
      if (t - n > last) S = S - x[t - n]!;
      S = S + v;
    }
    out[t] = t - n + 1 > last ? S : NaN;
  }
  return out;
}

/** ROLLMEAN: ROLLSUM / n (a division, not a multiplication by 1/n); TA-Lib's SMA sum in the talib profile. */
export function rollmean(x: Series, n: number, profile: Profile = 'gridta'): Series {
  const s = profile === 'talib' ? rollsumTalib(x, n) : rollsum(x, n);
  for (let t = 0; t < s.length; t++) s[t] = s[t]! / n;
  return s;
}

/** ROLLVAR: population variance with the same counters and reset as ROLLSUM, clamp of (−1e−12, 0) to 0. */
export function rollvar(x: Series, n: number): Series {
  const T = x.length;
  const out = new Float64Array(T);
  let S = 0.0,
    Q = 0.0,
    k = 0,
    z = 0;
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) k++;
    else {
      if (v !== 0) z++;
      S = S + v;
      Q = Q + v * v;
    }
    if (t >= n) {
      const u = x[t - n]!;
      if (u !== u) k--;
      else {
        if (u !== 0) z--;
        S = S - u;
        Q = Q - u * u;
      }
    }
    if (z === 0) {
      S = 0.0;
      Q = 0.0;
    }
    if (t < n - 1 || k > 0) {
      out[t] = NaN;
      continue;
    }
    const m = S / n;
    let vr = Q / n - m * m;
    if (vr < 0 && vr > -1e-12) vr = 0.0;
    out[t] = vr;
  }
  return out;
}

/** ROLLSTD: sqrt of ROLLVAR (NaN for a variance at or below −1e−12). */
export function rollstd(x: Series, n: number): Series {
  const v = rollvar(x, n);
  for (let t = 0; t < v.length; t++) v[t] = Math.sqrt(v[t]!);
  return v;
}

/** EWMA: first valid value seeds, NaN resets. */
export function ewma(x: Series, alpha: number): Series {
  const T = x.length;
  const out = new Float64Array(T);
  const beta = 1 - alpha;
  let y = NaN;
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) {
      y = NaN;
      out[t] = NaN;
      continue;
    }
    y = y !== y ? v : alpha * v + beta * y;
    out[t] = y;
  }
  return out;
}

export const emaAlpha = (n: number): number => 2.0 / (n + 1.0);
export const rmaAlpha = (n: number): number => 1.0 / n;

/**
 * One step of TA-Lib's EMA at the c-th valid bar of a segment (c from 0): the first n values are
 * summed from 0 in order, bar n − 1 takes their mean (the seed), every later bar
 * ((v − y)·k) + y with k = 2/(n+1). Returns the new state (the running sum while seeding).
 */
export function emaTalibStep(y: number, v: number, c: number, n: number, k: number): number {
  if (c >= n) return (v - y) * k + y;
  const s = c === 0 ? 0.0 + v : y + v;
  return c === n - 1 ? s / n : s;
}

/**
 * EMA in the talib profile: TA-Lib's EMA on every segment of valid values (a NaN gives NaN and
 * ends the segment); NaN for the first n − 1 bars of a segment, then the SMA seed and the EMA.
 */
export function emaTalib(x: Series, n: number): Series {
  const T = x.length;
  const out = nanSeries(T);
  const k = emaAlpha(n);
  let y = 0;
  let c = 0;
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) {
      c = 0;
      continue;
    }
    y = emaTalibStep(y, v, c, n, k);
    if (c >= n - 1) out[t] = y;
    c++;
  }
  return out;
}

/** EMA(src, n): in the default profile seeded by the first valid value (ewma), in the talib profile by the SMA of the first n (emaTalib). */
export const ema = (x: Series, n: number, profile: Profile = DEFAULT_PROFILE): Series =>
  profile === 'talib' ? emaTalib(x, n) : ewma(x, emaAlpha(n));
export const rma = (x: Series, n: number): Series => ewma(x, rmaAlpha(n));

/** WMA: linear weights 1..n, the normative incremental update. */
export function wma(x: Series, n: number): Series {
  const T = x.length;
  const out = nanSeries(T);
  if (n > T) return out;
  const D = (n * (n + 1)) / 2;
  let A = 0.0,
    B = 0.0,
    k = 0;
  for (let j = 0; j < n; j++) {
    const v = x[j]!;
    if (v !== v) {
      k++;
      continue;
    }
    A = A + v;
    B = B + (j + 1) * v;
  }
  if (k === 0) out[n - 1] = B / D;
  for (let t = n; t < T; t++) {
    let vin = x[t]!;
    if (vin !== vin) {
      k++;
      vin = 0.0;
    }
    let vout = x[t - n]!;
    if (vout !== vout) {
      k--;
      vout = 0.0;
    }
    B = B - A + n * vin;
    A = A - vout + vin;
    out[t] = k === 0 ? B / D : NaN;
  }
  return out;
}

/**
 * ROLLMAX / ROLLMIN: NaN under the rolling rule, else the window's extreme. A monotone deque of
 * bar indices, O(1) amortised: a new value drops the queued values it beats strictly, so of two equal
 * values (also −0 next to +0) the older one stays in front, which is the element the spec's
 * oldest-first scan keeps (replace only on a strictly greater / smaller value).
 */
export function rollmax(x: Series, n: number): Series {
  return rollExtreme(x, n, 'max');
}
export function rollmin(x: Series, n: number): Series {
  return rollExtreme(x, n, 'min');
}

/**
 * AGE_MAX / AGE_MIN: bars since the most recent extreme of the window (ties keep the newer).
 * The same deque, but a new value also drops queued values equal to it, so the newest of equal
 * values stays in front, as in the spec's scan that replaces on ≥ / ≤.
 */
export function ageMax(x: Series, n: number): Series {
  return ageExtreme(x, n, 'max');
}
export function ageMin(x: Series, n: number): Series {
  return ageExtreme(x, n, 'min');
}

type Extreme = 'max' | 'min';

/** Runs the deque over x; calls emit(t, p) with the bar p of the window's extreme where it is valid. */
function monotoneDeque(x: Series, n: number, kind: Extreme, keepNewer: boolean, emit: (t: number, p: number) => void): void {
  const T = x.length;
  const q = new Int32Array(T);
  let head = 0,
    tail = 0,
    lastNaN = -1;
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) {
      head = tail = 0;
      lastNaN = t;
      continue;
    }
    while (tail > head) {
      const b = x[q[tail - 1]!]!;
      const drop = kind === 'max' ? (keepNewer ? b <= v : b < v) : keepNewer ? b >= v : b > v;
      if (!drop) break;
      tail--;
    }
    q[tail++] = t;
    if (q[head]! <= t - n) head++;
    if (t - lastNaN >= n) emit(t, q[head]!);
  }
}

function rollExtreme(x: Series, n: number, kind: Extreme): Series {
  const out = nanSeries(x.length);
  monotoneDeque(x, n, kind, false, (t, p) => {
    out[t] = x[p]!;
  });
  return out;
}

function ageExtreme(x: Series, n: number, kind: Extreme): Series {
  const out = nanSeries(x.length);
  monotoneDeque(x, n, kind, true, (t, p) => {
    out[t] = t - p;
  });
  return out;
}

/** SHIFT: positive k looks back, negative k looks forward; outside the series reads NaN. */
export function shift(x: Series, k: number): Series {
  const T = x.length;
  const out = nanSeries(T);
  for (let t = 0; t < T; t++) {
    const s = t - k;
    if (s >= 0 && s < T) out[t] = x[s]!;
  }
  return out;
}

/** DIFF: x[t] − x[t − 1]. */
export function diff(x: Series): Series {
  const T = x.length;
  const out = nanSeries(T);
  for (let t = 1; t < T; t++) out[t] = x[t]! - x[t - 1]!;
  return out;
}

/** CUMSUM: reset on NaN, re-seeded by the first valid term. */
export function cumsum(x: Series): Series {
  const T = x.length;
  const out = new Float64Array(T);
  let r = NaN;
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) {
      r = NaN;
      out[t] = NaN;
      continue;
    }
    r = r !== r ? v : r + v;
    out[t] = r;
  }
  return out;
}

/** TP: ((high + low) + close) / 3 in binary64. */
export function typicalPrice(high: Series, low: Series, close: Series): Series {
  const out = new Float64Array(high.length);
  for (let t = 0; t < out.length; t++) out[t] = (high[t]! + low[t]! + close[t]!) / 3;
  return out;
}

/** MID: (high + low) · 0.5 in binary64. */
export function mid(high: Series, low: Series): Series {
  const out = new Float64Array(high.length);
  for (let t = 0; t < out.length; t++) out[t] = (high[t]! + low[t]!) * 0.5;
  return out;
}

/**
 * TR: the current close is not used; a missing previous close (the first bar, after a hole) falls
 * back to high − low, or gives NaN with `noFallback` (TA-Lib's TRANGE, which starts at bar 1).
 */
export function trueRange(high: Series, low: Series, close: Series, noFallback = false): Series {
  const T = high.length;
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const h = high[t]!,
      l = low[t]!;
    if (h !== h || l !== l) {
      out[t] = NaN;
      continue;
    }
    const r = h - l;
    const pc = t === 0 ? NaN : close[t - 1]!;
    if (pc !== pc) {
      out[t] = noFallback ? NaN : r;
      continue;
    }
    const a = Math.abs(h - pc),
      b = Math.abs(l - pc);
    let tr = r;
    if (a > tr) tr = a;
    if (b > tr) tr = b;
    out[t] = tr;
  }
  return out;
}

/** ATR(n) = RMA(TR, n) in binary64; in the talib profile TA-Lib's ATR (atrTalibSmoothing of its TR). */
export function atr(high: Series, low: Series, close: Series, n: number, profile: Profile = 'gridta'): Series {
  if (profile === 'talib') return atrTalibSmoothing(trueRange(high, low, close, true), n);
  return rma(trueRange(high, low, close), n);
}

/**
 * TA-Lib's ATR smoothing: NaN until n valid values in a row, then their mean (the running sum from
 * 0 in bar order, divided by n) on the n-th, then the RMA step (1/n)·x + (1 − 1/n)·y. A NaN value
 * outputs NaN and starts a new seed.
 */
export function atrTalibSmoothing(x: Series, n: number): Series {
  const a = rmaAlpha(n),
    b = 1 - a;
  const out = nanSeries(x.length);
  let y = NaN,
    sum = 0,
    k = 0;
  for (let t = 0; t < x.length; t++) {
    const v = x[t]!;
    if (v !== v) {
      y = NaN;
      sum = 0;
      k = 0;
      continue;
    }
    if (y === y) y = a * v + b * y;
    else {
      sum += v;
      if (++k === n) y = sum / n;
    }
    out[t] = y;
  }
  return out;
}

/** ATR32(n): ATR rounded to float32 and widened back (structure ids only). */
export function atr32(high: Series, low: Series, close: Series, n: number): Series {
  const a = atr(high, low, close, n);
  for (let t = 0; t < a.length; t++) a[t] = Math.fround(a[t]!);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Natural log: the table-free musl/FreeBSD algorithm, ported verbatim from `assembly/mathlog.ts`
// (kernel and reference share one algorithm, so they agree bit for bit; never the host's Math.log).

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer); // little-endian: U32[0] low word, U32[1] high word
/** A binary64 from its two 32-bit words, so constants are bit-exact copies of the kernel's. */
function fromBits(hi: number, lo: number): number {
  const b = new Uint32Array([lo, hi]);
  return new Float64Array(b.buffer)[0]!;
}
const LN2_HI = fromBits(0x3fe62e42, 0xfee00000);
const LN2_LO = fromBits(0x3dea39ef, 0x35793c76);
const LG1 = fromBits(0x3fe55555, 0x55555593);
const LG2 = fromBits(0x3fd99999, 0x9997fa04);
const LG3 = fromBits(0x3fd24924, 0x94229359);
const LG4 = fromBits(0x3fcc71c5, 0x1d8e78af);
const LG5 = fromBits(0x3fc74664, 0x96cb03de);
const LG6 = fromBits(0x3fc39a09, 0xd078c69f);
const LG7 = fromBits(0x3fc2f112, 0xdf3e5244);
const TWO54 = 18014398509481984; // 0x1p54

export function log(x: number): number {
  F64[0] = x;
  let hx = U32[1]!;
  let k = 0;
  const sign = hx >>> 31;
  if (sign || hx < 0x00100000) {
    if (U32[0] === 0 && (hx & 0x7fffffff) === 0) return -1 / (x * x);
    if (sign) return (x - x) / 0.0;
    k -= 54;
    x *= TWO54;
    F64[0] = x;
    hx = U32[1]!;
  } else if (hx >= 0x7ff00000) {
    return x;
  } else if (hx === 0x3ff00000 && U32[0] === 0) {
    return 0;
  }
  hx = (hx + (0x3ff00000 - 0x3fe6a09e)) >>> 0;
  k += (hx >> 20) - 0x3ff;
  hx = ((hx & 0x000fffff) + 0x3fe6a09e) >>> 0;
  U32[1] = hx;
  x = F64[0]!;
  const f = x - 1.0;
  const hfsq = 0.5 * f * f;
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const dk = k;
  return s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI;
}
