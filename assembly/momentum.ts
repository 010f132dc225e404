// Kernels of the `momentum` group. Signature, chunking and lane layout as in ma.ts:
// lane 0 = variant j, lane 1 = variant j + 1 of one f64x2; the SIMD build runs blocks of variants
// along a time chunk, the variants left over (all of them in the scalar build) run through a scalar
// tail with the same operations in the same order; per-variant state survives in scratch between
// chunks, so chunking never changes a bit. Outputs are narrowed to float32 with the canonical NaN.
// Every division whose denominator can be zero is guarded: NaN where it is exactly ±0 (no epsilon).
//
// Kernels over rolling extremes run one variant at a time in both builds (scalar per variant): fisher,
// stoch and williams_r read the extremes of high / low from two tables shared by all variants
// (primitives.ts, two reads per variant and bar, branch-free); stoch_rsi takes the extremes of each
// variant's own RSI series with a monotone deque per variant, a per-lane structure with a
// data-dependent number of steps. cci runs its per-window sums for four consecutive bars at once
// in the SIMD build (one bar per lane: each lane sums its own window in the spec's order, nothing is
// reassociated), one bar at a time in the scalar tail.
//
// Every kernel resumes (docs/kernel-state.md): a call with the frame's resume slot set continues the
// state the previous call left in the leading scratch bytes. Rules on the bar index use the bar within
// the whole series (firstBar + i; a call that does not resume starts at bar 0), and a resumed call
// reads only the history rows its registry `resume` declares before its first row.
import {
  CANON_NAN, CHUNK, IO_CLOSE, IO_HIGH, IO_LOW, IO_SRC, back, cell, claimRows, firstBar, gather2, geMask, ioPtr, ldx, narrow4, outPtr, paramAt, resumed, span, st1, st4,
  st8, stNaN4, stNaN8, storeLanes, talibProfile,
} from './lanes';
import {
  DQ_MAX, DQ_MIN, blend2, dqReset, emaTalib2, emaTalibStep, dqStateAt, dqStep, dqValue, ewma1, ewma2, f64RingAt, i32RingAt, ringSlots, rollsumStep1,
  rollsumTalibStep1, xtBytes, xtFill, xtLevels, xtOpen, xtQuery,
} from './primitives';
import { lnShared } from './mathlog';
import {
  FISHER_ARRAYS, FISHER_PREV, MACD_ARRAYS, MACD_FAST, MACD_FAST_A, MACD_FAST_B, MACD_K, MACD_SIGNAL, MACD_SIGNAL_A, MACD_SIGNAL_B, MACD_SLOW, MACD_SLOW_A,
  MACD_SLOW_B, RSI_A, RSI_B, RSI_C, RSI_G, RSI_L, STOCH_ARRAYS, STOCH_DSUM, STOCH_KSUM, STOCH_RING_SLOTS, TRIX_A, TRIX_ARRAYS, TRIX_B, TRIX_E1, TRIX_E2,
  TRIX_E3, TRIX_K, TRIX_SIGNAL, TRIX_SIGNAL_A, TRIX_SIGNAL_B,
} from './scratch';

/** The largest value of integer parameter p over the call's variants. */
@inline function maxParam(params: usize, n: i32, p: i32): i32 {
  let m = 1;
  for (let j = 0; j < n; j++) m = max(m, <i32>paramAt(params, n, p, j));
  return m;
}

// ---------------------------------------------------------------- cci
// Per bar t >= n − 1, over TP[t−n+1 … t] oldest first: S = ΣTP, μ = S / n, MD = (Σ|TP − μ|) / n,
// cci = (TP[t] − μ) / (0.015·MD), NaN where that is ±0 (0 in the talib profile, as TA-Lib writes).
// A NaN TP makes S, μ and the result NaN.
// TP = ((high + low) + close) / 3 is computed once per call. Scratch: T f64 of TP, and in a resumed
// call the TP of the window − 1 history rows before them: no state. Bars are indexed within the
// whole series (tp, the inputs and out are the addresses bar 0 would have).
// SIMD: four consecutive bars per step (two f64x2, lane = bar); the scalar tail does one bar.

@inline function cci1(tp: usize, i: i32, w: i32, nf: f64, zd: f64): f64 {
  const p0 = tp + (<usize>(i - w + 1) << 3);
  let S = 0.0;
  for (let k = 0; k < w; k++) S = S + load<f64>(p0 + (<usize>k << 3));
  const mu = S / nf;
  let D = 0.0;
  for (let k = 0; k < w; k++) D = D + abs(load<f64>(p0 + (<usize>k << 3)) - mu);
  const den = 0.015 * (D / nf);
  return den == 0 ? zd : (load<f64>(tp + (<usize>i << 3)) - mu) / den;
}

export function cci(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const g0 = resumed(io) ? firstBar(io) : 0;
  const sh = <usize>g0 << 2;
  const h = ioPtr(io, IO_HIGH) - sh, l = ioPtr(io, IO_LOW) - sh, c = ioPtr(io, IO_CLOSE) - sh;
  const out = outPtr(io, 0) - <usize>g0 * tStride;
  const zd: f64 = talibProfile(io) ? 0.0 : NaN;   // the output where the mean deviation is zero
  const s = max(0, g0 - (maxParam(params, n, 0) - 1));   // the first bar any window of the call reaches
  const tp = scratch - (<usize>s << 3);
  const tEnd = g0 + t;
  for (let i = s; i < tEnd; i++) store<f64>(tp + (<usize>i << 3), (ldx(h, i) + ldx(l, i) + ldx(c, i)) / 3.0);
  for (let t0 = g0, step = span(t, vStride); t0 < tEnd; t0 += step) {
    const t1 = min(tEnd, t0 + step);
    for (let j = 0; j < n; j++) {
      const nf = paramAt(params, n, 0, j);
      const w = <i32>nf;
      const base = out + <usize>j * vStride;
      let i = t0;
      const first = min(t1, max(t0, w - 1));
      for (; i < first; i++) store<u32>(base + <usize>i * tStride, CANON_NAN);
      if (ASC_FEATURE_SIMD) {
        const nv = f64x2.splat(nf), zero = f64x2.splat(0.0), k015 = f64x2.splat(0.015), nan = f64x2.splat(zd);
        for (; i + 4 <= t1; i += 4) {
          const p0 = tp + (<usize>(i - w + 1) << 3);
          let SA = zero, SB = zero;
          for (let k = 0; k < w; k++) {
            const p = p0 + (<usize>k << 3);
            SA = f64x2.add(SA, v128.load(p));
            SB = f64x2.add(SB, v128.load(p, 16));
          }
          const muA = f64x2.div(SA, nv), muB = f64x2.div(SB, nv);
          let DA = zero, DB = zero;
          for (let k = 0; k < w; k++) {
            const p = p0 + (<usize>k << 3);
            DA = f64x2.add(DA, f64x2.abs(f64x2.sub(v128.load(p), muA)));
            DB = f64x2.add(DB, f64x2.abs(f64x2.sub(v128.load(p, 16), muB)));
          }
          const denA = f64x2.mul(k015, f64x2.div(DA, nv)), denB = f64x2.mul(k015, f64x2.div(DB, nv));
          const pc = tp + (<usize>i << 3);
          const rA = v128.bitselect(nan, f64x2.div(f64x2.sub(v128.load(pc), muA), denA), f64x2.eq(denA, zero));
          const rB = v128.bitselect(nan, f64x2.div(f64x2.sub(v128.load(pc, 16), muB), denB), f64x2.eq(denB, zero));
          const o = base + <usize>i * tStride;
          st1(o, f64x2.extract_lane(rA, 0));
          st1(o + tStride, f64x2.extract_lane(rA, 1));
          st1(o + (tStride << 1), f64x2.extract_lane(rB, 0));
          st1(o + tStride * 3, f64x2.extract_lane(rB, 1));
        }
      }
      for (; i < t1; i++) st1(base + <usize>i * tStride, cci1(tp, i, w, nf, zd));
    }
  }
}

// ---------------------------------------------------------------- fisher
// P = (high + low)·0.5, HH = ROLLMAX(high, n), LL = ROLLMIN(low, n); NaN where P, HH or LL is NaN or
// HH == LL, else v = (2·((P − LL) / (HH − LL))) − 1 clamped to ±0.999, fisher = 0.5·ln((1 + v) / (1 − v))
// with the shared log (mathlog.ts); trigger = the previous bar's fisher. Scalar per variant over the
// shared extreme tables. Slots [fisher, trigger], each optional.
// Scratch: FISHER_ARRAYS arrays of n f64 (previous fisher: the whole state), 2 extreme tables, which
// a resumed call rebuilds from the window − 1 history rows (bars indexed within the whole series).

export function fisher(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const resume = resumed(io);
  const g0 = resume ? firstBar(io) : 0;
  const sh = <usize>g0 << 2;
  const h = ioPtr(io, IO_HIGH) - sh, l = ioPtr(io, IO_LOW) - sh;   // the addresses bar 0 would have
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1);
  const wmax = maxParam(params, n, 0);
  // the tables hold the call's bars, and in a resumed call the window − 1 bars before them too
  const held = resume ? min(t, CHUNK) + wmax - 1 : t;
  const slots = ringSlots(held);
  const tabH = scratch + ((<usize>n * FISHER_ARRAYS) << 3), tabL = tabH + xtBytes(held, false);
  const K = xtLevels(wmax);
  xtOpen(tabH, slots, K, h, g0, wmax - 1, DQ_MAX, resume);
  xtOpen(tabL, slots, K, l, g0, wmax - 1, DQ_MIN, resume);
  if (!resume) for (let j = 0; j < n; j++) store<f64>(cell(scratch, n, FISHER_PREV, j), NaN);
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    const b0 = g0 + t0, b1 = g0 + t1;
    xtFill(tabH, slots, K, h, b0, b1, DQ_MAX);
    xtFill(tabL, slots, K, l, b0, b1, DQ_MIN);
    for (let j = 0; j < n; j++) {
      const w = <i32>paramAt(params, n, 0, j);
      const k = xtLevels(w), pk = 1 << k;
      let prev = load<f64>(cell(scratch, n, FISHER_PREV, j));
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = b0; i < b1; i++) {
        const HH = xtQuery(tabH, slots, k, pk, i, b0, w, DQ_MAX);
        const LL = xtQuery(tabL, slots, k, pk, i, b0, w, DQ_MIN);
        const P = (ldx(h, i) + ldx(l, i)) * 0.5;
        const den = HH - LL;
        let f: f64 = NaN;
        if (!(P != P || HH != HH || LL != LL || den == 0)) {
          let v = 2.0 * ((P - LL) / den) - 1.0;
          if (v > 0.999) v = 0.999;
          else if (v < -0.999) v = -0.999;
          f = 0.5 * lnShared((1.0 + v) / (1.0 - v));
        }
        if (o0) st1(o0 + off, f);
        if (o1) st1(o1 + off, prev);
        prev = f;
        off += tStride;
      }
      store<f64>(cell(scratch, n, FISHER_PREV, j), prev);
    }
  }
}

// ---------------------------------------------------------------- macd, ppo
// F = EMA(src, fast), S = EMA(src, slow); line = F − S (macd) or 100·((F − S) / S), NaN where S == 0
// (ppo); signal = EMA(line, signal_window), hist = line − signal. Every stage is an EWMA step
// per lane: NaN resets, the next valid value seeds. Slots [line, signal, hist], each optional.
// Scratch: MACD_ARRAYS arrays of n f64 (scratch.ts): aF, bF, aS, bS, aG, bG, F, S, signal. F, S and
// signal are the whole state: a resumed call keeps them and reads no history.

@inline function ppo2(F: v128, S: v128): v128 {
  const r = f64x2.mul(f64x2.splat(100.0), f64x2.div(f64x2.sub(F, S), S));
  return v128.bitselect(f64x2.splat(NaN), r, f64x2.eq(S, f64x2.splat(0.0)));
}

/**
 * The distinct EMA windows of a call (fast and slow alike: EMA(src, w) is the same series whichever
 * line uses it), sorted, into the i32 table `win` (2n entries at most); each variant's index of its
 * fast and of its slow window into `idx` (2n i32: fast of j at j, slow at n + j). Returns how many.
 */
function macdWindows(params: usize, n: i32, win: usize, idx: usize): i32 {
  let d = 0;
  for (let p = 0; p < 2; p++) {
    for (let j = 0; j < n; j++) {
      const w = <i32>paramAt(params, n, p, j);
      // insertion into the sorted table (a call has few distinct windows)
      let k = 0;
      while (k < d && load<i32>(win + (<usize>k << 2)) < w) k++;
      if (k < d && load<i32>(win + (<usize>k << 2)) == w) continue;
      for (let m = d; m > k; m--) store<i32>(win + (<usize>m << 2), load<i32>(win + (<usize>(m - 1) << 2)));
      store<i32>(win + (<usize>k << 2), w);
      d++;
    }
  }
  for (let p = 0; p < 2; p++) {
    for (let j = 0; j < n; j++) {
      const w = <i32>paramAt(params, n, p, j);
      let k = 0;
      while (load<i32>(win + (<usize>k << 2)) != w) k++;
      store<i32>(idx + (<usize>(p * n + j) << 2), k);
    }
  }
  return d;
}

/** macdFamily's block of variants j … j + 3 over the chunk's bars t0 … t1 − 1 (SIMD build); `every`: all three outputs are present. */
@inline function macdBlock(o0: usize, o1: usize, o2: usize, j: i32, t0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, idx: usize, table: usize,
  dp: i32, scratch: usize, pct: bool, every: bool): void {
  const f0 = <usize>load<i32>(idx + (<usize>j << 2)) << 3, f1 = <usize>load<i32>(idx + (<usize>(j + 1) << 2)) << 3;
  const f2 = <usize>load<i32>(idx + (<usize>(j + 2) << 2)) << 3, f3 = <usize>load<i32>(idx + (<usize>(j + 3) << 2)) << 3;
  const s0 = <usize>load<i32>(idx + (<usize>(n + j) << 2)) << 3, s1 = <usize>load<i32>(idx + (<usize>(n + j + 1) << 2)) << 3;
  const s2 = <usize>load<i32>(idx + (<usize>(n + j + 2) << 2)) << 3, s3 = <usize>load<i32>(idx + (<usize>(n + j + 3) << 2)) << 3;
  const aG0 = v128.load(cell(scratch, n, MACD_SIGNAL_A, j)), aG1 = v128.load(cell(scratch, n, MACD_SIGNAL_A, j + 2));
  const bG0 = v128.load(cell(scratch, n, MACD_SIGNAL_B, j)), bG1 = v128.load(cell(scratch, n, MACD_SIGNAL_B, j + 2));
  let Y0 = v128.load(cell(scratch, n, MACD_SIGNAL, j)), Y1 = v128.load(cell(scratch, n, MACD_SIGNAL, j + 2));
  let off = <usize>j * vStride + <usize>t0 * tStride;
  let row = table;
  for (let i = t0; i < t1; i++) {
    const F0 = f64x2.replace_lane(f64x2.splat(load<f64>(row + f0)), 1, load<f64>(row + f1));
    const F1 = f64x2.replace_lane(f64x2.splat(load<f64>(row + f2)), 1, load<f64>(row + f3));
    const S0 = f64x2.replace_lane(f64x2.splat(load<f64>(row + s0)), 1, load<f64>(row + s1));
    const S1 = f64x2.replace_lane(f64x2.splat(load<f64>(row + s2)), 1, load<f64>(row + s3));
    const m0 = pct ? ppo2(F0, S0) : f64x2.sub(F0, S0);
    const m1 = pct ? ppo2(F1, S1) : f64x2.sub(F1, S1);
    Y0 = ewma2(Y0, m0, aG0, bG0); Y1 = ewma2(Y1, m1, aG1, bG1);
    if (every || o0) st4(o0 + off, vStride, m0, m1);
    if (every || o1) st4(o1 + off, vStride, Y0, Y1);
    if (every || o2) st4(o2 + off, vStride, f64x2.sub(m0, Y0), f64x2.sub(m1, Y1));
    off += tStride;
    row += <usize>dp << 3;
  }
  v128.store(cell(scratch, n, MACD_SIGNAL, j), Y0); v128.store(cell(scratch, n, MACD_SIGNAL, j + 2), Y1);
}

/**
 * macd and ppo. The call's distinct EMA windows run once per bar (a grid of 9 fast and 11 slow
 * windows steps 20 EMAs a bar, not 198), into a table of CHUNK bars; then each variant reads its
 * fast and slow values from it, forms the line and steps its own signal EMA. Every EMA is the same
 * EWMA step as before (the same operations on the same values), so no bit changes.
 * Scratch (scratch.ts MACD_*): arrays 0–1 hold the distinct windows' a (2n cells), arrays 2–3 their
 * b, 4 and 5 the signal's a and b, 6–7 the distinct EMA values, 8 the signal values: the state (a
 * resumed call keeps it and reads no history). Then the window and index tables and the chunk table.
 */
@inline function macdFamily(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize, pct: bool): void {
  const x = ioPtr(io, IO_SRC);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2);
  const resume = resumed(io);
  if (talibProfile(io)) {
    macdTalib(x, o0, o1, o2, t, n, params, tStride, vStride, scratch, resume, pct);
    return;
  }
  const aE = cell(scratch, n, MACD_FAST_A, 0), bE = cell(scratch, n, MACD_SLOW_A, 0), E = cell(scratch, n, MACD_FAST, 0);
  const win = cell(scratch, n, MACD_ARRAYS, 0), idx = win + (<usize>(2 * n) << 2);
  const table = idx + (<usize>(2 * n) << 2);
  const d = macdWindows(params, n, win, idx);
  // the table holds CHUNK bars of every distinct EMA, a bar's values side by side (dp of them, even)
  const dp = (d + 1) & ~1;
  for (let k = 0; k < d; k++) {
    const a = 2.0 / (<f64>load<i32>(win + (<usize>k << 2)) + 1.0);
    store<f64>(aE + (<usize>k << 3), a);
    store<f64>(bE + (<usize>k << 3), 1.0 - a);
    if (!resume) store<f64>(E + (<usize>k << 3), NaN);
  }
  if (dp > d) {
    // the padding lane runs the last window again; never read
    store<f64>(aE + (<usize>d << 3), load<f64>(aE + (<usize>(d - 1) << 3)));
    store<f64>(bE + (<usize>d << 3), load<f64>(bE + (<usize>(d - 1) << 3)));
    store<f64>(E + (<usize>d << 3), load<f64>(E + (<usize>(d - 1) << 3)));
  }
  for (let j = 0; j < n; j++) {
    const a = 2.0 / (paramAt(params, n, 2, j) + 1.0);
    store<f64>(cell(scratch, n, MACD_SIGNAL_A, j), a);
    store<f64>(cell(scratch, n, MACD_SIGNAL_B, j), 1.0 - a);
    if (!resume) store<f64>(cell(scratch, n, MACD_SIGNAL, j), NaN);
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    claimRows(o0, t0, t1, tStride, vStride, n);
    claimRows(o1, t0, t1, tStride, vStride, n);
    claimRows(o2, t0, t1, tStride, vStride, n);
    // the distinct EMAs over the chunk, two windows at a time (one in the scalar build)
    if (ASC_FEATURE_SIMD) {
      for (let k = 0; k < dp; k += 2) {
        const a = v128.load(aE + (<usize>k << 3)), b = v128.load(bE + (<usize>k << 3));
        let y = v128.load(E + (<usize>k << 3));
        let row = table + (<usize>k << 3);
        for (let i = t0; i < t1; i++) {
          y = ewma2(y, f64x2.splat(ldx(x, i)), a, b);
          v128.store(row, y);
          row += <usize>dp << 3;
        }
        v128.store(E + (<usize>k << 3), y);
      }
    } else {
      for (let k = 0; k < d; k++) {
        const a = load<f64>(aE + (<usize>k << 3)), b = load<f64>(bE + (<usize>k << 3));
        let y = load<f64>(E + (<usize>k << 3));
        let row = table + (<usize>k << 3);
        for (let i = t0; i < t1; i++) {
          y = ewma1(y, ldx(x, i), a, b);
          store<f64>(row, y);
          row += <usize>dp << 3;
        }
        store<f64>(E + (<usize>k << 3), y);
      }
    }
    if (ASC_FEATURE_SIMD) {
      // TIME_MAJOR with every output, the common call, gets a copy of the block loop in which the
      // stride and the output tests are constants (V8 keeps neither out of the loop by itself)
      const every = vStride == 4 && o0 != 0 && o1 != 0 && o2 != 0;
      for (let j = 0; j < full; j += 4) {
        if (every) macdBlock(o0, o1, o2, j, t0, t1, tStride, 4, n, idx, table, dp, scratch, pct, true);
        else macdBlock(o0, o1, o2, j, t0, t1, tStride, vStride, n, idx, table, dp, scratch, pct, false);
      }
    }
    for (let j = full; j < n; j++) {
      const fo = <usize>load<i32>(idx + (<usize>j << 2)) << 3, so = <usize>load<i32>(idx + (<usize>(n + j) << 2)) << 3;
      const aG = load<f64>(cell(scratch, n, MACD_SIGNAL_A, j)), bG = load<f64>(cell(scratch, n, MACD_SIGNAL_B, j));
      let Y = load<f64>(cell(scratch, n, MACD_SIGNAL, j));
      let off = <usize>j * vStride + <usize>t0 * tStride;
      let row = table;
      for (let i = t0; i < t1; i++) {
        const F = load<f64>(row + fo), S = load<f64>(row + so);
        const m = pct ? (S == 0 ? NaN : 100.0 * ((F - S) / S)) : F - S;
        Y = ewma1(Y, m, aG, bG);
        if (o0) st1(o0 + off, m);
        if (o1) st1(o1 + off, Y);
        if (o2) st1(o2 + off, m - Y);
        off += tStride;
        row += <usize>dp << 3;
      }
      store<f64>(cell(scratch, n, MACD_SIGNAL, j), Y);
    }
  }
}

/**
 * macd and ppo in the talib profile, TA-Lib's on every segment of valid values (a NaN bar gives NaN
 * and restarts the segment). The smaller window is the fast one (TA-Lib swaps them), every EMA is
 * TA-Lib's (emaTalibStep: SMA seed). macd: the fast EMA starts s − f valid bars into the segment, so
 * its seed window ends on the slow one's, and every output starts with the signal, s − 1 + g − 1
 * bars in. ppo: both EMAs start with the segment, the line is ((F − S) / S)·100 (0 where
 * |S| < 1e-14, TA-Lib's TA_IS_ZERO) from bar s − 1, the signal and hist g − 1 bars later. State per
 * variant (cells j): F, S, the signal (each its running sum while it seeds) and the count of valid
 * bars MACD_K (in the unused coefficient array), which stops at s + g − 1 (every EMA past its
 * seed). The SIMD build runs a block of four variants at that cap in registers until a NaN bar
 * (macdTalibSteady4); every other stretch runs one variant at a time (macdTalibRun), with the same
 * operations in the same order.
 */
function macdTalib(x: usize, o0: usize, o1: usize, o2: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize, resume: bool, pct: bool): void {
  if (!resume) {
    for (let j = 0; j < n; j++) {
      store<f64>(cell(scratch, n, MACD_FAST, j), 0.0);
      store<f64>(cell(scratch, n, MACD_SLOW, j), 0.0);
      store<f64>(cell(scratch, n, MACD_SIGNAL, j), 0.0);
      store<f64>(cell(scratch, n, MACD_K, j), 0.0);
    }
  }
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    claimRows(o0, t0, t1, tStride, vStride, n);
    claimRows(o1, t0, t1, tStride, vStride, n);
    claimRows(o2, t0, t1, tStride, vStride, n);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= n; j += 4) {
        let steady = true;
        for (let l = j; l < j + 4; l++) {
          const w0 = <i32>paramAt(params, n, 0, l), w1 = <i32>paramAt(params, n, 1, l), g = <i32>paramAt(params, n, 2, l);
          steady = steady && load<f64>(cell(scratch, n, MACD_K, l)) > <f64>(max(w0, w1) + g - 2);
        }
        let i = t0;
        if (steady) i = macdTalibSteady4(x, o0, o1, o2, t0, t1, tStride, vStride, n, j, params, scratch, pct);
        if (i < t1) for (let l = j; l < j + 4; l++) macdTalibRun(x, o0, o1, o2, i, t1, tStride, vStride, n, l, params, scratch, pct);
      }
    }
    for (; j < n; j++) macdTalibRun(x, o0, o1, o2, t0, t1, tStride, vStride, n, j, params, scratch, pct);
  }
}

/** TA-Lib's smoothing factors 2/(w+1) of windows w0 and w1, as one f64x2. */
@inline function talibK2(w0: f64, w1: f64): v128 {
  return f64x2.replace_lane(f64x2.splat(2.0 / (w0 + 1.0)), 1, 2.0 / (w1 + 1.0));
}

/** talibK2 of window parameter p of variants j and j + 1; of macd's fast (or, `slow`, its slow) window for p < 2. */
@inline function kPair(params: usize, n: i32, p: i32, j: i32, slow: bool): v128 {
  let w0 = paramAt(params, n, p, j), w1 = paramAt(params, n, p, j + 1);
  if (p < 2) {
    // the fast and slow windows in order, as macdTalibRun takes them
    const u0 = paramAt(params, n, 1 - p, j), u1 = paramAt(params, n, 1 - p, j + 1);
    w0 = slow ? max(w0, u0) : min(w0, u0);
    w1 = slow ? max(w1, u1) : min(w1, u1);
  }
  return talibK2(w0, w1);
}

/** The talib macd / ppo of variant j over bars i0 … t1 − 1, state in scratch; both builds. */
@inline function macdTalibRun(x: usize, o0: usize, o1: usize, o2: usize, i0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, j: i32, params: usize, scratch: usize, pct: bool): void {
  const w0 = <i32>paramAt(params, n, 0, j), w1 = <i32>paramAt(params, n, 1, j), g = <i32>paramAt(params, n, 2, j);
  const f = min(w0, w1), s = max(w0, w1);
  const ff = <f64>f, sf = <f64>s, gf = <f64>g;
  const kF = 2.0 / (ff + 1.0), kS = 2.0 / (sf + 1.0), kG = 2.0 / (gf + 1.0);
  const fastFrom = pct ? 0 : s - f;
  const last = s + g - 2;
  const lineFrom = pct ? s - 1 : last;
  let F = load<f64>(cell(scratch, n, MACD_FAST, j)), S = load<f64>(cell(scratch, n, MACD_SLOW, j)), G = load<f64>(cell(scratch, n, MACD_SIGNAL, j));
  let c = <i32>load<f64>(cell(scratch, n, MACD_K, j));
  let off = <usize>j * vStride + <usize>i0 * tStride;
  for (let i = i0; i < t1; i++) {
    const v = ldx(x, i);
    let m = NaN, y = NaN, h = NaN;
    if (v != v) {
      c = 0;
    } else {
      S = emaTalibStep(S, v, c, s, sf, kS);
      if (c >= fastFrom) F = emaTalibStep(F, v, c - fastFrom, f, ff, kF);
      if (c >= s - 1) {
        const l = pct ? (-1e-14 < S && S < 1e-14 ? 0.0 : ((F - S) / S) * 100.0) : F - S;
        G = emaTalibStep(G, l, c - (s - 1), g, gf, kG);
        if (c >= lineFrom) m = l;
        if (c >= last) {
          y = G;
          h = l - G;
        }
      }
      if (c <= last) c++;
    }
    if (o0) st1(o0 + off, m);
    if (o1) st1(o1 + off, y);
    if (o2) st1(o2 + off, h);
    off += tStride;
  }
  store<f64>(cell(scratch, n, MACD_FAST, j), F); store<f64>(cell(scratch, n, MACD_SLOW, j), S); store<f64>(cell(scratch, n, MACD_SIGNAL, j), G);
  store<f64>(cell(scratch, n, MACD_K, j), <f64>c);
}

/**
 * The talib macd / ppo of the block of four variants j … j + 3, every EMA past its seed, from bar
 * i0 until t1 or the first NaN bar, which it leaves to macdTalibRun; returns that bar. The steps and
 * outputs of macdTalibRun, two lanes per f64x2. SIMD build.
 */
@inline function macdTalibSteady4(x: usize, o0: usize, o1: usize, o2: usize, i0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, j: i32, params: usize, scratch: usize, pct: bool): i32 {
  const kF0 = kPair(params, n, 0, j, false), kF1 = kPair(params, n, 0, j + 2, false);
  const kS0 = kPair(params, n, 0, j, true), kS1 = kPair(params, n, 0, j + 2, true);
  const kG0 = kPair(params, n, 2, j, false), kG1 = kPair(params, n, 2, j + 2, false);
  const zero = f64x2.splat(0.0), hundred = f64x2.splat(100.0), lo = f64x2.splat(-1e-14), hi = f64x2.splat(1e-14);
  let F0 = v128.load(cell(scratch, n, MACD_FAST, j)), F1 = v128.load(cell(scratch, n, MACD_FAST, j + 2));
  let S0 = v128.load(cell(scratch, n, MACD_SLOW, j)), S1 = v128.load(cell(scratch, n, MACD_SLOW, j + 2));
  let G0 = v128.load(cell(scratch, n, MACD_SIGNAL, j)), G1 = v128.load(cell(scratch, n, MACD_SIGNAL, j + 2));
  let off = <usize>j * vStride + <usize>i0 * tStride;
  let i = i0;
  for (; i < t1; i++) {
    const xs = ldx(x, i);
    if (xs != xs) break;
    const xv = f64x2.splat(xs);
    S0 = emaTalib2(S0, xv, kS0);
    S1 = emaTalib2(S1, xv, kS1);
    F0 = emaTalib2(F0, xv, kF0);
    F1 = emaTalib2(F1, xv, kF1);
    let l0 = f64x2.sub(F0, S0), l1 = f64x2.sub(F1, S1);
    if (pct) {
      l0 = v128.bitselect(zero, f64x2.mul(f64x2.div(l0, S0), hundred), v128.and(f64x2.lt(lo, S0), f64x2.lt(S0, hi)));
      l1 = v128.bitselect(zero, f64x2.mul(f64x2.div(l1, S1), hundred), v128.and(f64x2.lt(lo, S1), f64x2.lt(S1, hi)));
    }
    G0 = emaTalib2(G0, l0, kG0);
    G1 = emaTalib2(G1, l1, kG1);
    if (o0) st4(o0 + off, vStride, l0, l1);
    if (o1) st4(o1 + off, vStride, G0, G1);
    if (o2) st4(o2 + off, vStride, f64x2.sub(l0, G0), f64x2.sub(l1, G1));
    off += tStride;
  }
  v128.store(cell(scratch, n, MACD_FAST, j), F0); v128.store(cell(scratch, n, MACD_FAST, j + 2), F1);
  v128.store(cell(scratch, n, MACD_SLOW, j), S0); v128.store(cell(scratch, n, MACD_SLOW, j + 2), S1);
  v128.store(cell(scratch, n, MACD_SIGNAL, j), G0); v128.store(cell(scratch, n, MACD_SIGNAL, j + 2), G1);
  return i;
}

export function macd(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  macdFamily(io, t, n, params, tStride, vStride, scratch, false);
}

export function ppo(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  macdFamily(io, t, n, params, tStride, vStride, scratch, true);
}

// ---------------------------------------------------------------- roc
// roc = 100·((src[t] / src[t − n]) − 1) for t >= n, NaN where src[t − n] == 0. No state: a resumed
// call reads the n bars before its first from the history rows.
// The talib profile writes 0 where src[t − n] == 0 (TA-Lib's ROC) and restarts after a hole as TA-Lib
// on a fresh segment: NaN unless the n + 1 bars t − n … t are all valid (the last NaN bar is tracked
// per variant, found again at each chunk's start among the n bars before it); all variants run
// through the scalar tail.
// SIMD: blocks of four variants gather src[t − n] per lane. No scratch.

export function roc(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // Bars are indexed within the whole series: x and out are the addresses bar 0 would have, so
  // src[t − n] is read where t >= n (the n history rows of a resumed call) and never before bar 0.
  const g0 = resumed(io) ? firstBar(io) : 0;
  const x = ioPtr(io, IO_SRC) - (<usize>g0 << 2);
  const out = outPtr(io, 0) - <usize>g0 * tStride;
  const talib = talibProfile(io);
  const zd: f64 = talib ? 0.0 : NaN;   // the output where src[t − n] == 0
  let full = 0;
  if (ASC_FEATURE_SIMD && !talib) full = n & ~3;
  for (let t0 = g0, step = span(t, vStride), tEnd = g0 + t; t0 < tEnd; t0 += step) {
    const t1 = min(tEnd, t0 + step);
    if (ASC_FEATURE_SIMD) {
      const zero = f64x2.splat(0.0), one = f64x2.splat(1.0), hundred = f64x2.splat(100.0), nan = f64x2.splat(NaN), zv = f64x2.splat(zd);
      for (let j = 0; j < full; j += 4) {
        const nfA = f64x2.replace_lane(f64x2.splat(paramAt(params, n, 0, j)), 1, paramAt(params, n, 0, j + 1));
        const nfB = f64x2.replace_lane(f64x2.splat(paramAt(params, n, 0, j + 2)), 1, paramAt(params, n, 0, j + 3));
        const w0 = <i32>f64x2.extract_lane(nfA, 0), w1 = <i32>f64x2.extract_lane(nfA, 1);
        const w2 = <i32>f64x2.extract_lane(nfB, 0), w3 = <i32>f64x2.extract_lane(nfB, 1);
        let off = <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const xv = f64x2.splat(ldx(x, i));
          const uA = gather2(back(x, i, w0), back(x, i, w1)), uB = gather2(back(x, i, w2), back(x, i, w3));
          const rA = f64x2.mul(hundred, f64x2.sub(f64x2.div(xv, uA), one));
          const rB = f64x2.mul(hundred, f64x2.sub(f64x2.div(xv, uB), one));
          const qA = v128.bitselect(rA, zv, f64x2.ne(uA, zero)), qB = v128.bitselect(rB, zv, f64x2.ne(uB, zero));
          st4(out + off, vStride, v128.bitselect(qA, nan, geMask(i, nfA)), v128.bitselect(qB, nan, geMask(i, nfB)));
          off += tStride;
        }
      }
    }
    for (let j = full; j < n; j++) {
      const w = <i32>paramAt(params, n, 0, j);
      let off = <usize>j * vStride + <usize>t0 * tStride;
      let last = -1;   // talib: the last NaN bar among the w bars before t0 and those since
      if (talib) for (let i = max(0, t0 - w); i < t0; i++) if (ldx(x, i) != ldx(x, i)) last = i;
      for (let i = t0; i < t1; i++) {
        let r: f64 = NaN;
        if (talib && ldx(x, i) != ldx(x, i)) last = i;
        if (i >= w && i - w > last) {
          const b = ldx(x, i - w);
          r = b == 0 ? zd : 100.0 * (ldx(x, i) / b - 1.0);
        }
        st1(out + off, r);
        off += tStride;
      }
    }
  }
}

// ---------------------------------------------------------------- rsi
// Wilder RSI (α = 1/n) as the spec's state machine. Every variant of a call reads one source, so the
// machine's state is one fact for all lanes: the previous price p is src[t − 1], and G / L are
// seeded at t iff src[t − 1] and src[t − 2] are valid. A NaN bar or the first bar of a run outputs NaN;
// otherwise the change d gives g, q (shared), G = g or (α·g) + ((1 − α)·G) and L alike per lane, and
// rsi = NaN if L == G == 0, 100 if L == 0, else 100 − (100 / (1 + (G / L))).
// SIMD: blocks of eight variants (four f64x2 of G and of L) in registers along the chunk, then a
// block of four; the scalar tail performs the same operations. Scratch: RSI_ARRAYS arrays (scratch.ts)
// of stride n rounded up to 4. G and L are the whole state; p and seeded come from bars t − 1 and
// t − 2, the two history rows of a resumed call.
//
// The talib profile runs TA-Lib's RSI instead, one variant at a time in both builds (rsiTalibStep):
// a segment of valid bars (the series, or the bars after a hole) sums the gains and the losses of
// its first n price changes, G and L are those sums / n and the first rsi is at the segment's bar n;
// then G = ((G·(n − 1)) + g) / n and L alike, and rsi = 100·(G / (G + L)), 0 where |G + L| < 1e-14
// (TA-Lib's TA_IS_ZERO). The count of changes summed so far is state (RSI_C) next to G and L.

@inline function rsi1(G: f64, L: f64): f64 {
  return L == 0 ? (G == 0 ? NaN : 100.0) : 100.0 - 100.0 / (1.0 + G / L);
}

@inline function rsi2(G: v128, L: v128): v128 {
  return rsiOf(f64x2.add(f64x2.splat(1.0), f64x2.div(G, L)), f64x2.splat(100.0));
}

/**
 * rsi2 given R = 1 + G/L. G and L are ≥ 0 or NaN together, so IEEE arithmetic gives rsi1's guarded
 * cases untested: L = 0 < G makes G/L and R +inf, 100/R +0 and the rsi 100; G = L = 0 makes G/L NaN
 * (canonical once narrowed); G = 0 < L gives 100 − 100/1 = 0 as before.
 */
@inline function rsiOf(R: v128, hundred: v128): v128 {
  return f64x2.sub(hundred, f64x2.div(hundred, R));
}

/** The gain and the loss of a change d = src[i] − src[i − 1]: d and 0 for a rise, 0 and −d for a fall. */
@inline function gainOf(d: f64): f64 {
  return d > 0 ? d : 0.0;
}
@inline function lossOf(d: f64): f64 {
  return d < 0 ? -d : 0.0;
}

/**
 * One average of the scalar RSI machine at a valid bar: a·x + b·y once seeded, else it starts at
 * the bar's gain or loss x.
 */
@inline function rsiAvg1(a: f64, x: f64, b: f64, y: f64, seeded: bool): f64 {
  return seeded ? a * x + b * y : x;
}

/** TA-Lib's nearness to zero (TA_IS_ZERO: |v| < 1e-14). */
@inline function taZero(v: f64): bool {
  return v > -1e-14 && v < 1e-14;
}

/**
 * One bar of TA-Lib's RSI machine (talib profile) for the variant of window nf whose G, L and seed
 * count live at pG, pL, pC: price xs after p (NaN for none). A NaN bar or the first bar of a segment
 * empties the state; the first n changes are summed, the n-th divides the sums by n and gives the
 * first rsi; later changes take Wilder's steps. Returns the bar's rsi or NaN.
 */
@inline function rsiTalibStep(pG: usize, pL: usize, pC: usize, xs: f64, p: f64, nf: f64): f64 {
  if (xs != xs || p != p) {
    store<f64>(pG, 0.0); store<f64>(pL, 0.0); store<f64>(pC, 0.0);
    return NaN;
  }
  const d = xs - p;
  const c = load<f64>(pC);
  let G = load<f64>(pG), L = load<f64>(pL);
  if (c < nf) {
    G = G + gainOf(d);
    L = L + lossOf(d);
    store<f64>(pC, c + 1.0);
    if (c + 1.0 < nf) {
      store<f64>(pG, G); store<f64>(pL, L);
      return NaN;
    }
    G = G / nf;
    L = L / nf;
  } else {
    const k = nf - 1.0;
    G = (G * k + gainOf(d)) / nf;
    L = (L * k + lossOf(d)) / nf;
  }
  store<f64>(pG, G); store<f64>(pL, L);
  const sum = G + L;
  return taZero(sum) ? 0.0 : 100.0 * (G / sum);
}

/**
 * rsi in the talib profile: each variant over the call's t bars from bar g0 of the whole series (out
 * holds the call's first row) in time chunks, the state in the scratch arrays at the stride m.
 */
function rsiTalib(x: usize, out: usize, g0: i32, t: i32, n: i32, m: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    const b0 = g0 + t0, b1 = g0 + t1;
    const p0 = b0 > 0 ? ldx(x, b0 - 1) : NaN;
    for (let j = 0; j < n; j++) {
      const nf = paramAt(params, n, 0, j);
      const pG = cell(scratch, m, RSI_G, j), pL = cell(scratch, m, RSI_L, j), pC = cell(scratch, m, RSI_C, j);
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      let p = p0;
      for (let i = b0; i < b1; i++) {
        const xs = ldx(x, i);
        st1(o, rsiTalibStep(pG, pL, pC, xs, p, nf));
        p = xs;
        o += tStride;
      }
    }
  }
}

/** Whether the RSI averages are seeded before bar i (src[i − 1] and src[i − 2] valid). */
@inline function rsiSeeded(x: usize, i: i32): bool {
  if (i < 2) return false;
  const a = ldx(x, i - 1), b = ldx(x, i - 2);
  return a == a && b == b;
}

/**
 * TIME_MAJOR in the SIMD build: bar by bar over all variants in blocks of four, G and L in scratch
 * arrays padded to m = n rounded up to 4 (padding lanes copy the last variant's coefficients and are
 * never stored). Consecutive blocks are independent, so their divisions overlap instead of waiting
 * on one block's chain along time, and each row is written front to back.
 */
function rsiRows(x: usize, out: usize, t: i32, n: i32, m: i32, tStride: usize, scratch: usize, p0: f64, seeded0: bool): void {
  const canon = i32x4.splat(CANON_NAN), one = f64x2.splat(1.0), hundred = f64x2.splat(100.0);
  let p = p0, seeded = seeded0;
  for (let i = 0; i < t; i++) {
    const xs = ldx(x, i);
    const row = out + <usize>i * tStride;
    if (xs != xs || p != p) {
      for (let j = 0; j < m; j += 4) storeLanes(row + (<usize>j << 2), canon, n - j);
      seeded = false;
    } else {
      const d = xs - p;
      const g = f64x2.splat(gainOf(d)), q = f64x2.splat(lossOf(d));
      if (seeded) {
        for (let j = 0; j < m; j += 4) {
          const ca = cell(scratch, m, RSI_A, j), cb = cell(scratch, m, RSI_B, j), cG = cell(scratch, m, RSI_G, j), cL = cell(scratch, m, RSI_L, j);
          const a0 = v128.load(ca), a1 = v128.load(ca, 16), b0 = v128.load(cb), b1 = v128.load(cb, 16);
          const G0 = blend2(a0, g, b0, v128.load(cG)), G1 = blend2(a1, g, b1, v128.load(cG, 16));
          const L0 = blend2(a0, q, b0, v128.load(cL)), L1 = blend2(a1, q, b1, v128.load(cL, 16));
          v128.store(cG, G0); v128.store(cG, G1, 16); v128.store(cL, L0); v128.store(cL, L1, 16);
          const v0 = rsiOf(f64x2.add(one, f64x2.div(G0, L0)), hundred), v1 = rsiOf(f64x2.add(one, f64x2.div(G1, L1)), hundred);
          storeLanes(row + (<usize>j << 2), narrow4(v0, v1), n - j);
        }
      } else {
        const v = narrow4(rsi2(g, q), rsi2(g, q));
        for (let j = 0; j < m; j += 4) {
          const cG = cell(scratch, m, RSI_G, j), cL = cell(scratch, m, RSI_L, j);
          v128.store(cG, g); v128.store(cG, g, 16); v128.store(cL, q); v128.store(cL, q, 16);
          storeLanes(row + (<usize>j << 2), v, n - j);
        }
        seeded = true;
      }
    }
    p = xs;
  }
}

export function rsi(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // Bars are indexed within the whole series; x is the address bar 0 would have (rows before the
  // call's first are the history rows of a resumed call: bars −1 and −2 decide p and seeded).
  const resume = resumed(io);
  const g0 = resume ? firstBar(io) : 0;
  const src = ioPtr(io, IO_SRC), x = src - (<usize>g0 << 2);
  const out = outPtr(io, 0);
  // Every path keeps its arrays at the stride m, so the state has one layout for any call.
  const m = (n + 3) & ~3;
  if (!resume) {
    for (let j = 0; j < m; j++) {
      store<f64>(cell(scratch, m, RSI_G, j), 0.0);
      store<f64>(cell(scratch, m, RSI_L, j), 0.0);
      store<f64>(cell(scratch, m, RSI_C, j), 0.0);
    }
  }
  if (talibProfile(io)) {
    rsiTalib(x, out, g0, t, n, m, params, tStride, vStride, scratch);
    return;
  }
  if (ASC_FEATURE_SIMD && vStride == 4 && n >= 8) {
    for (let j = 0; j < m; j++) {
      const a = 1.0 / paramAt(params, n, 0, min(j, n - 1));
      store<f64>(cell(scratch, m, RSI_A, j), a);
      store<f64>(cell(scratch, m, RSI_B, j), 1.0 - a);
    }
    rsiRows(src, out, t, n, m, tStride, scratch, g0 > 0 ? ldx(x, g0 - 1) : NaN, rsiSeeded(x, g0));
    return;
  }
  for (let j = 0; j < n; j++) {
    const a = 1.0 / paramAt(params, n, 0, j);
    store<f64>(cell(scratch, m, RSI_A, j), a);
    store<f64>(cell(scratch, m, RSI_B, j), 1.0 - a);
    if (!resume) {
      store<f64>(cell(scratch, m, RSI_G, j), NaN);
      store<f64>(cell(scratch, m, RSI_L, j), NaN);
    }
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    const b0 = g0 + t0, b1 = g0 + t1;
    const p0 = b0 > 0 ? ldx(x, b0 - 1) : NaN;
    const seeded0 = rsiSeeded(x, b0);
    if (ASC_FEATURE_SIMD) {
      let j = 0;
      for (; j + 8 <= full; j += 8) {
        rsiBlock(x, out + <usize>j * vStride + <usize>t0 * tStride, b0, b1, tStride, vStride,
          cell(scratch, m, RSI_A, j), cell(scratch, m, RSI_B, j), cell(scratch, m, RSI_G, j), cell(scratch, m, RSI_L, j), p0, seeded0, true);
      }
      for (; j < full; j += 4) {
        rsiBlock(x, out + <usize>j * vStride + <usize>t0 * tStride, b0, b1, tStride, vStride,
          cell(scratch, m, RSI_A, j), cell(scratch, m, RSI_B, j), cell(scratch, m, RSI_G, j), cell(scratch, m, RSI_L, j), p0, seeded0, false);
      }
    }
    for (let j = full; j < n; j++) {
      const a = load<f64>(cell(scratch, m, RSI_A, j)), b = load<f64>(cell(scratch, m, RSI_B, j));
      let G = load<f64>(cell(scratch, m, RSI_G, j)), L = load<f64>(cell(scratch, m, RSI_L, j));
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      let p = p0, seeded = seeded0;
      for (let i = b0; i < b1; i++) {
        const xs = ldx(x, i), d = xs - p;
        const valid = xs == xs && p == p;
        if (valid) { G = rsiAvg1(a, gainOf(d), b, G, seeded); L = rsiAvg1(a, lossOf(d), b, L, seeded); }
        st1(o, valid ? rsi1(G, L) : NaN);
        seeded = valid;
        p = xs;
        o += tStride;
      }
      store<f64>(cell(scratch, m, RSI_G, j), G); store<f64>(cell(scratch, m, RSI_L, j), L);
    }
  }
}

/**
 * rsi over the block of eight (`wide`) or four variants whose coefficients and averages start at
 * ca, cb, cG, cL, bars t0 … t1 − 1, the block's first value of bar t0 at `o`, averages in registers.
 * p0 is the bar before t0, seeded0 whether the averages are seeded at t0.
 */
@inline function rsiBlock(x: usize, o: usize, t0: i32, t1: i32, tStride: usize, vStride: usize, ca: usize, cb: usize, cG: usize, cL: usize,
  p0: f64, seeded0: bool, wide: bool): void {
  const a0 = v128.load(ca), a1 = v128.load(ca, 16), b0 = v128.load(cb), b1 = v128.load(cb, 16);
  let G0 = v128.load(cG), G1 = v128.load(cG, 16), L0 = v128.load(cL), L1 = v128.load(cL, 16);
  let a2 = a0, a3 = a0, b2 = b0, b3 = b0, G2 = G0, G3 = G0, L2 = L0, L3 = L0;
  if (wide) {
    a2 = v128.load(ca, 32); a3 = v128.load(ca, 48); b2 = v128.load(cb, 32); b3 = v128.load(cb, 48);
    G2 = v128.load(cG, 32); G3 = v128.load(cG, 48); L2 = v128.load(cL, 32); L3 = v128.load(cL, 48);
  }
  let p = p0, seeded = seeded0;
  for (let i = t0; i < t1; i++) {
    const xs = ldx(x, i);
    if (xs != xs || p != p) {
      if (wide) stNaN8(o, vStride); else stNaN4(o, vStride);
      seeded = false;
    } else {
      const d = xs - p;
      const g = f64x2.splat(gainOf(d)), q = f64x2.splat(lossOf(d));
      if (seeded) {
        G0 = blend2(a0, g, b0, G0); L0 = blend2(a0, q, b0, L0);
        G1 = blend2(a1, g, b1, G1); L1 = blend2(a1, q, b1, L1);
        if (wide) {
          G2 = blend2(a2, g, b2, G2); L2 = blend2(a2, q, b2, L2);
          G3 = blend2(a3, g, b3, G3); L3 = blend2(a3, q, b3, L3);
        }
      } else {
        G0 = g; G1 = g; G2 = g; G3 = g;
        L0 = q; L1 = q; L2 = q; L3 = q;
        seeded = true;
      }
      if (wide) st8(o, vStride, rsi2(G0, L0), rsi2(G1, L1), rsi2(G2, L2), rsi2(G3, L3));
      else st4(o, vStride, rsi2(G0, L0), rsi2(G1, L1));
    }
    p = xs;
    o += tStride;
  }
  v128.store(cG, G0); v128.store(cG, G1, 16); v128.store(cL, L0); v128.store(cL, L1, 16);
  if (wide) {
    v128.store(cG, G2, 32); v128.store(cG, G3, 48); v128.store(cL, L2, 32); v128.store(cL, L3, 48);
  }
}

// ---------------------------------------------------------------- stoch, stoch_rsi
// HH = ROLLMAX(y, k_window), LL = ROLLMIN(y, k_window) of high / low (stoch) or of R = RSI(src,
// rsi_window) (stoch_rsi); K0 = 100·((x − LL) / (HH − LL)), NaN where HH == LL, x = close or R;
// k = ROLLMEAN(K0, smoothing), d = ROLLMEAN(k, d_window) (ROLLSUM / window, the outgoing terms read back from
// per-variant history rings). Scalar per variant: stoch reads the shared extreme tables of high and
// low; stoch_rsi runs the RSI machine (as rsi) and two deques over its own history of R.
// Slots [k, d], each optional.
// The talib profile follows TA-Lib's STOCH (and, for stoch_rsi, STOCH over TA-Lib's RSI, rsiTalibStep):
// K0 = (x − LL) / ((HH − LL) / 100), 0 where HH == LL, TA-Lib's SMA sums (rollsumTalibStep1), and
// k is NaN wherever d is, so both outputs start at TA-Lib's lookback
// (k_window − 1) + (smoothing − 1) + (d_window − 1) of a segment (+ rsi_window for stoch_rsi).
// Scratch: STOCH_ARRAYS arrays of n f64 (scratch.ts: RSI a, b, G, L, seed count; S, k, z of both rolling sums),
// then for stoch 2 f64 history rings per variant (K0, k) and 2 extreme tables, for stoch_rsi 2 deques
// and 3 f64 history rings per variant (R, K0, k). Rings and deques have STOCH_RING_SLOTS slots
// (> 2000 + 1, the window bound and the bar being added) in every call, with bar indices within the
// whole series: with the arrays they are the whole state. stoch's tables are rebuilt by a resumed call
// from k_window − 1 history rows; stoch_rsi reads two (the RSI machine's p and seeded).

/** K0 of the rise over LL and the range den: 100·(rise / den), or TA-Lib's rise / (den / 100) if `talib`. */
@inline function stochK0(rise: f64, den: f64, talib: bool): f64 {
  return talib ? rise / (den / 100.0) : 100.0 * (rise / den);
}

/** Feeds K0 at bar i to the two rolling means and stores k, d (k only where d is valid if `talib`). */
@inline function stochTail(scratch: usize, n: i32, j: i32, rK0: usize, rk: usize, rmask: i32, i: i32, k0: f64, sm: i32, smf: f64, dw: i32, dwf: f64,
  o0: usize, o1: usize, off: usize, talib: bool): void {
  // the talib profile's sums keep the bar of their last NaN term in the cell of the NaN count
  const u = i >= sm ? load<f64>(rK0 + (<usize>((i - sm) & rmask) << 3)) : 0.0;
  store<f64>(rK0 + (<usize>(i & rmask) << 3), k0);
  const kv = (talib ? rollsumTalibStep1(cell(scratch, n, STOCH_KSUM, j), cell(scratch, n, STOCH_KSUM + 1, j), k0, u, i, sm)
    : rollsumStep1(cell(scratch, n, STOCH_KSUM, j), cell(scratch, n, STOCH_KSUM + 1, j), cell(scratch, n, STOCH_KSUM + 2, j), k0, u, i >= sm, i >= sm - 1)) / smf;
  const u2 = i >= dw ? load<f64>(rk + (<usize>((i - dw) & rmask) << 3)) : 0.0;
  store<f64>(rk + (<usize>(i & rmask) << 3), kv);
  const dv = (talib ? rollsumTalibStep1(cell(scratch, n, STOCH_DSUM, j), cell(scratch, n, STOCH_DSUM + 1, j), kv, u2, i, dw)
    : rollsumStep1(cell(scratch, n, STOCH_DSUM, j), cell(scratch, n, STOCH_DSUM + 1, j), cell(scratch, n, STOCH_DSUM + 2, j), kv, u2, i >= dw, i >= dw - 1)) / dwf;
  if (o0) st1(o0 + off, talib && dv != dv ? NaN : kv);
  if (o1) st1(o1 + off, dv);
}

/**
 * The coefficients of the RSI machine (stoch_rsi) and, unless the call resumes, the empty state (the
 * talib profile's sums start with no NaN term before bar 0: last NaN bar −1).
 */
@inline function stochCells(scratch: usize, n: i32, params: usize, ofRsi: bool, resume: bool, talib: bool): void {
  for (let j = 0; j < n; j++) {
    const a = ofRsi ? 1.0 / paramAt(params, n, 0, j) : 0.0;
    store<f64>(cell(scratch, n, RSI_A, j), a);
    store<f64>(cell(scratch, n, RSI_B, j), 1.0 - a);
    if (resume) continue;
    store<f64>(cell(scratch, n, RSI_G, j), NaN);
    store<f64>(cell(scratch, n, RSI_L, j), NaN);
    store<f64>(cell(scratch, n, RSI_C, j), 0.0);
    for (let k = STOCH_KSUM; k < STOCH_ARRAYS; k++) store<f64>(cell(scratch, n, k, j), 0.0);
    if (talib) {
      store<f64>(cell(scratch, n, STOCH_KSUM + 1, j), -1.0);
      store<f64>(cell(scratch, n, STOCH_DSUM + 1, j), -1.0);
    }
  }
}

export function stoch(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // Bars are indexed within the whole series; h, l, c are the addresses bar 0 would have.
  const resume = resumed(io);
  const g0 = resume ? firstBar(io) : 0;
  const sh = <usize>g0 << 2;
  const h = ioPtr(io, IO_HIGH) - sh, l = ioPtr(io, IO_LOW) - sh, c = ioPtr(io, IO_CLOSE) - sh;
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1);
  const talib = talibProfile(io);
  const zd: f64 = talib ? 0.0 : NaN;   // K0 where HH == LL
  const rmask = STOCH_RING_SLOTS - 1;
  const hist = scratch + ((<usize>n * STOCH_ARRAYS) << 3);
  const wmax = maxParam(params, n, 0);
  // the tables hold the call's bars, and in a resumed call the k_window − 1 bars before them too
  const held = resume ? min(t, CHUNK) + wmax - 1 : t;
  const slots = ringSlots(held);
  const tabH = hist + ((<usize>n * 2 * STOCH_RING_SLOTS) << 3), tabL = tabH + xtBytes(held, false);
  const K = xtLevels(wmax);
  stochCells(scratch, n, params, false, resume, talib);
  xtOpen(tabH, slots, K, h, g0, wmax - 1, DQ_MAX, resume);
  xtOpen(tabL, slots, K, l, g0, wmax - 1, DQ_MIN, resume);
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    const b0 = g0 + t0, b1 = g0 + t1;
    xtFill(tabH, slots, K, h, b0, b1, DQ_MAX);
    xtFill(tabL, slots, K, l, b0, b1, DQ_MIN);
    for (let j = 0; j < n; j++) {
      const kw = <i32>paramAt(params, n, 0, j);
      const k = xtLevels(kw), pk = 1 << k;
      const smf = paramAt(params, n, 1, j), dwf = paramAt(params, n, 2, j);
      const rK0 = f64RingAt(hist, n, STOCH_RING_SLOTS, 0, j), rk = f64RingAt(hist, n, STOCH_RING_SLOTS, 1, j);
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = b0; i < b1; i++) {
        const HH = xtQuery(tabH, slots, k, pk, i, b0, kw, DQ_MAX);
        const LL = xtQuery(tabL, slots, k, pk, i, b0, kw, DQ_MIN);
        const den = HH - LL;
        const k0 = den == 0 ? zd : stochK0(ldx(c, i) - LL, den, talib);
        stochTail(scratch, n, j, rK0, rk, rmask, i, k0, <i32>smf, smf, <i32>dwf, dwf, o0, o1, off, talib);
        off += tStride;
      }
    }
  }
}

export function stoch_rsi(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // Bars are indexed within the whole series; x is the address bar 0 would have.
  const resume = resumed(io);
  const g0 = resume ? firstBar(io) : 0;
  const x = ioPtr(io, IO_SRC) - (<usize>g0 << 2);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1);
  const talib = talibProfile(io);
  const zd: f64 = talib ? 0.0 : NaN;   // K0 where HH == LL
  const slots = STOCH_RING_SLOTS, rmask = slots - 1;
  const dqs = scratch + ((<usize>n * STOCH_ARRAYS) << 3);
  const rings = dqs + ((<usize>n * 2) << 4);
  const hist = rings + ((<usize>n * 2 * <usize>slots) << 2);
  stochCells(scratch, n, params, true, resume, talib);
  if (!resume) {
    for (let j = 0; j < n; j++) {
      dqReset(dqStateAt(dqs, n, 0, j));
      dqReset(dqStateAt(dqs, n, 1, j));
    }
  }
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    const b0 = g0 + t0, b1 = g0 + t1;
    const p0 = b0 > 0 ? ldx(x, b0 - 1) : NaN;
    const seeded0 = rsiSeeded(x, b0);
    for (let j = 0; j < n; j++) {
      // parameters [rsi_window, k_window, smoothing, d_window]
      const nf = paramAt(params, n, 0, j);
      const pG = cell(scratch, n, RSI_G, j), pL = cell(scratch, n, RSI_L, j), pC = cell(scratch, n, RSI_C, j);
      const kw = <i32>paramAt(params, n, 1, j);
      const smf = paramAt(params, n, 2, j), dwf = paramAt(params, n, 3, j);
      const sH = dqStateAt(dqs, n, 0, j), sL = dqStateAt(dqs, n, 1, j);
      const qH = i32RingAt(rings, n, slots, 0, j), qL = i32RingAt(rings, n, slots, 1, j);
      const rR = f64RingAt(hist, n, slots, 0, j), rK0 = f64RingAt(hist, n, slots, 1, j), rk = f64RingAt(hist, n, slots, 2, j);
      const a = load<f64>(cell(scratch, n, RSI_A, j)), b = load<f64>(cell(scratch, n, RSI_B, j));
      let G = load<f64>(cell(scratch, n, RSI_G, j)), L = load<f64>(cell(scratch, n, RSI_L, j));
      let p = p0, seeded = seeded0;
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = b0; i < b1; i++) {
        // the RSI machine of rsi's scalar tail, or TA-Lib's (talib profile)
        const xs = ldx(x, i);
        let r: f64;
        if (talib) r = rsiTalibStep(pG, pL, pC, xs, p, nf);
        else {
          const d = xs - p;
          const valid = xs == xs && p == p;
          if (valid) { G = rsiAvg1(a, gainOf(d), b, G, seeded); L = rsiAvg1(a, lossOf(d), b, L, seeded); }
          r = valid ? rsi1(G, L) : NaN;
          seeded = valid;
        }
        p = xs;
        store<f64>(rR + (<usize>(i & rmask) << 3), r);
        const HH = dqValue(rR, rmask, dqStep(sH, qH, rmask, rR, rmask, i, kw, DQ_MAX));
        const LL = dqValue(rR, rmask, dqStep(sL, qL, rmask, rR, rmask, i, kw, DQ_MIN));
        const den = HH - LL;
        const k0 = den == 0 ? zd : stochK0(r - LL, den, talib);
        stochTail(scratch, n, j, rK0, rk, rmask, i, k0, <i32>smf, smf, <i32>dwf, dwf, o0, o1, off, talib);
        off += tStride;
      }
      if (!talib) { store<f64>(pG, G); store<f64>(pL, L); }
    }
  }
}

// ---------------------------------------------------------------- trix
// E1 = EMA(src, n), E2 = EMA(E1, n), E3 = EMA(E2, n) (EWMA steps per lane);
// trix = 100·((E3[t] / E3[t − 1]) − 1), NaN where E3[t − 1] is NaN or 0; signal = EMA(trix,
// signal_window), hist = trix − signal. Slots [trix, signal, hist], each optional.
// SIMD: blocks of four variants in registers along the chunk. Scratch: TRIX_ARRAYS arrays of n
// f64 (scratch.ts): a, b, aG, bG, E1, E2, E3, signal. E1 … E3 and signal are the whole state (E3 is
// also the previous bar's E3): a resumed call keeps them and reads no history.

/**
 * trix in the talib profile, TA-Lib's on every segment of valid values (a NaN bar gives NaN and
 * restarts the segment): three TA-Lib EMAs (emaTalibStep, each stage on the one before from its
 * seed, E3's first value 3·(w − 1) valid bars in), then TA-Lib's ROC of E3, ((E3 / E3[t − 1]) − 1)·100
 * (0 where E3[t − 1] == 0), from bar 3·(w − 1) + 1; the signal is the same EMA of trix, signal and
 * hist g − 1 bars later. The count of valid bars TRIX_K (in the unused coefficient array) stops at
 * 3·(w − 1) + g + 1 (every stage past its seed); the stages hold their running sums while they seed.
 * The SIMD build runs a block of four variants at that cap in registers until a NaN bar
 * (trixTalibSteady4); every other stretch runs one variant at a time (trixTalibRun), with the same
 * operations in the same order.
 */
function trixTalib(x: usize, o0: usize, o1: usize, o2: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize, resume: bool): void {
  if (!resume) {
    for (let j = 0; j < n; j++) {
      for (let k = TRIX_E1; k < TRIX_ARRAYS; k++) store<f64>(cell(scratch, n, k, j), 0.0);
      store<f64>(cell(scratch, n, TRIX_K, j), 0.0);
    }
  }
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= n; j += 4) {
        let steady = true;
        for (let l = j; l < j + 4; l++) {
          const w = <i32>paramAt(params, n, 0, l), g = <i32>paramAt(params, n, 1, l);
          steady = steady && load<f64>(cell(scratch, n, TRIX_K, l)) > <f64>(3 * (w - 1) + g);
        }
        let i = t0;
        if (steady) i = trixTalibSteady4(x, o0, o1, o2, t0, t1, tStride, vStride, n, j, params, scratch);
        if (i < t1) for (let l = j; l < j + 4; l++) trixTalibRun(x, o0, o1, o2, i, t1, tStride, vStride, n, l, params, scratch);
      }
    }
    for (; j < n; j++) trixTalibRun(x, o0, o1, o2, t0, t1, tStride, vStride, n, j, params, scratch);
  }
}

/** The talib trix of variant j over bars i0 … t1 − 1, state in scratch; both builds. */
@inline function trixTalibRun(x: usize, o0: usize, o1: usize, o2: usize, i0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, j: i32, params: usize, scratch: usize): void {
  const w = <i32>paramAt(params, n, 0, j), g = <i32>paramAt(params, n, 1, j);
  const wf = <f64>w, gf = <f64>g;
  const k = 2.0 / (wf + 1.0), kG = 2.0 / (gf + 1.0);
  const from = 3 * (w - 1) + 1, last = from + g - 1;
  let P = load<f64>(cell(scratch, n, TRIX_E1, j)), Q = load<f64>(cell(scratch, n, TRIX_E2, j));
  let R = load<f64>(cell(scratch, n, TRIX_E3, j)), G = load<f64>(cell(scratch, n, TRIX_SIGNAL, j));
  let c = <i32>load<f64>(cell(scratch, n, TRIX_K, j));
  let off = <usize>j * vStride + <usize>i0 * tStride;
  for (let i = i0; i < t1; i++) {
    const v = ldx(x, i);
    let m = NaN, y = NaN, h = NaN;
    if (v != v) {
      c = 0;
    } else {
      P = emaTalibStep(P, v, c, w, wf, k);
      if (c >= w - 1) {
        Q = emaTalibStep(Q, P, c - (w - 1), w, wf, k);
        if (c >= 2 * (w - 1)) {
          const prev = R;
          R = emaTalibStep(R, Q, c - 2 * (w - 1), w, wf, k);
          if (c >= from) {
            m = prev == 0 ? 0.0 : 100.0 * (R / prev - 1.0);
            G = emaTalibStep(G, m, c - from, g, gf, kG);
            if (c >= last) {
              y = G;
              h = m - G;
            }
          }
        }
      }
      if (c <= last) c++;
    }
    if (o0) st1(o0 + off, m);
    if (o1) st1(o1 + off, y);
    if (o2) st1(o2 + off, h);
    off += tStride;
  }
  store<f64>(cell(scratch, n, TRIX_E1, j), P); store<f64>(cell(scratch, n, TRIX_E2, j), Q);
  store<f64>(cell(scratch, n, TRIX_E3, j), R); store<f64>(cell(scratch, n, TRIX_SIGNAL, j), G);
  store<f64>(cell(scratch, n, TRIX_K, j), <f64>c);
}

/**
 * The talib trix of the block of four variants j … j + 3, every stage past its seed, from bar i0
 * until t1 or the first NaN bar, which it leaves to trixTalibRun; returns that bar. The steps and
 * outputs of trixTalibRun, two lanes per f64x2. SIMD build.
 */
@inline function trixTalibSteady4(x: usize, o0: usize, o1: usize, o2: usize, i0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, j: i32, params: usize, scratch: usize): i32 {
  const k0 = talibK2(paramAt(params, n, 0, j), paramAt(params, n, 0, j + 1)), k1 = talibK2(paramAt(params, n, 0, j + 2), paramAt(params, n, 0, j + 3));
  const kG0 = talibK2(paramAt(params, n, 1, j), paramAt(params, n, 1, j + 1)), kG1 = talibK2(paramAt(params, n, 1, j + 2), paramAt(params, n, 1, j + 3));
  const zero = f64x2.splat(0.0), one = f64x2.splat(1.0), hundred = f64x2.splat(100.0);
  let P0 = v128.load(cell(scratch, n, TRIX_E1, j)), P1 = v128.load(cell(scratch, n, TRIX_E1, j + 2));
  let Q0 = v128.load(cell(scratch, n, TRIX_E2, j)), Q1 = v128.load(cell(scratch, n, TRIX_E2, j + 2));
  let R0 = v128.load(cell(scratch, n, TRIX_E3, j)), R1 = v128.load(cell(scratch, n, TRIX_E3, j + 2));
  let G0 = v128.load(cell(scratch, n, TRIX_SIGNAL, j)), G1 = v128.load(cell(scratch, n, TRIX_SIGNAL, j + 2));
  let off = <usize>j * vStride + <usize>i0 * tStride;
  let i = i0;
  for (; i < t1; i++) {
    const xs = ldx(x, i);
    if (xs != xs) break;
    const xv = f64x2.splat(xs);
    P0 = emaTalib2(P0, xv, k0);
    P1 = emaTalib2(P1, xv, k1);
    Q0 = emaTalib2(Q0, P0, k0);
    Q1 = emaTalib2(Q1, P1, k1);
    const prev0 = R0, prev1 = R1;
    R0 = emaTalib2(R0, Q0, k0);
    R1 = emaTalib2(R1, Q1, k1);
    const m0 = v128.bitselect(zero, f64x2.mul(hundred, f64x2.sub(f64x2.div(R0, prev0), one)), f64x2.eq(prev0, zero));
    const m1 = v128.bitselect(zero, f64x2.mul(hundred, f64x2.sub(f64x2.div(R1, prev1), one)), f64x2.eq(prev1, zero));
    G0 = emaTalib2(G0, m0, kG0);
    G1 = emaTalib2(G1, m1, kG1);
    if (o0) st4(o0 + off, vStride, m0, m1);
    if (o1) st4(o1 + off, vStride, G0, G1);
    if (o2) st4(o2 + off, vStride, f64x2.sub(m0, G0), f64x2.sub(m1, G1));
    off += tStride;
  }
  v128.store(cell(scratch, n, TRIX_E1, j), P0); v128.store(cell(scratch, n, TRIX_E1, j + 2), P1);
  v128.store(cell(scratch, n, TRIX_E2, j), Q0); v128.store(cell(scratch, n, TRIX_E2, j + 2), Q1);
  v128.store(cell(scratch, n, TRIX_E3, j), R0); v128.store(cell(scratch, n, TRIX_E3, j + 2), R1);
  v128.store(cell(scratch, n, TRIX_SIGNAL, j), G0); v128.store(cell(scratch, n, TRIX_SIGNAL, j + 2), G1);
  return i;
}

export function trix(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const x = ioPtr(io, IO_SRC);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2);
  const resume = resumed(io);
  if (talibProfile(io)) {
    trixTalib(x, o0, o1, o2, t, n, params, tStride, vStride, scratch, resume);
    return;
  }
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < 2; p++) {
      const a = 2.0 / (paramAt(params, n, p, j) + 1.0);
      store<f64>(cell(scratch, n, TRIX_A + 2 * p, j), a);
      store<f64>(cell(scratch, n, TRIX_B + 2 * p, j), 1.0 - a);
    }
    if (!resume) for (let k = TRIX_E1; k < TRIX_ARRAYS; k++) store<f64>(cell(scratch, n, k, j), NaN);
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    if (ASC_FEATURE_SIMD) {
      const zero = f64x2.splat(0.0), one = f64x2.splat(1.0), hundred = f64x2.splat(100.0), nan = f64x2.splat(NaN);
      for (let j = 0; j < full; j += 4) {
        const a0 = v128.load(cell(scratch, n, TRIX_A, j)), a1 = v128.load(cell(scratch, n, TRIX_A, j + 2));
        const b0 = v128.load(cell(scratch, n, TRIX_B, j)), b1 = v128.load(cell(scratch, n, TRIX_B, j + 2));
        const aG0 = v128.load(cell(scratch, n, TRIX_SIGNAL_A, j)), aG1 = v128.load(cell(scratch, n, TRIX_SIGNAL_A, j + 2));
        const bG0 = v128.load(cell(scratch, n, TRIX_SIGNAL_B, j)), bG1 = v128.load(cell(scratch, n, TRIX_SIGNAL_B, j + 2));
        let P0 = v128.load(cell(scratch, n, TRIX_E1, j)), P1 = v128.load(cell(scratch, n, TRIX_E1, j + 2));
        let Q0 = v128.load(cell(scratch, n, TRIX_E2, j)), Q1 = v128.load(cell(scratch, n, TRIX_E2, j + 2));
        let R0 = v128.load(cell(scratch, n, TRIX_E3, j)), R1 = v128.load(cell(scratch, n, TRIX_E3, j + 2));
        let Y0 = v128.load(cell(scratch, n, TRIX_SIGNAL, j)), Y1 = v128.load(cell(scratch, n, TRIX_SIGNAL, j + 2));
        let off = <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const xv = f64x2.splat(ldx(x, i));
          P0 = ewma2(P0, xv, a0, b0); P1 = ewma2(P1, xv, a1, b1);
          Q0 = ewma2(Q0, P0, a0, b0); Q1 = ewma2(Q1, P1, a1, b1);
          const prev0 = R0, prev1 = R1;
          R0 = ewma2(R0, Q0, a0, b0); R1 = ewma2(R1, Q1, a1, b1);
          const m0 = v128.bitselect(nan, f64x2.mul(hundred, f64x2.sub(f64x2.div(R0, prev0), one)), f64x2.eq(prev0, zero));
          const m1 = v128.bitselect(nan, f64x2.mul(hundred, f64x2.sub(f64x2.div(R1, prev1), one)), f64x2.eq(prev1, zero));
          Y0 = ewma2(Y0, m0, aG0, bG0); Y1 = ewma2(Y1, m1, aG1, bG1);
          if (o0) st4(o0 + off, vStride, m0, m1);
          if (o1) st4(o1 + off, vStride, Y0, Y1);
          if (o2) st4(o2 + off, vStride, f64x2.sub(m0, Y0), f64x2.sub(m1, Y1));
          off += tStride;
        }
        v128.store(cell(scratch, n, TRIX_E1, j), P0); v128.store(cell(scratch, n, TRIX_E1, j + 2), P1);
        v128.store(cell(scratch, n, TRIX_E2, j), Q0); v128.store(cell(scratch, n, TRIX_E2, j + 2), Q1);
        v128.store(cell(scratch, n, TRIX_E3, j), R0); v128.store(cell(scratch, n, TRIX_E3, j + 2), R1);
        v128.store(cell(scratch, n, TRIX_SIGNAL, j), Y0); v128.store(cell(scratch, n, TRIX_SIGNAL, j + 2), Y1);
      }
    }
    for (let j = full; j < n; j++) {
      const a = load<f64>(cell(scratch, n, TRIX_A, j)), b = load<f64>(cell(scratch, n, TRIX_B, j));
      const aG = load<f64>(cell(scratch, n, TRIX_SIGNAL_A, j)), bG = load<f64>(cell(scratch, n, TRIX_SIGNAL_B, j));
      let P = load<f64>(cell(scratch, n, TRIX_E1, j)), Q = load<f64>(cell(scratch, n, TRIX_E2, j));
      let R = load<f64>(cell(scratch, n, TRIX_E3, j)), Y = load<f64>(cell(scratch, n, TRIX_SIGNAL, j));
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        P = ewma1(P, ldx(x, i), a, b);
        Q = ewma1(Q, P, a, b);
        const prev = R;
        R = ewma1(R, Q, a, b);
        const m = prev == 0 ? NaN : 100.0 * (R / prev - 1.0);
        Y = ewma1(Y, m, aG, bG);
        if (o0) st1(o0 + off, m);
        if (o1) st1(o1 + off, Y);
        if (o2) st1(o2 + off, m - Y);
        off += tStride;
      }
      store<f64>(cell(scratch, n, TRIX_E1, j), P); store<f64>(cell(scratch, n, TRIX_E2, j), Q);
      store<f64>(cell(scratch, n, TRIX_E3, j), R); store<f64>(cell(scratch, n, TRIX_SIGNAL, j), Y);
    }
  }
}

// ---------------------------------------------------------------- williams_r
// HH = ROLLMAX(high, n), LL = ROLLMIN(low, n); williams_r = −100·((HH − close) / (HH − LL)), NaN where
// HH == LL (0 in the talib profile, as TA-Lib writes; −0 where close == HH). Scalar per variant over the shared extreme tables.
// Scratch: 2 extreme tables. No state: a resumed call rebuilds the tables from the window − 1
// history rows (bars indexed within the whole series).

export function williams_r(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const resume = resumed(io);
  const g0 = resume ? firstBar(io) : 0;
  const sh = <usize>g0 << 2;
  const h = ioPtr(io, IO_HIGH) - sh, l = ioPtr(io, IO_LOW) - sh, c = ioPtr(io, IO_CLOSE) - sh;   // the addresses bar 0 would have
  const out = outPtr(io, 0);
  const zd: f64 = talibProfile(io) ? 0.0 : NaN;   // the output where HH == LL
  const wmax = maxParam(params, n, 0);
  const held = resume ? min(t, CHUNK) + wmax - 1 : t;
  const slots = ringSlots(held);
  const tabH = scratch, tabL = tabH + xtBytes(held, false);
  const K = xtLevels(wmax);
  xtOpen(tabH, slots, K, h, g0, wmax - 1, DQ_MAX, resume);
  xtOpen(tabL, slots, K, l, g0, wmax - 1, DQ_MIN, resume);
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    const b0 = g0 + t0, b1 = g0 + t1;
    xtFill(tabH, slots, K, h, b0, b1, DQ_MAX);
    xtFill(tabL, slots, K, l, b0, b1, DQ_MIN);
    for (let j = 0; j < n; j++) {
      const w = <i32>paramAt(params, n, 0, j);
      const k = xtLevels(w), pk = 1 << k;
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = b0; i < b1; i++) {
        const HH = xtQuery(tabH, slots, k, pk, i, b0, w, DQ_MAX);
        const LL = xtQuery(tabL, slots, k, pk, i, b0, w, DQ_MIN);
        const den = HH - LL;
        st1(o, den == 0 ? zd : -100.0 * ((HH - ldx(c, i)) / den));
        o += tStride;
      }
    }
  }
}
