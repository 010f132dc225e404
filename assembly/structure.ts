// Kernels of the `structure` group. Signature, chunking and lane layout as in
// ma.ts: lane 0 = variant j, lane 1 = variant j + 1 of one f64x2; blocks of four variants walk a
// time chunk with their state in registers, the rest (all of them in the scalar build) run through a
// scalar tail with the same operations in the same order; state survives in scratch between chunks.
// Series shared by every variant of a call (candle components, TR, the source with its ages) are
// computed once per chunk. Wrapper ids (candle_body, candle_range_atr, pivot_high, ...) run the kernel
// of the id they wrap and materialise only their slot; every output slot is optional (pointer 0).
// Guarded divisions give NaN where the denominator is exactly ±0 (no epsilon).
//
// Resumed calls (docs/kernel-state.md): a call with the frame's resume slot set continues the series
// from bar firstBar(io); a call without it starts the series, its row 0 is bar 0. The state that
// outlives a call is the leading scratch arrays of each kernel (the recursions of the ATR and the
// EMA, zscore's window sums); the NaN and non-zero ages and zscore's source ring are rebuilt from the
// history rows before the call, which each kernel reads only as far back as its longest window.
import {
  CHUNK, IO_CLOSE, IO_HIGH, IO_LOW, IO_OPEN, IO_SRC, cell, firstBar, ioPtr, ldx, outPtr, paramAt, resumed, seedWindowSums, st1, st4,
} from './lanes';
import {
  CANDLE_ATR_A, CANDLE_ATR_ARRAYS, CANDLE_ATR_B, CANDLE_ATR_Y, DIST_ARRAYS, DIST_ATR, DIST_EMA, DIST_EMA_A, DIST_EMA_B, DIST_RMA_A,
  DIST_RMA_B, ZSCORE_ARRAYS, ZSCORE_N, ZSCORE_Q, ZSCORE_S, ZSCORE_W,
} from './scratch';
import { FIN_ZSCORE, NO_NZ, ewma1, ewma2, ringAt, ringSlots, twoWindowSums } from './primitives';
import { trueRangeAt } from './volatility';

/** x / d, NaN where d == ±0. */
@inline function gdiv1(x: f64, d: f64): f64 {
  return d == 0 ? NaN : x / d;
}
@inline function gdiv2(x: v128, d: v128): v128 {
  return v128.bitselect(f64x2.splat(NaN), f64x2.div(x, d), f64x2.eq(d, f64x2.splat(0.0)));
}

/** ATR32: the ATR rounded to float32 (ties to even) and widened back; only the structure ids use it. */
@inline function round32x1(y: f64): f64 {
  return <f64><f32>y;
}
@inline function round32x2(y: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(y));
}

/**
 * Rows by which a call shifts its high, low and close pointers back for trueRangeAt, which takes
 * row 0 for the series' first bar (no previous close): 1 when the call resumes after bar 0, so that
 * the close of the bar before the call (history row −1) enters its first TR; 0 otherwise.
 */
@inline function trShift(io: usize): i32 {
  return resumed(io) && firstBar(io) > 0 ? 1 : 0;
}

// ---------------------------------------------------------------- candle components
// range = high − low, body = |close − open|, upper = high − max(open, close),
// lower = min(open, close) − low; max/min by comparison (open > close ? open : close); every
// component NaN where any of the four prices is NaN. Written to four arrays of CHUNK f64 from `at`.

@inline const C_BODY: i32 = 0;
@inline const C_RANGE: i32 = 1;
@inline const C_UPPER: i32 = 2;
@inline const C_LOWER: i32 = 3;

@inline function candleChunk(io: usize, t0: i32, t1: i32, at: usize): void {
  const po = ioPtr(io, IO_OPEN), ph = ioPtr(io, IO_HIGH), pl = ioPtr(io, IO_LOW), pc = ioPtr(io, IO_CLOSE);
  for (let i = t0; i < t1; i++) {
    const op = ldx(po, i), hi = ldx(ph, i), lo = ldx(pl, i), cl = ldx(pc, i);
    let body: f64 = NaN, range: f64 = NaN, upper: f64 = NaN, lower: f64 = NaN;
    if (op == op && hi == hi && lo == lo && cl == cl) {
      range = hi - lo;
      body = abs(cl - op);
      upper = hi - (op > cl ? op : cl);
      lower = (op < cl ? op : cl) - lo;
    }
    const k = <usize>(i - t0) << 3;
    store<f64>(at + k + ((<usize>C_BODY * CHUNK) << 3), body);
    store<f64>(at + k + ((<usize>C_RANGE * CHUNK) << 3), range);
    store<f64>(at + k + ((<usize>C_UPPER * CHUNK) << 3), upper);
    store<f64>(at + k + ((<usize>C_LOWER * CHUNK) << 3), lower);
  }
}

@inline function comp(at: usize, k: i32, i: i32): f64 {
  return load<f64>(at + ((<usize>k * CHUNK + <usize>i) << 3));
}

// ---------------------------------------------------------------- candle_stats (one variant)
// Slots: body_pct, body, range, upper_wick, lower_wick, upper_wick_pct, lower_wick_pct; the
// fractions are NaN where range == 0. Scalar: no parameters, so no variants to spread across lanes.
// Scratch: 4 × CHUNK f64 of components.

export function candle_stats(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2), o3 = outPtr(io, 3);
  const o4 = outPtr(io, 4), o5 = outPtr(io, 5), o6 = outPtr(io, 6);
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    candleChunk(io, t0, t1, scratch);
    for (let j = 0; j < n; j++) {
      for (let i = t0; i < t1; i++) {
        const off = <usize>j * vStride + <usize>i * tStride;
        const ci = i - t0;
        const body = comp(scratch, C_BODY, ci), range = comp(scratch, C_RANGE, ci);
        const upper = comp(scratch, C_UPPER, ci), lower = comp(scratch, C_LOWER, ci);
        if (o0) st1(o0 + off, gdiv1(body, range));
        if (o1) st1(o1 + off, body);
        if (o2) st1(o2 + off, range);
        if (o3) st1(o3 + off, upper);
        if (o4) st1(o4 + off, lower);
        if (o5) st1(o5 + off, gdiv1(upper, range));
        if (o6) st1(o6 + off, gdiv1(lower, range));
      }
    }
  }
}

// ---------------------------------------------------------------- candle_stats_atr_norm
// Slots: body_atr, range_atr, upper_wick_atr, lower_wick_atr = component / Z, Z = ATR32(atr_window)
// = fl32(RMA(TR, n)) widened; NaN where the component or Z is NaN or Z == ±0. Warm-up 0.
// Components and TR are shared (per chunk); each variant keeps its RMA state.
// Scratch: CANDLE_ATR_ARRAYS arrays of n f64 (a = 1/n, b = 1 − a, y), then 5 × CHUNK f64 (components, TR).
// Resumed: the state is the three arrays (y carried, a and b recomputed); history 1 bar (the close
// before the call enters its first TR).

export function candle_stats_atr_norm(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const sh = trShift(io);
  const ph = ioPtr(io, IO_HIGH) - (<usize>sh << 2), pl = ioPtr(io, IO_LOW) - (<usize>sh << 2), pc = ioPtr(io, IO_CLOSE) - (<usize>sh << 2);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2), o3 = outPtr(io, 3);
  const at = scratch + ((<usize>n * CANDLE_ATR_ARRAYS) << 3);
  const trs = at + ((<usize>4 * CHUNK) << 3);
  const resume = resumed(io);
  for (let j = 0; j < n; j++) {
    const a = 1.0 / paramAt(params, n, 0, j);
    store<f64>(cell(scratch, n, CANDLE_ATR_A, j), a);
    store<f64>(cell(scratch, n, CANDLE_ATR_B, j), 1.0 - a);
    if (!resume) store<f64>(cell(scratch, n, CANDLE_ATR_Y, j), NaN);
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    candleChunk(io, t0, t1, at);
    for (let i = t0; i < t1; i++) store<f64>(trs + (<usize>(i - t0) << 3), trueRangeAt(ph, pl, pc, i + sh));
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 4) {
        const aA = v128.load(cell(scratch, n, CANDLE_ATR_A, j)), aB = v128.load(cell(scratch, n, CANDLE_ATR_A, j + 2));
        const bA = v128.load(cell(scratch, n, CANDLE_ATR_B, j)), bB = v128.load(cell(scratch, n, CANDLE_ATR_B, j + 2));
        let yA = v128.load(cell(scratch, n, CANDLE_ATR_Y, j)), yB = v128.load(cell(scratch, n, CANDLE_ATR_Y, j + 2));
        const base = <usize>j * vStride;
        for (let i = t0; i < t1; i++) {
          const off = base + <usize>i * tStride;
          const ci = i - t0;
          const x = f64x2.splat(load<f64>(trs + (<usize>ci << 3)));
          yA = ewma2(yA, x, aA, bA);
          yB = ewma2(yB, x, aB, bB);
          const zA = round32x2(yA), zB = round32x2(yB);
          if (o0) { const c = f64x2.splat(comp(at, C_BODY, ci)); st4(o0 + off, vStride, gdiv2(c, zA), gdiv2(c, zB)); }
          if (o1) { const c = f64x2.splat(comp(at, C_RANGE, ci)); st4(o1 + off, vStride, gdiv2(c, zA), gdiv2(c, zB)); }
          if (o2) { const c = f64x2.splat(comp(at, C_UPPER, ci)); st4(o2 + off, vStride, gdiv2(c, zA), gdiv2(c, zB)); }
          if (o3) { const c = f64x2.splat(comp(at, C_LOWER, ci)); st4(o3 + off, vStride, gdiv2(c, zA), gdiv2(c, zB)); }
        }
        v128.store(cell(scratch, n, CANDLE_ATR_Y, j), yA); v128.store(cell(scratch, n, CANDLE_ATR_Y, j + 2), yB);
      }
    }
    for (let j = full; j < n; j++) {
      const a = load<f64>(cell(scratch, n, CANDLE_ATR_A, j)), b = load<f64>(cell(scratch, n, CANDLE_ATR_B, j));
      let y = load<f64>(cell(scratch, n, CANDLE_ATR_Y, j));
      const base = <usize>j * vStride;
      for (let i = t0; i < t1; i++) {
        const off = base + <usize>i * tStride;
        const ci = i - t0;
        y = ewma1(y, load<f64>(trs + (<usize>ci << 3)), a, b);
        const z = round32x1(y);
        if (o0) st1(o0 + off, gdiv1(comp(at, C_BODY, ci), z));
        if (o1) st1(o1 + off, gdiv1(comp(at, C_RANGE, ci), z));
        if (o2) st1(o2 + off, gdiv1(comp(at, C_UPPER, ci), z));
        if (o3) st1(o3 + off, gdiv1(comp(at, C_LOWER, ci), z));
      }
      store<f64>(cell(scratch, n, CANDLE_ATR_Y, j), y);
    }
  }
}

// ---------------------------------------------------------------- distance_to_ma_norm
// (src − EMA(src, n)) / ATR32(n), one window for both; NaN where src, E or Z is NaN or Z == ±0.
// Warm-up 0 (0 on the first bar of a run). TR is shared (per chunk); each variant keeps two EWMA states.
// Scratch: DIST_ARRAYS arrays of n f64 (EMA a, b; RMA a, b; E; ATR), then CHUNK f64 of TR.
// Resumed: the state is the six arrays (E and ATR carried, the coefficients recomputed); history 1
// bar (the close before the call enters its first TR).

export function distance_to_ma_norm(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const sh = trShift(io);
  const x = ioPtr(io, IO_SRC);
  const ph = ioPtr(io, IO_HIGH) - (<usize>sh << 2), pl = ioPtr(io, IO_LOW) - (<usize>sh << 2), pc = ioPtr(io, IO_CLOSE) - (<usize>sh << 2);
  const out = outPtr(io, 0);
  const trs = scratch + ((<usize>n * DIST_ARRAYS) << 3);
  const resume = resumed(io);
  for (let j = 0; j < n; j++) {
    const w = paramAt(params, n, 0, j);
    const ae = 2.0 / (w + 1.0), ar = 1.0 / w;
    store<f64>(cell(scratch, n, DIST_EMA_A, j), ae);
    store<f64>(cell(scratch, n, DIST_EMA_B, j), 1.0 - ae);
    store<f64>(cell(scratch, n, DIST_RMA_A, j), ar);
    store<f64>(cell(scratch, n, DIST_RMA_B, j), 1.0 - ar);
    if (!resume) {
      store<f64>(cell(scratch, n, DIST_EMA, j), NaN);
      store<f64>(cell(scratch, n, DIST_ATR, j), NaN);
    }
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    for (let i = t0; i < t1; i++) store<f64>(trs + (<usize>(i - t0) << 3), trueRangeAt(ph, pl, pc, i + sh));
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 4) {
        const aeA = v128.load(cell(scratch, n, DIST_EMA_A, j)), aeB = v128.load(cell(scratch, n, DIST_EMA_A, j + 2));
        const beA = v128.load(cell(scratch, n, DIST_EMA_B, j)), beB = v128.load(cell(scratch, n, DIST_EMA_B, j + 2));
        const arA = v128.load(cell(scratch, n, DIST_RMA_A, j)), arB = v128.load(cell(scratch, n, DIST_RMA_A, j + 2));
        const brA = v128.load(cell(scratch, n, DIST_RMA_B, j)), brB = v128.load(cell(scratch, n, DIST_RMA_B, j + 2));
        let eA = v128.load(cell(scratch, n, DIST_EMA, j)), eB = v128.load(cell(scratch, n, DIST_EMA, j + 2));
        let yA = v128.load(cell(scratch, n, DIST_ATR, j)), yB = v128.load(cell(scratch, n, DIST_ATR, j + 2));
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const xs = f64x2.splat(ldx(x, i));
          const tr = f64x2.splat(load<f64>(trs + (<usize>(i - t0) << 3)));
          eA = ewma2(eA, xs, aeA, beA); eB = ewma2(eB, xs, aeB, beB);
          yA = ewma2(yA, tr, arA, brA); yB = ewma2(yB, tr, arB, brB);
          st4(o, vStride, gdiv2(f64x2.sub(xs, eA), round32x2(yA)), gdiv2(f64x2.sub(xs, eB), round32x2(yB)));
          o += tStride;
        }
        v128.store(cell(scratch, n, DIST_EMA, j), eA); v128.store(cell(scratch, n, DIST_EMA, j + 2), eB);
        v128.store(cell(scratch, n, DIST_ATR, j), yA); v128.store(cell(scratch, n, DIST_ATR, j + 2), yB);
      }
    }
    for (let j = full; j < n; j++) {
      const ae = load<f64>(cell(scratch, n, DIST_EMA_A, j)), be = load<f64>(cell(scratch, n, DIST_EMA_B, j));
      const ar = load<f64>(cell(scratch, n, DIST_RMA_A, j)), br = load<f64>(cell(scratch, n, DIST_RMA_B, j));
      let e = load<f64>(cell(scratch, n, DIST_EMA, j)), y = load<f64>(cell(scratch, n, DIST_ATR, j));
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const xs = ldx(x, i);
        e = ewma1(e, xs, ae, be);
        y = ewma1(y, load<f64>(trs + (<usize>(i - t0) << 3)), ar, br);
        st1(o, gdiv1(xs - e, round32x1(y)));
        o += tStride;
      }
      store<f64>(cell(scratch, n, DIST_EMA, j), e); store<f64>(cell(scratch, n, DIST_ATR, j), y);
    }
  }
}

// ---------------------------------------------------------------- zscore
// μ = ROLLMEAN(src, n), V = ROLLVAR(src, n); zscore = (src − μ) / sqrt(V), NaN where V == 0 (flat
// window), V < 0 (sqrt) or the window holds a NaN; warm-up n − 1. The source is shared: once per
// chunk it goes into a ring (NaN as +0.0) with its ages (primitives.ts, shared-series ROLLVAR), so a
// lane keeps only S and Q. The ring's value is src[t] itself wherever the output is valid (a NaN
// source bar makes the window invalid). The bar loop over the variants is twoWindowSums (primitives.ts,
// FIN_ZSCORE): S and Q from the one ring, both reset by the non-zero age, V without ROLLVAR's clamp.
// Scratch: ZSCORE_ARRAYS arrays of n f64 (S, Q, n, n as i32), the source ring, then 2 × CHUNK f64 of ages (NaN,
// non-zero). The integer windows are stored, not converted in the loop: V8 would sink the conversion
// into the time loop, and its cvtsi2sd merges a register the loop writes last, chaining the steps.
// Resumed: the state is S and Q (the window is rewritten from the params); the ring is indexed by the
// bar index and refilled, with the ages, from the H = min(bar, largest window) history rows before
// the call, which hold every outgoing term and every bar the ages look at. A call without history
// (H = 0) sizes its ring as before; with history the ring takes ringSlots(t + H) slots, which the
// registry's scratch size (ringSlots(t + 2000)) covers.

export function zscore(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const x = ioPtr(io, IO_SRC);
  const out = outPtr(io, 0);
  const resume = resumed(io);
  const g0 = resume ? firstBar(io) : 0;
  let H = 0;
  if (resume) {
    let wmax = 0;
    for (let j = 0; j < n; j++) wmax = max(wmax, <i32>paramAt(params, n, 0, j));
    H = min(g0, wmax);
  }
  const R = ringSlots(t + H), mask = R - 1;
  const xR = scratch + ((<usize>n * ZSCORE_ARRAYS) << 3);
  const ageNaN = xR + (<usize>R << 3), ageNZ = ageNaN + (<usize>CHUNK << 3);
  if (resume) {
    for (let j = 0; j < n; j++) {
      const win = paramAt(params, n, 0, j);
      store<f64>(cell(scratch, n, ZSCORE_N, j), win);
      store<i32>(cell(scratch, n, ZSCORE_W, j), <i32>win);
    }
  } else {
    seedWindowSums(scratch, n, params, ZSCORE_S, ZSCORE_Q, ZSCORE_N, ZSCORE_W);
  }
  // Ages count from row 0 of the call. Before the history the last NaN is at row −H − 1: bar −1 when
  // the history reaches bar 0, else more than the largest window back, which no window reaches.
  let lastNaN = -H - 1, lastNZ = NO_NZ;
  for (let i = -H; i < 0; i++) {
    const v = ldx(x, i);
    let vz = v;
    if (v != v) { lastNaN = i; vz = 0.0; } else if (v != 0) lastNZ = i;
    store<f64>(ringAt(xR, mask, g0 + i), vz);
  }
  // twoWindowSums takes bar indices (the leaving rule t >= n, the ring slots): the chunk is passed as
  // bars g0 + t0 … g0 + t1 − 1 with the output pointer moved back by g0 rows, so its rows land at t0.
  const outBar = out - <usize>g0 * tStride;
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    for (let i = t0; i < t1; i++) {
      const v = ldx(x, i);
      let vz = v;
      if (v != v) { lastNaN = i; vz = 0.0; } else if (v != 0) lastNZ = i;
      store<f64>(ringAt(xR, mask, g0 + i), vz);
      const at = <usize>(i - t0) << 3;
      store<f64>(ageNaN + at, <f64>(i - lastNaN));
      store<f64>(ageNZ + at, <f64>(i - lastNZ));
    }
    twoWindowSums(scratch, n, ZSCORE_S, ZSCORE_Q, ZSCORE_N, ZSCORE_W, xR, xR, mask, ageNaN, ageNZ, ageNZ, outBar, g0 + t0, g0 + t1, tStride, vStride, FIN_ZSCORE);
  }
}

// ---------------------------------------------------------------- percent_rank
// For t >= n − 1 with a NaN-free window: C = #{window values <= src[t]} (current bar included),
// percent_rank = (C / n)·100; NaN otherwise. Warm-up n − 1. Scalar per variant in both builds: the
// count is a scan of the window (no lane-across-variants recursion to vectorise). In the SIMD build
// the scan compares four float32 inputs at a time (f32x4.le); the comparison of float32 values is
// the comparison of their exact binary64 widenings, and C is an integer, so both builds count alike.
// Scratch: CHUNK f64 of the source's NaN age (bars since the last NaN, shared by every variant).
// Resumed: no state. The windows and the NaN age read the H = min(bar, largest window − 1) history
// rows before the call.

@inline function countLE(x: usize, s: i32, t: i32, v: f32): i32 {
  let c = 0;
  let j = s;
  if (ASC_FEATURE_SIMD) {
    const vv = f32x4.splat(v);
    let acc = i32x4.splat(0);
    for (; j + 4 <= t + 1; j += 4) acc = i32x4.sub(acc, f32x4.le(v128.load(x + (<usize>j << 2)), vv));
    c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  }
  for (; j <= t; j++) if (load<f32>(x + (<usize>j << 2)) <= v) c++;
  return c;
}

export function percent_rank(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const x = ioPtr(io, IO_SRC);
  const out = outPtr(io, 0);
  let H = 0;
  if (resumed(io)) {
    let wmax = 1;
    for (let j = 0; j < n; j++) wmax = max(wmax, <i32>paramAt(params, n, 0, j));
    H = min(firstBar(io), wmax - 1);
  }
  // The NaN age counts from row 0 of the call. Before the history the last NaN is at row −H − 1: bar
  // −1 when the history reaches bar 0, else further back than any window reaches.
  let lastNaN = -H - 1;
  for (let i = -H; i < 0; i++) {
    const v = ldx(x, i);
    if (v != v) lastNaN = i;
  }
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    for (let i = t0; i < t1; i++) {
      const v = ldx(x, i);
      if (v != v) lastNaN = i;
      store<f64>(scratch + (<usize>(i - t0) << 3), <f64>(i - lastNaN));
    }
    for (let j = 0; j < n; j++) {
      const nf = paramAt(params, n, 0, j);
      const w = <i32>nf;
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        let r: f64 = NaN;
        if (load<f64>(scratch + (<usize>(i - t0) << 3)) >= nf) {
          r = (<f64>countLE(x, i - w + 1, i, load<f32>(x + (<usize>i << 2))) / nf) * 100.0;
        }
        st1(o, r);
        o += tStride;
      }
    }
  }
}

// ---------------------------------------------------------------- pivots
// Slots: pivot_high, pivot_low. On bar t: centre c = t − right, window [c − left, t]; the value at c
// where the window is NaN-free and every other value is strictly below (high) / above (low) it, NaN
// otherwise (sparse output, warm-up left + right). Scalar per variant in both builds: each bar is a
// scan of its window that stops at the first disqualifying value (nearest the centre first); the
// comparisons are on float32 inputs, which order exactly as their binary64 widenings.
// Scratch: 2 × CHUNK f64 of the NaN ages of high and low (shared by every variant).
// Resumed: no state. The output of bar t is final on bar t (the confirmation bar) and reads bars
// t − left − right … t only: the windows and the NaN ages read the H = min(bar, largest left + right)
// history rows before the call.

@inline function isPivot(x: usize, s: i32, c: i32, t: i32, high: bool): bool {
  const v = load<f32>(x + (<usize>c << 2));
  for (let j = c + 1; j <= t; j++) {
    const u = load<f32>(x + (<usize>j << 2));
    if (high ? u >= v : u <= v) return false;
  }
  for (let j = c - 1; j >= s; j--) {
    const u = load<f32>(x + (<usize>j << 2));
    if (high ? u >= v : u <= v) return false;
  }
  return true;
}

export function pivots(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const ph = ioPtr(io, IO_HIGH), pl = ioPtr(io, IO_LOW);
  const oH = outPtr(io, 0), oL = outPtr(io, 1);
  const ageH = scratch, ageL = scratch + (<usize>CHUNK << 3);
  let H = 0;
  if (resumed(io)) {
    let wmax = 0;
    for (let j = 0; j < n; j++) wmax = max(wmax, <i32>paramAt(params, n, 0, j) + <i32>paramAt(params, n, 1, j));
    H = min(firstBar(io), wmax);
  }
  // The NaN ages count from row 0 of the call. Before the history the last NaN is at row −H − 1: bar
  // −1 when the history reaches bar 0, else further back than any window reaches.
  let lastH = -H - 1, lastL = -H - 1;
  for (let i = -H; i < 0; i++) {
    if (ldx(ph, i) != ldx(ph, i)) lastH = i;
    if (ldx(pl, i) != ldx(pl, i)) lastL = i;
  }
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    for (let i = t0; i < t1; i++) {
      const h = ldx(ph, i), l = ldx(pl, i);
      if (h != h) lastH = i;
      if (l != l) lastL = i;
      const at = <usize>(i - t0) << 3;
      store<f64>(ageH + at, <f64>(i - lastH));
      store<f64>(ageL + at, <f64>(i - lastL));
    }
    for (let j = 0; j < n; j++) {
      const left = <i32>paramAt(params, n, 0, j), right = <i32>paramAt(params, n, 1, j);
      const span = <f64>(left + right + 1);   // bars in [c − left, t]; age >= span also means c − left >= 0
      const base = <usize>j * vStride;
      for (let i = t0; i < t1; i++) {
        const off = base + <usize>i * tStride;
        const at = <usize>(i - t0) << 3;
        const c = i - right, s = c - left;
        if (oH) st1(oH + off, load<f64>(ageH + at) >= span && isPivot(ph, s, c, i, true) ? ldx(ph, c) : NaN);
        if (oL) st1(oL + off, load<f64>(ageL + at) >= span && isPivot(pl, s, c, i, false) ? ldx(pl, c) : NaN);
      }
    }
  }
}
