/** Reference implementations of the `trend` group. One variant per call. */
import type { Profile, SeriesInputs } from '../registry/types.js';
import {
  ageMax,
  ageMin,
  atr,
  ema,
  narrow,
  nanSeries,
  rma,
  rollmax,
  rollmin,
  rollsum,
  shift,
  trueRange,
  typicalPrice,
  widen,
} from './primitives.js';

type Params = Readonly<Record<string, number>>;

/**
 * ADX: DI from RMA(PDM), RMA(MDM) over ATR (window n), adx = RMA(DX, smoothing). The talib profile
 * follows TA-Lib's ADX, PLUS_DI and MINUS_DI (referenceAdxTalib).
 */
export function referenceAdx(inp: SeriesInputs, p: Params, profile?: Profile) {
  const n = p.window!;
  const high = widen(inp.high!),
    low = widen(inp.low!),
    close = widen(inp.close!);
  const T = high.length;
  const pdm = new Float64Array(T),
    mdm = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const h = high[t]!,
      l = low[t]!;
    if (h !== h || l !== l) {
      pdm[t] = mdm[t] = NaN;
      continue;
    }
    const ph = t === 0 ? NaN : high[t - 1]!,
      pl = t === 0 ? NaN : low[t - 1]!;
    if (ph !== ph || pl !== pl) {
      pdm[t] = mdm[t] = 0.0;
      continue;
    }
    const up = h - ph,
      dn = pl - l;
    pdm[t] = up > dn && up > 0 ? up : 0.0;
    mdm[t] = dn > up && dn > 0 ? dn : 0.0;
  }
  if (profile === 'talib') return referenceAdxTalib(trueRange(high, low, close), pdm, mdm, n, p.smoothing!);
  const A = atr(high, low, close, n),
    SP = rma(pdm, n),
    SM = rma(mdm, n);
  const plus = nanSeries(T),
    minus = nanSeries(T),
    dx = nanSeries(T);
  for (let t = 0; t < T; t++) {
    const a = A[t]!,
      sp = SP[t]!,
      sm = SM[t]!;
    if (a !== a || sp !== sp || sm !== sm || a === 0) continue;
    const pd = 100 * (sp / a),
      md = 100 * (sm / a);
    const sum = pd + md;
    plus[t] = pd;
    minus[t] = md;
    dx[t] = sum === 0 ? NaN : 100 * (Math.abs(pd - md) / sum);
  }
  return { adx: narrow(rma(dx, p.smoothing!)), plus_di: narrow(plus), minus_di: narrow(minus) };
}

/** TA-Lib's TA_IS_ZERO: |v| below 1e-14. */
const talibZero = (v: number): boolean => -1e-14 < v && v < 1e-14;

/**
 * TA-Lib's ADX, PLUS_DI and MINUS_DI on each run of valid bars (k = 0 at its first bar, which only
 * serves as the previous bar), window n, smoothing s:
 * - k = 1 … n − 1: Wilder's sums of TR, PDM and MDM add the bar (from 0); no output;
 * - k ≥ n: each sum S becomes (S − S/n) + x; plus_di = 100·(SP / STR), minus_di = 100·(SM / STR),
 *   both 0 where STR is zero to TA-Lib (|STR| < 1e-14); DX = 100·(|minus − plus| / (minus + plus)),
 *   undefined where STR or minus + plus is zero to TA-Lib;
 * - k = n … n + s − 1: the defined DX add up (from 0); at k = n + s − 1 the adx is that sum / s;
 * - k ≥ n + s: adx = ((adx·(s − 1)) + DX) / s where DX is defined, else it stays.
 * With s = n this is TA-Lib's ADX (first value at bar 2n − 1); TA-Lib has one period, so for s ≠ n
 * the DX average takes the smoothing as its period (first value at bar n + s − 1).
 */
function referenceAdxTalib(tr: Float64Array, pdm: Float64Array, mdm: Float64Array, n: number, s: number) {
  const T = tr.length;
  const adx = nanSeries(T),
    plus = nanSeries(T),
    minus = nanSeries(T);
  const first = n + s - 1;
  let k = 0,
    A = 0,
    P = 0,
    M = 0,
    Y = 0;
  for (let t = 0; t < T; t++) {
    const x = tr[t]!;
    if (x !== x) {
      k = 0;
      continue;
    }
    if (k === 0) {
      A = P = M = Y = 0;
      k = 1;
      continue;
    }
    if (k < n) {
      A = A + x;
      P = P + pdm[t]!;
      M = M + mdm[t]!;
      k++;
      continue;
    }
    A = A - A / n + x;
    P = P - P / n + pdm[t]!;
    M = M - M / n + mdm[t]!;
    let pd = 0,
      md = 0,
      dx = NaN;
    if (!talibZero(A)) {
      md = 100 * (M / A);
      pd = 100 * (P / A);
      const sum = md + pd;
      if (!talibZero(sum)) dx = 100 * (Math.abs(md - pd) / sum);
    }
    plus[t] = pd;
    minus[t] = md;
    if (k < first) {
      if (dx === dx) Y = Y + dx;
    } else if (k === first) {
      if (dx === dx) Y = Y + dx;
      Y = Y / s;
      adx[t] = Y;
    } else {
      if (dx === dx) Y = (Y * (s - 1) + dx) / s;
      adx[t] = Y;
    }
    if (k <= first) k++;
  }
  return { adx: narrow(adx), plus_di: narrow(plus), minus_di: narrow(minus) };
}

/**
 * Aroon: up = ((n − AGE_MAX(high)) / n)·100, down = ((n − AGE_MIN(low)) / n)·100, osc = up − down.
 * The talib profile (TA-Lib's AROON, AROONOSC) takes the ages over n + 1 bars and, with f = 100 / n,
 * up = f·(n − AGE_MAX), down = f·(n − AGE_MIN), osc = f·(AGE_MIN − AGE_MAX).
 */
export function referenceAroon(inp: SeriesInputs, p: Params, profile?: Profile) {
  const n = p.window!;
  const talib = profile === 'talib';
  const w = talib ? n + 1 : n;
  const sh = ageMax(widen(inp.high!), w),
    sl = ageMin(widen(inp.low!), w);
  const T = sh.length;
  const up = new Float64Array(T),
    down = new Float64Array(T),
    osc = new Float64Array(T);
  const f = 100 / n;
  for (let t = 0; t < T; t++) {
    if (talib) {
      up[t] = f * (n - sh[t]!);
      down[t] = f * (n - sl[t]!);
      osc[t] = f * (sl[t]! - sh[t]!);
      continue;
    }
    up[t] = ((n - sh[t]!) / n) * 100;
    down[t] = ((n - sl[t]!) / n) * 100;
    osc[t] = up[t]! - down[t]!;
  }
  return { aroon_osc: narrow(osc), aroon_up: narrow(up), aroon_down: narrow(down) };
}

/** Chandelier exit: ROLLMAX(high) − (mult·ATR), ROLLMIN(low) + (mult·ATR). */
export function referenceChandelierExit(inp: SeriesInputs, p: Params) {
  const n = p.window!,
    mult = p.mult!;
  const high = widen(inp.high!),
    low = widen(inp.low!);
  const A = atr(high, low, widen(inp.close!), n);
  const hh = rollmax(high, n),
    ll = rollmin(low, n);
  const T = A.length;
  const long = new Float64Array(T),
    short = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    long[t] = hh[t]! - mult * A[t]!;
    short[t] = ll[t]! + mult * A[t]!;
  }
  return { chandelier_long: narrow(long), chandelier_short: narrow(short) };
}

/** Donchian channel: ROLLMAX(high), ROLLMIN(low) and their midpoint. */
export function referenceDonchian(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const up = rollmax(widen(inp.high!), n),
    lo = rollmin(widen(inp.low!), n);
  const mid = new Float64Array(up.length);
  for (let t = 0; t < mid.length; t++) mid[t] = (up[t]! + lo[t]!) * 0.5;
  return { donchian_mid: narrow(mid), donchian_upper: narrow(up), donchian_lower: narrow(lo) };
}

/** Mid-range of the last w bars: (ROLLMAX(high, w) + ROLLMIN(low, w))·0.5. */
function midRange(high: Float64Array, low: Float64Array, w: number): Float64Array {
  const hh = rollmax(high, w),
    ll = rollmin(low, w);
  const out = new Float64Array(hh.length);
  for (let t = 0; t < out.length; t++) out[t] = (hh[t]! + ll[t]!) * 0.5;
  return out;
}

/** Ichimoku with the spans shifted back (span[t] = value at t + d: look-ahead) and lagging[t] = close[t − d]. */
export function referenceIchimoku(inp: SeriesInputs, p: Params) {
  const d = p.displacement!;
  const high = widen(inp.high!),
    low = widen(inp.low!);
  const conversion = midRange(high, low, p.conversion_window!);
  const base = midRange(high, low, p.base_window!);
  const b0 = midRange(high, low, p.span_b_window!);
  const a0 = new Float64Array(conversion.length);
  for (let t = 0; t < a0.length; t++) a0[t] = (conversion[t]! + base[t]!) * 0.5;
  return {
    span_a: narrow(shift(a0, -d)),
    conversion: narrow(conversion),
    base: narrow(base),
    span_b: narrow(shift(b0, -d)),
    lagging: narrow(shift(widen(inp.close!), d)),
  };
}

/** Keltner: middle = EMA(TP, n), bands at ± mult·ATR(n). */
export function referenceKeltner(inp: SeriesInputs, p: Params) {
  const n = p.window!,
    mult = p.mult!;
  const high = widen(inp.high!),
    low = widen(inp.low!),
    close = widen(inp.close!);
  const middle = ema(typicalPrice(high, low, close), n);
  const A = atr(high, low, close, n);
  const upper = new Float64Array(middle.length),
    lower = new Float64Array(middle.length);
  for (let t = 0; t < middle.length; t++) {
    upper[t] = middle[t]! + mult * A[t]!;
    lower[t] = middle[t]! - mult * A[t]!;
  }
  return { middle: narrow(middle), upper: narrow(upper), lower: narrow(lower) };
}

/** Least-squares slope over the last n values (x = 0 … n−1, oldest first), direct sums per window. */
export function referenceLinregSlope(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const x = widen(inp.src!);
  const T = x.length;
  const N = n;
  const SX = N * (N - 1) * 0.5;
  const SXX = ((N - 1) * N * (2 * N - 1)) / 6;
  const DEN = N * SXX - SX * SX;
  const out = nanSeries(T);
  for (let t = n - 1; t < T; t++) {
    let SY = 0.0,
      SXY = 0.0,
      bad = false;
    for (let k = 0; k < n; k++) {
      const y = x[t - n + 1 + k]!;
      if (y !== y) {
        bad = true;
        break;
      }
      SY = SY + y;
      SXY = SXY + k * y;
    }
    if (!bad) out[t] = (N * SXY - SX * SY) / DEN;
  }
  return { slope: narrow(out) };
}

/**
 * Parabolic SAR: starts long at the first valid bar of a run, clamps against the previous bar only.
 * The talib profile follows TA-Lib's SAR / SAREXT (referencePsarTalib).
 */
export function referencePsar(inp: SeriesInputs, p: Params, profile?: Profile) {
  if (profile === 'talib') return referencePsarTalib(inp, p);
  const start = p.accel_start!,
    step = p.accel_step!,
    amax = p.accel_max!;
  const high = widen(inp.high!),
    low = widen(inp.low!);
  const T = high.length;
  const psar = nanSeries(T),
    dirOut = nanSeries(T);
  let dir = 0,
    sar = NaN,
    ep = NaN,
    af = start,
    ph = NaN,
    pl = NaN;
  for (let t = 0; t < T; t++) {
    const h = high[t]!,
      l = low[t]!;
    if (h !== h || l !== l) {
      dir = 0;
      af = start;
      sar = ep = ph = pl = NaN;
      continue;
    }
    if (dir === 0) {
      dir = 1;
      sar = l;
      ep = h;
      af = start;
    } else {
      sar = sar + af * (ep - sar);
      if (dir > 0) {
        if (sar > pl) sar = pl;
        if (l < sar) {
          dir = -1;
          sar = ep;
          ep = l;
          af = start;
        } else if (h > ep) {
          ep = h;
          const a = af + step;
          af = amax < a ? amax : a;
        }
      } else {
        if (sar < ph) sar = ph;
        if (h > sar) {
          dir = 1;
          sar = ep;
          ep = h;
          af = start;
        } else if (l < ep) {
          ep = l;
          const a = af + step;
          af = amax < a ? amax : a;
        }
      }
    }
    psar[t] = sar;
    dirOut[t] = dir;
    ph = h;
    pl = l;
  }
  return { psar: narrow(psar), psar_dir: narrow(dirOut) };
}

/** x raised to a, then to b, by comparisons (TA-Lib's clamp order). */
const above = (x: number, a: number, b: number): number => {
  const y = x < a ? a : x;
  return y < b ? b : y;
};
/** x lowered to a, then to b, by comparisons. */
const below = (x: number, a: number, b: number): number => {
  const y = x > a ? a : x;
  return y > b ? b : y;
};
/** a, at most m (by comparison, as the kernels). */
const capped = (a: number, m: number): number => (m < a ? m : a);

/**
 * TA-Lib's SAR / SAREXT (start value 0, no offset) on each run of valid bars. The run's first bar has
 * no output. The second picks the direction: short iff the low fell (previous low − low > 0) by more
 * than the high rose, else long; the SAR starts at the first bar's low (long) or high (short), the
 * extreme point at the second bar's high (long) or low (short), and that bar's previous bar is itself.
 * Each bar then reverses when it touches the SAR (long: low ≤ sar, short: high ≥ sar), the reversed
 * SAR being the extreme point pushed out of the previous and the current bar's range; it outputs the
 * SAR and computes the next bar's, clamped against the previous and the current bar.
 */
function referencePsarTalib(inp: SeriesInputs, p: Params) {
  const start = p.accel_start!,
    step = p.accel_step!,
    amax = p.accel_max!;
  const high = widen(inp.high!),
    low = widen(inp.low!);
  const T = high.length;
  const psar = nanSeries(T),
    dirOut = nanSeries(T);
  let dir = 0,
    sar = NaN,
    ep = NaN,
    af = start,
    ph = NaN,
    pl = NaN;
  for (let t = 0; t < T; t++) {
    const h = high[t]!,
      l = low[t]!;
    if (h !== h || l !== l) {
      dir = 0;
      ph = pl = NaN;
      continue;
    }
    if (dir === 0) {
      if (ph !== ph) {
        ph = h;
        pl = l;
        continue;
      }
      const up = h - ph,
        dn = pl - l;
      if (dn > 0 && up < dn) {
        dir = -1;
        sar = ph;
        ep = l;
      } else {
        dir = 1;
        sar = pl;
        ep = h;
      }
      af = start;
      ph = h;
      pl = l;
    }
    let v: number;
    if (dir > 0) {
      if (l <= sar) {
        dir = -1;
        sar = above(ep, ph, h);
        v = sar;
        af = start;
        ep = l;
        sar = above(sar + af * (ep - sar), ph, h);
      } else {
        v = sar;
        if (h > ep) {
          ep = h;
          af = capped(af + step, amax);
        }
        sar = below(sar + af * (ep - sar), pl, l);
      }
    } else if (h >= sar) {
      dir = 1;
      sar = below(ep, pl, l);
      v = sar;
      af = start;
      ep = h;
      sar = below(sar + af * (ep - sar), pl, l);
    } else {
      v = sar;
      if (l < ep) {
        ep = l;
        af = capped(af + step, amax);
      }
      sar = above(sar + af * (ep - sar), ph, h);
    }
    psar[t] = v;
    dirOut[t] = dir;
    ph = h;
    pl = l;
  }
  return { psar: narrow(psar), psar_dir: narrow(dirOut) };
}

/** SuperTrend: final bands around MID ± mult·ATR(n); direction flips when the close crosses the active band. */
export function referenceSupertrend(inp: SeriesInputs, p: Params) {
  const n = p.window!,
    mult = p.mult!;
  const high = widen(inp.high!),
    low = widen(inp.low!),
    close = widen(inp.close!);
  const A = atr(high, low, close, n);
  const T = high.length;
  const st = nanSeries(T),
    dirOut = nanSeries(T);
  let dir = 0,
    FU = NaN,
    FL = NaN,
    pc = NaN;
  for (let t = 0; t < T; t++) {
    const h = high[t]!,
      l = low[t]!,
      c = close[t]!,
      a = A[t]!;
    if (h !== h || l !== l || c !== c || a !== a) {
      dir = 0;
      FU = FL = pc = NaN;
      continue;
    }
    const m = (h + l) * 0.5;
    const BU = m + mult * a,
      BL = m - mult * a;
    if (dir === 0) {
      dir = c >= m ? 1 : -1;
      FU = BU;
      FL = BL;
      st[t] = dir > 0 ? FL : FU;
    } else {
      if (BU < FU || pc > FU) FU = BU;
      if (BL > FL || pc < FL) FL = BL;
      if (dir > 0) {
        if (c < FL) {
          dir = -1;
          st[t] = FU;
        } else st[t] = FL;
      } else {
        if (c > FU) {
          dir = 1;
          st[t] = FL;
        } else st[t] = FU;
      }
    }
    pc = c;
    dirOut[t] = dir;
  }
  return { supertrend: narrow(st), supertrend_dir: narrow(dirOut) };
}

/** Vortex: ROLLSUM(|high − low[t−1]|) and ROLLSUM(|low − high[t−1]|) over ROLLSUM(TR), NaN where that is 0. */
export function referenceVortex(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const high = widen(inp.high!),
    low = widen(inp.low!);
  const T = high.length;
  const vmp = nanSeries(T),
    vmm = nanSeries(T);
  for (let t = 1; t < T; t++) {
    vmp[t] = Math.abs(high[t]! - low[t - 1]!);
    vmm[t] = Math.abs(low[t]! - high[t - 1]!);
  }
  const st = rollsum(trueRange(high, low, widen(inp.close!)), n);
  const sp = rollsum(vmp, n),
    sm = rollsum(vmm, n);
  const plus = new Float64Array(T),
    minus = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const s = st[t]!;
    plus[t] = s === 0 ? NaN : sp[t]! / s;
    minus[t] = s === 0 ? NaN : sm[t]! / s;
  }
  return { vi_plus: narrow(plus), vi_minus: narrow(minus) };
}
