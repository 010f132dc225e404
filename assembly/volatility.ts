// Kernels of the `volatility` group. Signature and chunking as in ma.ts.
import { CHUNK, firstBar, outgoingA, outgoingB, resumed, span, talibProfile, tileStep, IO_CLOSE, IO_HIGH, IO_LOW, IO_SRC, cell, gather2, geMask, ioPtr, ldx, narrow4, narrowFinite, outPtr, paramAt, st1, st2, st4, st4finite, store4 } from './lanes';
import {
  ATR_A, ATR_ARRAYS, ATR_B, ATR_K, ATR_S, ATR_Y, BBANDS_ARRAYS, BBANDS_DIRTY, HV_ANN, HV_ARRAYS, HV_N, HV_VAR, ROLLVAR_K, ROLLVAR_N, ROLLVAR_Q, ROLLVAR_S, ROLLVAR_Z,
} from './scratch';
import { blend2, ewma1, ewma2, rollvarStep1, rollvarStep2 } from './primitives';
import { lnShared } from './mathlog';

/** True range at bar i; the current close is not used, a missing previous close falls back to high − low. */
@inline export function trueRangeAt(h: usize, l: usize, c: usize, i: i32): f64 {
  return trueRangeAtBar(h, l, c, i, i);
}

/**
 * True range at row i, which is bar `bar` of the whole series: as trueRangeAt, with the previous
 * close missing only at bar 0 (a resumed call reads row −1, the bar before its first). With
 * `noFallback` (TA-Lib's TRANGE) a missing previous close gives NaN instead of high − low.
 */
@inline export function trueRangeAtBar(h: usize, l: usize, c: usize, i: i32, bar: i32, noFallback: bool = false): f64 {
  const hi = ldx(h, i), lo = ldx(l, i);
  if (hi != hi || lo != lo) return NaN;
  const r = hi - lo;
  const pc = bar == 0 ? NaN : ldx(c, i - 1);
  if (pc != pc) return noFallback ? NaN : r;
  const a = abs(hi - pc), b = abs(lo - pc);
  let tr = r;
  if (a > tr) tr = a;
  if (b > tr) tr = b;
  return tr;
}

/**
 * The bar index of the call's row 0 for the rules on the bar index: the frame's first bar when the
 * call resumes, else 0. A call that does not resume starts the series at its row 0 with a fresh
 * state, whatever bar that is (the warm start of a time piece is such a call).
 */
@inline function baseBar(io: usize): i32 {
  return resumed(io) ? firstBar(io) : 0;
}

// ---------------------------------------------------------------- tr (one variant)
// No state: a resumed call reads the close of the bar before its first (history 1 bar). The talib
// profile (TA-Lib's TRANGE) gives NaN where the previous close is missing: bar 0, after a hole.

export function tr(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const out = outPtr(io, 0);
  const g0 = baseBar(io), talib = talibProfile(io);
  for (let j = 0; j < n; j++) {
    let o = out + <usize>j * vStride;
    for (let i = 0; i < t; i++) {
      st1(o, trueRangeAtBar(h, l, c, i, g0 + i, talib));
      o += tStride;
    }
  }
}

// ---------------------------------------------------------------- atr: RMA(TR, n)
// Scratch: ATR_ARRAYS arrays of n f64 (a, b, y, and the talib seed's sum and count), then CHUNK f64
// of the chunk's TR, shared by every variant.
// The state is y (a NaN y means the next valid TR seeds it) and the seed's sum and count; a resumed
// call keeps them and reads the close of the bar before its first for its first TR.
// The talib profile (TA-Lib's ATR) reads TA-Lib's TR (NaN at bar 0 and after a hole) and seeds y
// with the mean of n valid TRs in a row (atrTalibChunk), then steps as the default profile does.
// SIMD, default profile: blocks of eight variants (four chains of two lanes, so each bar's
// multiply-add chains overlap instead of one block's latency bounding it: 0.53× the time of blocks
// of four on 46 variants × 1M bars), then the last four, two and one variants in one loop. A tile
// whose TRs are all numbers, entered with every state of a block seeded, steps that block without
// the NaN seeding test and stores without canonicalising NaN (none can arise).

/**
 * The talib profile over the chunk's TRs (rows t0 … t1 − 1), variant by variant: while y is NaN the
 * valid TRs add up into the sum (from 0) and the n-th one sets y = sum / n; a NaN TR outputs NaN
 * and clears y, the sum and the count; a seeded y takes the step a·TR + b·y.
 */
function atrTalibChunk(scratch: usize, n: i32, params: usize, trs: usize, out: usize, t0: i32, t1: i32, tStride: usize, vStride: usize): void {
  for (let j = 0; j < n; j++) {
    const w = paramAt(params, n, 0, j);
    const a = load<f64>(cell(scratch, n, ATR_A, j)), b = load<f64>(cell(scratch, n, ATR_B, j));
    let y = load<f64>(cell(scratch, n, ATR_Y, j)), s = load<f64>(cell(scratch, n, ATR_S, j)), k = load<f64>(cell(scratch, n, ATR_K, j));
    let o = out + <usize>j * vStride + <usize>t0 * tStride;
    for (let i = t0; i < t1; i++) {
      const x = load<f64>(trs + (<usize>(i - t0) << 3));
      if (x != x) {
        y = NaN; s = 0.0; k = 0.0;
      } else if (y == y) {
        y = a * x + b * y;
      } else {
        s += x; k += 1.0;
        if (k == w) y = s / w;
      }
      st1(o, y);
      o += tStride;
    }
    store<f64>(cell(scratch, n, ATR_Y, j), y);
    store<f64>(cell(scratch, n, ATR_S, j), s);
    store<f64>(cell(scratch, n, ATR_K, j), k);
  }
}

export function atr(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const out = outPtr(io, 0);
  const trs = scratch + ((<usize>n * ATR_ARRAYS) << 3);
  const resume = resumed(io), g0 = baseBar(io), talib = talibProfile(io);
  for (let j = 0; j < n; j++) {
    const a = 1.0 / paramAt(params, n, 0, j);
    store<f64>(cell(scratch, n, ATR_A, j), a);
    store<f64>(cell(scratch, n, ATR_B, j), 1.0 - a);
    if (!resume) {
      store<f64>(cell(scratch, n, ATR_Y, j), NaN);
      store<f64>(cell(scratch, n, ATR_S, j), 0.0);
      store<f64>(cell(scratch, n, ATR_K, j), 0.0);
    }
  }
  for (let t0 = 0, step = tileStep(vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    if (talib) {
      for (let i = t0; i < t1; i++) store<f64>(trs + (<usize>(i - t0) << 3), trueRangeAtBar(h, l, c, i, g0 + i, true));
      atrTalibChunk(scratch, n, params, trs, out, t0, t1, tStride, vStride);
      continue;
    }
    let holes = false;
    for (let i = t0; i < t1; i++) {
      const tr = trueRangeAtBar(h, l, c, i, g0 + i);
      holes = holes || tr != tr;
      store<f64>(trs + (<usize>(i - t0) << 3), tr);
    }
    if (ASC_FEATURE_SIMD) {
      const zero2 = f64x2.splat(0.0);
      let j = 0;
      // blocks of eight variants: four independent chains per bar, so a chain's latency (a multiply
      // and an add per bar) overlaps the others' instead of bounding the block
      for (; j + 8 <= n; j += 8) {
        const a0 = v128.load(cell(scratch, n, ATR_A, j)), a1 = v128.load(cell(scratch, n, ATR_A, j + 2));
        const a2 = v128.load(cell(scratch, n, ATR_A, j + 4)), a3 = v128.load(cell(scratch, n, ATR_A, j + 6));
        const b0 = v128.load(cell(scratch, n, ATR_B, j)), b1 = v128.load(cell(scratch, n, ATR_B, j + 2));
        const b2 = v128.load(cell(scratch, n, ATR_B, j + 4)), b3 = v128.load(cell(scratch, n, ATR_B, j + 6));
        let y0 = v128.load(cell(scratch, n, ATR_Y, j)), y1 = v128.load(cell(scratch, n, ATR_Y, j + 2));
        let y2 = v128.load(cell(scratch, n, ATR_Y, j + 4)), y3 = v128.load(cell(scratch, n, ATR_Y, j + 6));
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        const o4 = <usize>4 * vStride;
        if (!holes && !v128.any_true(v128.or(v128.or(f64x2.ne(y0, y0), f64x2.ne(y1, y1)), v128.or(f64x2.ne(y2, y2), f64x2.ne(y3, y3))))) {
          // every state seeded and every true range of the tile a number: ewma2's blend, and no
          // NaN to canonicalise in the stores
          for (let i = t0; i < t1; i++) {
            const x = f64x2.splat(load<f64>(trs + (<usize>(i - t0) << 3)));
            y0 = blend2(a0, x, b0, y0);
            y1 = blend2(a1, x, b1, y1);
            y2 = blend2(a2, x, b2, y2);
            y3 = blend2(a3, x, b3, y3);
            st4finite(o, vStride, y0, y1);
            st4finite(o + o4, vStride, y2, y3);
            o += tStride;
          }
        } else {
          for (let i = t0; i < t1; i++) {
            const x = f64x2.splat(load<f64>(trs + (<usize>(i - t0) << 3)));
            y0 = ewma2(y0, x, a0, b0);
            y1 = ewma2(y1, x, a1, b1);
            y2 = ewma2(y2, x, a2, b2);
            y3 = ewma2(y3, x, a3, b3);
            st4(o, vStride, y0, y1);
            st4(o + o4, vStride, y2, y3);
            o += tStride;
          }
        }
        v128.store(cell(scratch, n, ATR_Y, j), y0); v128.store(cell(scratch, n, ATR_Y, j + 2), y1);
        v128.store(cell(scratch, n, ATR_Y, j + 4), y2); v128.store(cell(scratch, n, ATR_Y, j + 6), y3);
      }
      // the last variants, fewer than eight: a block of four, a pair and a single as there are, in
      // one loop so their chains overlap too
      const j2 = j + 4 <= n ? j + 4 : j, j1 = j2 + 2 <= n ? j2 + 2 : j2;
      if (j < n) {
        const four = j2 > j, two = j1 > j2, one = j1 < n;
        const a0 = four ? v128.load(cell(scratch, n, ATR_A, j)) : zero2, a1 = four ? v128.load(cell(scratch, n, ATR_A, j + 2)) : zero2;
        const b0 = four ? v128.load(cell(scratch, n, ATR_B, j)) : zero2, b1 = four ? v128.load(cell(scratch, n, ATR_B, j + 2)) : zero2;
        const a2 = two ? v128.load(cell(scratch, n, ATR_A, j2)) : zero2, b2 = two ? v128.load(cell(scratch, n, ATR_B, j2)) : zero2;
        const a3 = one ? load<f64>(cell(scratch, n, ATR_A, j1)) : 0.0, b3 = one ? load<f64>(cell(scratch, n, ATR_B, j1)) : 0.0;
        let y0 = four ? v128.load(cell(scratch, n, ATR_Y, j)) : zero2, y1 = four ? v128.load(cell(scratch, n, ATR_Y, j + 2)) : zero2;
        let y2 = two ? v128.load(cell(scratch, n, ATR_Y, j2)) : zero2, y3 = one ? load<f64>(cell(scratch, n, ATR_Y, j1)) : 0.0;
        let o = out + <usize>t0 * tStride;
        const o0 = <usize>j * vStride, o2 = <usize>j2 * vStride, o1 = <usize>j1 * vStride;
        for (let i = t0; i < t1; i++) {
          const xs = load<f64>(trs + (<usize>(i - t0) << 3));
          const x = f64x2.splat(xs);
          if (four) {
            y0 = ewma2(y0, x, a0, b0);
            y1 = ewma2(y1, x, a1, b1);
            st4(o + o0, vStride, y0, y1);
          }
          if (two) {
            y2 = ewma2(y2, x, a2, b2);
            st2(o + o2, vStride, y2);
          }
          if (one) {
            y3 = ewma1(y3, xs, a3, b3);
            st1(o + o1, y3);
          }
          o += tStride;
        }
        if (four) { v128.store(cell(scratch, n, ATR_Y, j), y0); v128.store(cell(scratch, n, ATR_Y, j + 2), y1); }
        if (two) v128.store(cell(scratch, n, ATR_Y, j2), y2);
        if (one) store<f64>(cell(scratch, n, ATR_Y, j1), y3);
      }
      continue;
    }
    for (let j = 0; j < n; j++) {
      const a = load<f64>(cell(scratch, n, ATR_A, j)), b = load<f64>(cell(scratch, n, ATR_B, j));
      let y = load<f64>(cell(scratch, n, ATR_Y, j));
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        y = ewma1(y, load<f64>(trs + (<usize>(i - t0) << 3)), a, b);
        st1(o, y);
        o += tStride;
      }
      store<f64>(cell(scratch, n, ATR_Y, j), y);
    }
  }
}

// ---------------------------------------------------------------- rolling variance family
// One block engine, `rollvarChunk` / `rollvarBlock4`, steps ROLLVAR (population variance) for a set of windows
// over one time chunk. variance/stddev (rollvar) store its results straight into the outputs, one
// window per variant; bbands stores them into a table, one column per distinct window (see below).
//
// Per window the state is S, Q, k, z and the window n as f64, in the ROLLVAR_ARRAYS arrays of m
// cells of scratch.ts (SoA, so a block of 4 windows loads each quantity with two 16-byte loads).
// S, Q, k, z carry over to a resumed call, which sets n again from the params. The rules on the bar
// index (src[t − n] leaves from bar n on, the window is full from bar n − 1 on) use the bar index
// g0 + i of row i, g0 the call's first bar, so a resumed call reads src back to row −n at most and
// never before bar 0.
// SIMD: blocks of 4 windows (two f64x2 per quantity); until every window of a block is full the
// masked step (rollvarStep2) runs with state in scratch, then the steady state keeps S, Q, k, z in
// registers, shares the incoming value (one branch for NaN) and gathers the outgoing src[i − n] per
// lane, with the same operations per lane as rollvarStep1, which the windows from `full` on use one
// by one. MODE_BB adds a clean path (rollvarClean4) for chunks whose src has no NaN and no zero in
// reach.

@inline const MODE_BB: i32 = 0;
@inline const MODE_VAR: i32 = 1;
// bbands with a window-major table: window u's basis at bar i in cell u·col + i (then sd `half`
// bytes further), so a VARIANT_MAJOR phase 2 reads each variant's bars contiguously
@inline const MODE_BBT: i32 = 2;

/** bbands: bars per time step in TIME_MAJOR (at most CHUNK). */
@inline const BB_ROWS: i32 = 4;

/**
 * Results of four windows (lanes A = j, j+1 and B = j+2, j+3) at one bar. MODE_VAR: variance and
 * stddev narrowed into the outputs o0, o1 at `off`. MODE_BB / MODE_BBT: the f64 table cells at
 * `off` — the basis (S/n = `m` where `ok`, else NaN) and, `half` bytes further, sd = sqrt(var).
 * `stride`: MODE_VAR the outputs' variant stride, MODE_BBT the table's column bytes.
 */
@inline function emitRollvar4(mode: i32, o0: usize, o1: usize, off: usize, stride: usize, half: usize,
  vrA: v128, vrB: v128, okA: v128, okB: v128, mA: v128, mB: v128): void {
  if (mode == MODE_VAR) {
    if (o0) st4(o0 + off, stride, vrA, vrB);
    if (o1) st4(o1 + off, stride, f64x2.sqrt(vrA), f64x2.sqrt(vrB));
  } else {
    const nan = f64x2.splat(NaN);
    putCells(mode == MODE_BBT, off, stride, v128.bitselect(mA, nan, okA), v128.bitselect(mB, nan, okB));
    putCells(mode == MODE_BBT, off + half, stride, f64x2.sqrt(vrA), f64x2.sqrt(vrB));
  }
}

/** Four windows' table cells at one bar: adjacent (row-major table) or `col` bytes apart (window-major). */
@inline function putCells(windowMajor: bool, off: usize, col: usize, a: v128, b: v128): void {
  if (windowMajor) {
    v128.store64_lane(off, a, 0);
    v128.store64_lane(off + col, a, 1);
    v128.store64_lane(off + 2 * col, b, 0);
    v128.store64_lane(off + 3 * col, b, 1);
  } else {
    v128.store(off, a);
    v128.store(off + 16, b);
  }
}

/**
 * MODE_BB steady state over a clean stretch (bbands phase 1): every src value in [t0 − max n, t1)
 * is a number other than 0, so no lane counts a NaN (k stays 0, every bar is ok) and z stays n
 * (no reset): the ROLLVAR step reduces to S = (S + v) − u, Q = (Q + v·v) − u·u, the same
 * operations in the same order as the general step. Writes basis = S/n and sd = sqrt(var) into
 * the table; returns the OR of the clamped variances (sign bit set where an sd may be NaN).
 */
@inline function rollvarClean4(windowMajor: bool, consec: bool, x: usize, t0: i32, t1: i32, w0: i32, w1: i32, w2: i32, w3: i32,
  nfA: v128, nfB: v128, st: usize, m: i32, j: i32, off: usize, col: usize, row: usize, half: usize): v128 {
  let SA = v128.load(cell(st, m, ROLLVAR_S, j)), QA = v128.load(cell(st, m, ROLLVAR_Q, j));
  let SB = v128.load(cell(st, m, ROLLVAR_S, j + 2)), QB = v128.load(cell(st, m, ROLLVAR_Q, j + 2));
  const zero = f64x2.splat(0.0), tiny = f64x2.splat(-1e-12);
  let acc = zero;
  for (let i = t0; i < t1; i++) {
    const xs = ldx(x, i);
    const v = f64x2.splat(xs), vv = f64x2.splat(xs * xs);
    const uA = outgoingA(consec, x, i, w0, w1, w3), uB = outgoingB(consec, x, i, w2, w3);
    SA = f64x2.sub(f64x2.add(SA, v), uA); SB = f64x2.sub(f64x2.add(SB, v), uB);
    QA = f64x2.sub(f64x2.add(QA, vv), f64x2.mul(uA, uA)); QB = f64x2.sub(f64x2.add(QB, vv), f64x2.mul(uB, uB));
    const mA = f64x2.div(SA, nfA), mB = f64x2.div(SB, nfB);
    let vrA = f64x2.sub(f64x2.div(QA, nfA), f64x2.mul(mA, mA));
    let vrB = f64x2.sub(f64x2.div(QB, nfB), f64x2.mul(mB, mB));
    vrA = v128.andnot(vrA, v128.and(f64x2.lt(vrA, zero), f64x2.gt(vrA, tiny)));
    vrB = v128.andnot(vrB, v128.and(f64x2.lt(vrB, zero), f64x2.gt(vrB, tiny)));
    acc = v128.or(acc, v128.or(vrA, vrB));
    putCells(windowMajor, off, col, mA, mB);
    putCells(windowMajor, off + half, col, f64x2.sqrt(vrA), f64x2.sqrt(vrB));
    off += row;
  }
  v128.store(cell(st, m, ROLLVAR_S, j), SA); v128.store(cell(st, m, ROLLVAR_Q, j), QA);
  v128.store(cell(st, m, ROLLVAR_S, j + 2), SB); v128.store(cell(st, m, ROLLVAR_Q, j + 2), QB);
  return acc;
}

/**
 * Steps windows 0 .. cnt−1 (state arrays of m cells from `st`) over bars [t0, t1); windows below
 * `full` (a multiple of 4) in SIMD blocks. Window j's result for bar t0 goes to `dst0 + j·col`,
 * advancing `row` bytes per bar: MODE_VAR passes (t0·tStride, vStride, tStride) relative to the
 * output pointers o0, o1; MODE_BB passes (table, 8, row bytes) and `half`, the sd column offset;
 * MODE_BBT (table, column bytes, 8) and `half`, the offset of the sd columns.
 */
@inline function rollvarChunk(mode: i32, x: usize, t0: i32, t1: i32, cnt: i32, full: i32, st: usize, m: i32,
  o0: usize, o1: usize, vStride: usize, dst0: usize, col: usize, row: usize, half: usize, lastDirty: i32, g0: i32): bool {
  let mayNaN = false;
  if (ASC_FEATURE_SIMD) {
    // row i is bar g0 + i: a lane's bar reaches n exactly when i reaches n − g0 (integers, exact in f64)
    const gf = f64x2.splat(<f64>g0);
    for (let j = 0; j < full; j += 4) {
      const nfA = v128.load(cell(st, m, ROLLVAR_N, j)), nfB = v128.load(cell(st, m, ROLLVAR_N, j + 2));
      const nm1A = f64x2.sub(nfA, f64x2.splat(1.0)), nm1B = f64x2.sub(nfB, f64x2.splat(1.0));
      const w0 = <i32>f64x2.extract_lane(nfA, 0), w1 = <i32>f64x2.extract_lane(nfA, 1);
      const w2 = <i32>f64x2.extract_lane(nfB, 0), w3 = <i32>f64x2.extract_lane(nfB, 1);
      let off = dst0 + <usize>j * col;
      const wmax = max(max(w0, w1), max(w2, w3));
      if (mode != MODE_VAR && g0 + t0 >= wmax && lastDirty < t0 - wmax) {
        // every window full and src clean (no NaN, no zero) over [t0 − wmax, t1): k stays 0, z stays n
        const bt = mode == MODE_BBT;
        const acc = w1 == w0 + 1 && w2 == w0 + 2 && w3 == w0 + 3
          ? rollvarClean4(bt, true, x, t0, t1, w0, w1, w2, w3, nfA, nfB, st, m, j, off, col, row, half)
          : rollvarClean4(bt, false, x, t0, t1, w0, w1, w2, w3, nfA, nfB, st, m, j, off, col, row, half);
        if (v128.any_true(v128.and(acc, i64x2.splat(0x8000000000000000)))) mayNaN = true;
        continue;
      }
      mayNaN = true;
      let i = t0;
      // until every window of the block is full: the masked step with state in scratch
      const slowEnd = min(t1, wmax - g0);
      if (i < slowEnd) {
        const leaveA = f64x2.sub(nfA, gf), leaveB = f64x2.sub(nfB, gf);
        const fullA = f64x2.sub(nm1A, gf), fullB = f64x2.sub(nm1B, gf);
        for (; i < slowEnd; i++) {
          const v = f64x2.splat(ldx(x, i));
          const validA = geMask(i, fullA), validB = geMask(i, fullB);
          const vrA = rollvarStep2(cell(st, m, ROLLVAR_S, j), cell(st, m, ROLLVAR_Q, j), cell(st, m, ROLLVAR_K, j), cell(st, m, ROLLVAR_Z, j), v,
            gather2(backBar(x, i, w0, g0), backBar(x, i, w1, g0)), geMask(i, leaveA), validA, nfA);
          const vrB = rollvarStep2(cell(st, m, ROLLVAR_S, j + 2), cell(st, m, ROLLVAR_Q, j + 2), cell(st, m, ROLLVAR_K, j + 2), cell(st, m, ROLLVAR_Z, j + 2), v,
            gather2(backBar(x, i, w2, g0), backBar(x, i, w3, g0)), geMask(i, leaveB), validB, nfB);
          const okA = v128.andnot(validA, f64x2.gt(v128.load(cell(st, m, ROLLVAR_K, j)), f64x2.splat(0.0)));
          const okB = v128.andnot(validB, f64x2.gt(v128.load(cell(st, m, ROLLVAR_K, j + 2)), f64x2.splat(0.0)));
          emitRollvar4(mode, o0, o1, off, mode == MODE_VAR ? vStride : col, half, vrA, vrB, okA, okB,
            f64x2.div(v128.load(cell(st, m, ROLLVAR_S, j)), nfA), f64x2.div(v128.load(cell(st, m, ROLLVAR_S, j + 2)), nfB));
          off += row;
        }
      }
      if (i < t1) {
        // steady state: S, Q, k, z in registers; the incoming value is shared (one branch), the
        // outgoing src[i − n] is gathered per lane. Same operations per lane as rollvarStep1.
        let SA = v128.load(cell(st, m, ROLLVAR_S, j)), QA = v128.load(cell(st, m, ROLLVAR_Q, j));
        let kA = v128.load(cell(st, m, ROLLVAR_K, j)), zA = v128.load(cell(st, m, ROLLVAR_Z, j));
        let SB = v128.load(cell(st, m, ROLLVAR_S, j + 2)), QB = v128.load(cell(st, m, ROLLVAR_Q, j + 2));
        let kB = v128.load(cell(st, m, ROLLVAR_K, j + 2)), zB = v128.load(cell(st, m, ROLLVAR_Z, j + 2));
        const zero = f64x2.splat(0.0), one = f64x2.splat(1.0), nan = f64x2.splat(NaN), tiny = f64x2.splat(-1e-12);
        for (; i < t1; i++) {
          const xs = ldx(x, i);
          const v = f64x2.splat(xs);
          if (xs != xs) {
            kA = f64x2.add(kA, one); kB = f64x2.add(kB, one);
          } else {
            if (xs != 0) { zA = f64x2.add(zA, one); zB = f64x2.add(zB, one); }
            const vv = f64x2.splat(xs * xs);
            SA = f64x2.add(SA, v); SB = f64x2.add(SB, v);
            QA = f64x2.add(QA, vv); QB = f64x2.add(QB, vv);
          }
          const uA = gather2(x + (<usize>(i - w0) << 2), x + (<usize>(i - w1) << 2));
          const uB = gather2(x + (<usize>(i - w2) << 2), x + (<usize>(i - w3) << 2));
          const unA = f64x2.ne(uA, uA), unB = f64x2.ne(uB, uB);
          kA = f64x2.sub(kA, v128.and(unA, one)); kB = f64x2.sub(kB, v128.and(unB, one));
          zA = f64x2.sub(zA, v128.and(v128.andnot(f64x2.ne(uA, zero), unA), one));
          zB = f64x2.sub(zB, v128.and(v128.andnot(f64x2.ne(uB, zero), unB), one));
          SA = v128.bitselect(SA, f64x2.sub(SA, uA), unA); SB = v128.bitselect(SB, f64x2.sub(SB, uB), unB);
          QA = v128.bitselect(QA, f64x2.sub(QA, f64x2.mul(uA, uA)), unA); QB = v128.bitselect(QB, f64x2.sub(QB, f64x2.mul(uB, uB)), unB);
          const z0A = f64x2.eq(zA, zero), z0B = f64x2.eq(zB, zero);
          SA = v128.bitselect(zero, SA, z0A); QA = v128.bitselect(zero, QA, z0A);
          SB = v128.bitselect(zero, SB, z0B); QB = v128.bitselect(zero, QB, z0B);
          const okA = v128.not(f64x2.gt(kA, zero)), okB = v128.not(f64x2.gt(kB, zero));
          const mA = f64x2.div(SA, nfA), mB = f64x2.div(SB, nfB);
          let vrA = f64x2.sub(f64x2.div(QA, nfA), f64x2.mul(mA, mA));
          let vrB = f64x2.sub(f64x2.div(QB, nfB), f64x2.mul(mB, mB));
          vrA = v128.bitselect(zero, vrA, v128.and(f64x2.lt(vrA, zero), f64x2.gt(vrA, tiny)));
          vrB = v128.bitselect(zero, vrB, v128.and(f64x2.lt(vrB, zero), f64x2.gt(vrB, tiny)));
          vrA = v128.bitselect(vrA, nan, okA); vrB = v128.bitselect(vrB, nan, okB);
          emitRollvar4(mode, o0, o1, off, mode == MODE_VAR ? vStride : col, half, vrA, vrB, okA, okB, mA, mB);
          off += row;
        }
        v128.store(cell(st, m, ROLLVAR_S, j), SA); v128.store(cell(st, m, ROLLVAR_Q, j), QA);
        v128.store(cell(st, m, ROLLVAR_K, j), kA); v128.store(cell(st, m, ROLLVAR_Z, j), zA);
        v128.store(cell(st, m, ROLLVAR_S, j + 2), SB); v128.store(cell(st, m, ROLLVAR_Q, j + 2), QB);
        v128.store(cell(st, m, ROLLVAR_K, j + 2), kB); v128.store(cell(st, m, ROLLVAR_Z, j + 2), zB);
      }
    }
  }
  for (let j = full; j < cnt; j++) {
    const nf = load<f64>(cell(st, m, ROLLVAR_N, j));
    const w = <i32>nf;
    const wl = w - g0; // row i is bar g0 + i: src[t − w] leaves from row wl on
    let off = dst0 + <usize>j * col;
    for (let i = t0; i < t1; i++) {
      const xs = ldx(x, i);
      const leaving = i >= wl, valid = i >= wl - 1;
      const vr = rollvarStep1(cell(st, m, ROLLVAR_S, j), cell(st, m, ROLLVAR_Q, j), cell(st, m, ROLLVAR_K, j), cell(st, m, ROLLVAR_Z, j), xs, leaving ? ldx(x, i - w) : 0.0, leaving, valid, nf);
      if (mode == MODE_VAR) {
        if (o0) st1(o0 + off, vr);
        if (o1) st1(o1 + off, Math.sqrt(vr));
      } else {
        store<f64>(off, (!valid || load<f64>(cell(st, m, ROLLVAR_K, j)) > 0) ? NaN : load<f64>(cell(st, m, ROLLVAR_S, j)) / nf);
        store<f64>(off + half, Math.sqrt(vr));
      }
      off += row;
    }
  }
  return mayNaN || cnt > full;
}

/**
 * The window n of window j (arrays of m cells from st) and, unless the call resumes, its ROLLVAR
 * state (S, Q, k, z) zeroed.
 */
@inline function rollvarInit(st: usize, m: i32, j: i32, nf: f64, resume: bool): void {
  if (!resume) for (let a = ROLLVAR_S; a <= ROLLVAR_Z; a++) store<f64>(cell(st, m, a, j), 0.0);
  store<f64>(cell(st, m, ROLLVAR_N, j), nf);
}

/** src[i − L] clamped at bar 0 (row −g0), for lanes masked where bar g0 + i < L. */
@inline function backBar(p: usize, i: i32, L: i32, g0: i32): usize {
  return p + (<usize>max(i - L, -g0) << 2);
}

// ---------------------------------------------------------------- bbands
// basis = ROLLMEAN, sd = ROLLSTD, upper = basis + mult·sd, lower = basis − mult·sd, bandwidth and
// percent_b. basis and sd depend only on the window, and a grid's variants are mult-major (the
// windows recur once per mult), so each call dedupes its windows and each time step runs in two
// phases. Phase 1 steps ROLLVAR once per distinct window (4 windows per SIMD block) and writes
// basis and sd into the table; phase 2 walks the variant blocks and forms the outputs from the
// table rows in the reference's operation order. All divisions and square roots (the cost of the
// old per-variant loop) are in phase 1, once per distinct window; phase 2 is loads, mul/add/sub,
// narrowing and stores.
//
// Scratch (np = n rounded up to 4, H = the power of two >= max(8, 2·np), U <= n distinct windows,
// U4 = U rounded up to 4):
//   5 arrays of np f64     S, Q, k, z, n of distinct window u (u = 0 .. U4−1; ROLLVAR_ of scratch.ts)
//   np f64                 cell 0: the last bar whose src is NaN or zero (BBANDS_DIRTY), as a bar
//                          index of the whole series
//   np f64                 mult of variant j
//   np i32                 u of variant j
//   np i32                 per variant block b: the byte column of its first window when its four
//                          windows are consecutive columns, else −1 (gather)
//   H i32                  open-addressing hash: window bits -> u + 1 (0 = empty), used at entry only
//   CHUNK rows of 2·np f64 the table: row i − t0 = basis[0 .. U4) (S/n where ok, else NaN), then
//                          sd[0 .. U4) (sqrt(var), NaN where not ok or var <= −1e−12); window-major
//                          (MODE_BBT) for a VARIANT_MAJOR call without bandwidth and percent_b:
//                          U4 columns of CHUNK basis values, then U4 columns of sd
// Windows are numbered in first-occurrence order, so the 4 variants of a block mostly have
// consecutive u (a mult-major grid repeats the window sequence) and phase 2 reads each quantity
// with two 16-byte loads; other blocks gather their 4 cells. The SIMD build pads the last window
// block with copies of window U−1 (computed and never read) so that phase 1 has no scalar tail,
// and runs the last variant block overlapping the one before when n % 4 != 0 (same values
// rewritten), so phase 2 has none either (n < 4 and the scalar build go one variant at a time).
// Phase 2 skips the NaN canonicalisation of basis/upper/lower when no table cell of the step can
// be NaN (every block on the clean path with var > −1e−12, every mult finite).
// Time steps: TIME_MAJOR BB_ROWS bars, phase 2 row by row (block by block where a NaN is possible)
// so each output row is written left to right; short steps keep the output stores close to the
// division-bound phase 1 so the two overlap (steps of 2–4 bars beat 32-bar ones). VARIANT_MAJOR
// steps CHUNK bars; with the window-major table phase 2 goes variant by variant, four bars a step
// (contiguous loads and 16-byte stores: 32% faster on a 36-variant grid at 1M bars than block by
// block, whose four variants' stores are a series apart), else block by block. The table never
// holds more than CHUNK rows.
// The state between calls is the first BBANDS_ARRAYS arrays: S, Q, k, z of each distinct window
// (the same params give the same numbering u in every call) and the last dirty bar. A resumed call
// keeps them and reads src back to row −(largest window) at most.

/** Narrows lanes [a0, a1] | [b0, b1] and stores them for four variants: canonical NaN unless `fin`. */
@inline function put4(o: usize, vStride: usize, a: v128, b: v128, tm: bool, fin: bool): void {
  const v = fin ? narrowFinite(a, b) : narrow4(a, b);
  if (tm) v128.store(o, v); else store4(o, vStride, v);
}

/**
 * The bbands outputs of variants j..j+3 at one bar from their basis (bA, bB) and sd (sA, sB).
 * `tm`: TIME_MAJOR (vStride == 4); `fin`: basis, sd and mult are known not to be NaN, so upper,
 * basis and lower are not NaN either (bandwidth and percent_b divide and are always canonicalised).
 */
@inline function bands4(tm: bool, fin: bool, o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, off: usize, vStride: usize,
  bA: v128, bB: v128, sA: v128, sB: v128, multA: v128, multB: v128, x: usize, i: i32, three: bool = false): void {
  const dA = f64x2.mul(multA, sA), dB = f64x2.mul(multB, sB);
  const upA = f64x2.add(bA, dA), upB = f64x2.add(bB, dB);
  const loA = f64x2.sub(bA, dA), loB = f64x2.sub(bB, dB);
  if (three || o0) put4(o0 + off, vStride, bA, bB, tm, fin);
  if (three || o1) put4(o1 + off, vStride, upA, upB, tm, fin);
  if (three || o2) put4(o2 + off, vStride, loA, loB, tm, fin);
  if (!three && (o3 || o4)) {
    const nan = f64x2.splat(NaN), zero = f64x2.splat(0.0);
    const wA = f64x2.sub(upA, loA), wB = f64x2.sub(upB, loB);
    if (o3) st4(o3 + off, vStride,
      v128.bitselect(nan, f64x2.div(wA, bA), f64x2.eq(bA, zero)), v128.bitselect(nan, f64x2.div(wB, bB), f64x2.eq(bB, zero)));
    if (o4) {
      const v = f64x2.splat(ldx(x, i));
      st4(o4 + off, vStride,
        v128.bitselect(nan, f64x2.div(f64x2.sub(v, loA), wA), f64x2.eq(wA, zero)), v128.bitselect(nan, f64x2.div(f64x2.sub(v, loB), wB), f64x2.eq(wB, zero)));
    }
  }
}

/**
 * Phase 2 of TIME_MAJOR bar i with no NaN possible: every variant block left to right (the last
 * one overlapping when n % 4 != 0), table row `r`, output row offset `orow`. `three`: exactly the
 * basis, upper and lower outputs are materialised (volatility.bbands).
 */
@inline function bandsRowTM(three: bool, o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, orow: usize, n: i32,
  us: usize, bc: usize, mults: usize, r: usize, half: usize, x: usize, i: i32): void {
  for (let jb = 0, b = 0; jb < n; jb += 4, b++) {
    const j = jb + 4 <= n ? jb : n - 4;
    const off = orow + (<usize>j << 2), pm = mults + (<usize>j << 3);
    const multA = v128.load(pm), multB = v128.load(pm + 16);
    const c = load<i32>(bc + (<usize>b << 2));
    if (c >= 0) {
      const p = r + <usize>c;
      bands4(true, true, o0, o1, o2, o3, o4, off, 4, v128.load(p), v128.load(p + 16), v128.load(p + half), v128.load(p + half + 16), multA, multB, x, i, three);
    } else {
      const s = r + half, pu = us + (<usize>j << 2);
      const c0 = <usize>load<i32>(pu) << 3, c1 = <usize>load<i32>(pu + 4) << 3;
      const c2 = <usize>load<i32>(pu + 8) << 3, c3 = <usize>load<i32>(pu + 12) << 3;
      bands4(true, true, o0, o1, o2, o3, o4, off, 4,
        f64x2.replace_lane(f64x2.splat(load<f64>(r + c0)), 1, load<f64>(r + c1)), f64x2.replace_lane(f64x2.splat(load<f64>(r + c2)), 1, load<f64>(r + c3)),
        f64x2.replace_lane(f64x2.splat(load<f64>(s + c0)), 1, load<f64>(s + c1)), f64x2.replace_lane(f64x2.splat(load<f64>(s + c2)), 1, load<f64>(s + c3)),
        multA, multB, x, i, three);
    }
  }
}

/** Phase 2 over bars [t0, t1) for a block whose windows are the consecutive table columns c0 .. c0 + 3. */
@inline function bandsRows(tm: bool, fin: bool, o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, off: usize, vStride: usize, tStride: usize,
  tab: usize, c0: usize, rowBytes: usize, half: usize, multA: v128, multB: v128, x: usize, t0: i32, t1: i32): void {
  let p = tab + c0;
  for (let i = t0; i < t1; i++) {
    bands4(tm, fin, o0, o1, o2, o3, o4, off, vStride, v128.load(p), v128.load(p + 16), v128.load(p + half), v128.load(p + half + 16), multA, multB, x, i);
    off += tStride; p += rowBytes;
  }
}

// bbands stays one function (about 125 lines): its three parts (the distinct windows and their hash
// table, the per-block column table, then per chunk phase 1 and the three phase-2 paths) share a dozen
// locals describing one scratch layout (np, U, U4, half, rowBytes and the table pointers); its loops
// are already in bandsRowTM, bandsRows, bands4 and rollvarChunk, so a split would only move that list
// of locals into parameter lists.
export function bbands(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  if (n <= 0) return;
  const x = ioPtr(io, IO_SRC);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2), o3 = outPtr(io, 3), o4 = outPtr(io, 4);
  const np = (n + 3) & ~3;
  const resume = resumed(io), g0 = baseBar(io);
  const mults = scratch + ((<usize>np * BBANDS_ARRAYS) << 3);
  const us = mults + (<usize>np << 3);
  const bc = us + (<usize>np << 2);
  const hash = bc + (<usize>np << 2);
  let H = 8;
  while (H < 2 * np) H <<= 1;
  const tab = hash + (<usize>H << 2);

  // distinct windows: u of every variant, window n of every u
  memory.fill(hash, 0, <usize>H << 2);
  let U = 0;
  let multsFinite = true;
  for (let j = 0; j < n; j++) {
    const w = paramAt(params, n, 0, j);
    const bits = reinterpret<u64>(w);
    let h = <i32>((bits * 0x9e3779b97f4a7c15) >> 40) & (H - 1);
    let u = -1;
    while (u < 0) {
      const e = load<i32>(hash + (<usize>h << 2));
      if (e == 0) {
        u = U++;
        store<i32>(hash + (<usize>h << 2), u + 1);
        rollvarInit(scratch, np, u, w, resume);
      } else if (reinterpret<u64>(load<f64>(cell(scratch, np, ROLLVAR_N, e - 1))) == bits) {
        u = e - 1;
      } else {
        h = (h + 1) & (H - 1);
      }
    }
    store<i32>(us + (<usize>j << 2), u);
    const mult = paramAt(params, n, 1, j);
    if (!isFinite(mult)) multsFinite = false;
    store<f64>(mults + (<usize>j << 3), mult);
  }
  const U4 = (U + 3) & ~3;
  for (let u = U; u < U4; u++) rollvarInit(scratch, np, u, load<f64>(cell(scratch, np, ROLLVAR_N, U - 1)), resume);
  const half = <usize>U4 << 3, rowBytes = half << 1;
  const three = o0 != 0 && o1 != 0 && o2 != 0 && o3 == 0 && o4 == 0;
  // per variant block (the last one overlapping when n % 4 != 0): its first column if the 4 are consecutive, else -1
  for (let jb = 0, b = 0; jb < n; jb += 4, b++) {
    const j = min(jb, n - 4);
    let c = -1;
    if (j >= 0) {
      const u0 = load<i32>(us + (<usize>j << 2));
      if (load<i32>(us + (<usize>j << 2) + 4) == u0 + 1 && load<i32>(us + (<usize>j << 2) + 8) == u0 + 2 && load<i32>(us + (<usize>j << 2) + 12) == u0 + 3) c = u0 << 3;
    }
    store<i32>(bc + (<usize>b << 2), c);
  }

  let cnt = U, fullU = 0, simd = false;
  if (ASC_FEATURE_SIMD) { cnt = U4; fullU = U4; simd = n >= 4; }
  // VARIANT_MAJOR (bars contiguous) without bandwidth and percent_b: a window-major table, whose
  // columns of CHUNK bars phase 2 reads four bars at a time
  const windowMajor = ASC_FEATURE_SIMD && simd && vStride != 4 && tStride == 4 && o3 == 0 && o4 == 0;
  const colBytes = <usize>CHUNK << 3, halfT = <usize>U4 * colBytes;
  // the last row before t1 whose src is NaN or zero (call rows; bar −1 before the series starts)
  let lastDirty = resume ? <i32>load<f64>(cell(scratch, np, BBANDS_DIRTY, 0)) - g0 : -1;
  const step = vStride == 4 ? min(BB_ROWS, CHUNK) : CHUNK;
  // the table holds CHUNK rows, either way round (2·U4 columns of CHUNK f64)
  for (let t0 = 0; t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    for (let i = t0; i < t1; i++) {
      const v = ldx(x, i);
      if (v != v || v == 0) lastDirty = i;
    }
    // phase 1: basis and sd of every distinct window into the table
    const fin = !(windowMajor
      ? rollvarChunk(MODE_BBT, x, t0, t1, cnt, fullU, scratch, np, 0, 0, 0, tab, colBytes, 8, halfT, lastDirty, g0)
      : rollvarChunk(MODE_BB, x, t0, t1, cnt, fullU, scratch, np, 0, 0, 0, tab, 8, rowBytes, half, lastDirty, g0)) && multsFinite;
    // phase 2: the outputs of every variant from its window's columns. The last block overlaps the
    // one before when n % 4 != 0 (its first lanes rewrite the same values).
    if (ASC_FEATURE_SIMD && windowMajor) {
      // VARIANT_MAJOR: variant by variant, four bars a step from its window's column (the lanes are
      // bars here, with the same operations per lane), the chunk's last bars one by one
      for (let j = 0; j < n; j++) {
        const pb = tab + <usize>load<i32>(us + (<usize>j << 2)) * colBytes, ps = pb + halfT;
        const mult = load<f64>(mults + (<usize>j << 3));
        const mv = f64x2.splat(mult);
        let off = <usize>j * vStride + (<usize>t0 << 2);
        let i = t0;
        for (; i + 4 <= t1; i += 4) {
          const k = <usize>(i - t0) << 3;
          if (fin) bands4(true, true, o0, o1, o2, 0, 0, off, 4, v128.load(pb + k), v128.load(pb + k + 16), v128.load(ps + k), v128.load(ps + k + 16), mv, mv, x, i);
          else bands4(true, false, o0, o1, o2, 0, 0, off, 4, v128.load(pb + k), v128.load(pb + k + 16), v128.load(ps + k), v128.load(ps + k + 16), mv, mv, x, i);
          off += 16;
        }
        for (; i < t1; i++) {
          const k = <usize>(i - t0) << 3;
          const basis = load<f64>(pb + k), sd = load<f64>(ps + k);
          if (o0) st1(o0 + off, basis);
          if (o1) st1(o1 + off, basis + mult * sd);
          if (o2) st1(o2 + off, basis - mult * sd);
          off += 4;
        }
      }
    } else if (ASC_FEATURE_SIMD && simd && vStride == 4 && fin) {
      // TIME_MAJOR: row by row, so each output row is written left to right
      let r = tab;
      if (three) {
        for (let i = t0; i < t1; i++) { bandsRowTM(true, o0, o1, o2, 0, 0, <usize>i * tStride, n, us, bc, mults, r, half, x, i); r += rowBytes; }
      } else {
        for (let i = t0; i < t1; i++) { bandsRowTM(false, o0, o1, o2, o3, o4, <usize>i * tStride, n, us, bc, mults, r, half, x, i); r += rowBytes; }
      }
    } else if (ASC_FEATURE_SIMD && simd) {
      for (let jb = 0; jb < n; jb += 4) {
        const j = min(jb, n - 4);
        const c0 = <usize>load<i32>(us + (<usize>j << 2)) << 3, c1 = <usize>load<i32>(us + (<usize>j << 2) + 4) << 3;
        const c2 = <usize>load<i32>(us + (<usize>j << 2) + 8) << 3, c3 = <usize>load<i32>(us + (<usize>j << 2) + 12) << 3;
        const multA = v128.load(mults + (<usize>j << 3)), multB = v128.load(mults + (<usize>j << 3) + 16);
        let off = <usize>j * vStride + <usize>t0 * tStride;
        if (c1 == c0 + 8 && c2 == c0 + 16 && c3 == c0 + 24) {
          if (vStride == 4) {
            if (fin) bandsRows(true, true, o0, o1, o2, o3, o4, off, vStride, tStride, tab, c0, rowBytes, half, multA, multB, x, t0, t1);
            else bandsRows(true, false, o0, o1, o2, o3, o4, off, vStride, tStride, tab, c0, rowBytes, half, multA, multB, x, t0, t1);
          } else {
            if (fin) bandsRows(false, true, o0, o1, o2, o3, o4, off, vStride, tStride, tab, c0, rowBytes, half, multA, multB, x, t0, t1);
            else bandsRows(false, false, o0, o1, o2, o3, o4, off, vStride, tStride, tab, c0, rowBytes, half, multA, multB, x, t0, t1);
          }
        } else {
          let r = tab;
          for (let i = t0; i < t1; i++) {
            const s = r + half;
            bands4(false, false, o0, o1, o2, o3, o4, off, vStride,
              f64x2.replace_lane(f64x2.splat(load<f64>(r + c0)), 1, load<f64>(r + c1)), f64x2.replace_lane(f64x2.splat(load<f64>(r + c2)), 1, load<f64>(r + c3)),
              f64x2.replace_lane(f64x2.splat(load<f64>(s + c0)), 1, load<f64>(s + c1)), f64x2.replace_lane(f64x2.splat(load<f64>(s + c2)), 1, load<f64>(s + c3)),
              multA, multB, x, i);
            off += tStride; r += rowBytes;
          }
        }
      }
    } else {
      for (let j = 0; j < n; j++) {
        const mult = load<f64>(mults + (<usize>j << 3));
        const c = <usize>load<i32>(us + (<usize>j << 2)) << 3;
        let off = <usize>j * vStride + <usize>t0 * tStride;
        let r = tab;
        for (let i = t0; i < t1; i++) {
          const basis = load<f64>(r + c), sd = load<f64>(r + half + c);
          const up = basis + mult * sd;
          const lo = basis - mult * sd;
          if (o0) st1(o0 + off, basis);
          if (o1) st1(o1 + off, up);
          if (o2) st1(o2 + off, lo);
          const wdt = up - lo;
          if (o3) st1(o3 + off, basis == 0 ? NaN : wdt / basis);
          if (o4) st1(o4 + off, wdt == 0 ? NaN : (ldx(x, i) - lo) / wdt);
          off += tStride; r += rowBytes;
        }
      }
    }
  }
  store<f64>(cell(scratch, np, BBANDS_DIRTY, 0), <f64>(g0 + lastDirty));
}

// ---------------------------------------------------------------- rollvar: variance and stddev
// Scratch: ROLLVAR_ARRAYS arrays of n f64 (S, Q, k, z, n), one window per variant; S, Q, k, z are
// the state a resumed call keeps.

export function rollvar(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const x = ioPtr(io, IO_SRC);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1);
  const resume = resumed(io), g0 = baseBar(io);
  for (let j = 0; j < n; j++) rollvarInit(scratch, n, j, paramAt(params, n, 0, j), resume);
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    rollvarChunk(MODE_VAR, x, t0, t1, n, full, scratch, n, o0, o1, vStride, <usize>t0 * tStride, vStride, tStride, 0, t, g0);
  }
}

// ---------------------------------------------------------------- hv
// R[t] = ln(src[t] / src[t−1]) (NaN at 0, for NaN or non-positive prices), hv = (sqrt(ROLLVAR(R, n))·sqrt(ann))·100.
// Scratch: HV_ARRAYS arrays of n f64 (S, Q, k, z, n, sqrt(ann)), then hx + t f64 of R, computed once
// per call: rows −hx … t − 1, hx = min(first bar, largest window) (0 for a call that starts the
// series), so the terms R[t − n] that leave a resumed call's windows are there. The registry sizes
// scratch for windows up to the param bound. S, Q, k, z are the state a resumed call keeps; it reads
// src back to row −(largest window + 1).

export function hv(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const x = ioPtr(io, IO_SRC);
  const out = outPtr(io, 0);
  const resume = resumed(io), g0 = baseBar(io);
  let wmax = 0;
  for (let j = 0; j < n; j++) {
    const w = paramAt(params, n, 0, j);
    wmax = max(wmax, <i32>w);
    if (!resume) for (let a = HV_VAR; a < HV_N; a++) store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, HV_N, j), w);
    store<f64>(cell(scratch, n, HV_ANN, j), Math.sqrt(paramAt(params, n, 1, j)));
  }
  const hx = min(g0, wmax);
  const R = scratch + ((<usize>n * HV_ARRAYS) << 3) + (<usize>hx << 3); // row 0 of the call
  let r0 = -hx;
  if (g0 + r0 == 0) {
    store<f64>(R + (<usize>r0 << 3), NaN); // bar 0 has no return
    r0++;
  }
  for (let i = r0; i < t; i++) {
    const a = ldx(x, i), b = ldx(x, i - 1);
    store<f64>(R + (<usize>i << 3), (a != a || b != b || a <= 0 || b <= 0) ? NaN : lnShared(a / b));
  }
  const lo = -hx; // the earliest row of R: lanes whose R[t − n] has not left yet read it, masked
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    if (ASC_FEATURE_SIMD) {
      // row i is bar g0 + i: a lane's bar reaches n exactly when i reaches n − g0 (integers, exact in f64)
      const gf = f64x2.splat(<f64>g0);
      for (let j = 0; j < full; j += 2) {
        const nf = v128.load(cell(scratch, n, HV_N, j));
        const ann = v128.load(cell(scratch, n, HV_ANN, j));
        const nm1 = f64x2.sub(nf, f64x2.splat(1.0));
        const leave = f64x2.sub(nf, gf), fill = f64x2.sub(nm1, gf);
        const w0 = <i32>f64x2.extract_lane(nf, 0), w1 = <i32>f64x2.extract_lane(nf, 1);
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const v = f64x2.splat(load<f64>(R + (<usize>i << 3)));
          const u = f64x2.replace_lane(f64x2.splat(load<f64>(R + (<usize>max(i - w0, lo) << 3))), 1, load<f64>(R + (<usize>max(i - w1, lo) << 3)));
          const vr = rollvarStep2(cell(scratch, n, HV_VAR, j), cell(scratch, n, HV_VAR + 1, j), cell(scratch, n, HV_VAR + 2, j), cell(scratch, n, HV_VAR + 3, j), v, u, geMask(i, leave), geMask(i, fill), nf);
          st2(o, vStride, f64x2.mul(f64x2.mul(f64x2.sqrt(vr), ann), f64x2.splat(100.0)));
          o += tStride;
        }
      }
    }
    for (let j = full; j < n; j++) {
      const nf = load<f64>(cell(scratch, n, HV_N, j));
      const ann = load<f64>(cell(scratch, n, HV_ANN, j));
      const w = <i32>nf;
      const wl = w - g0; // row i is bar g0 + i: R[t − w] leaves from row wl on
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const leaving = i >= wl;
        const vr = rollvarStep1(cell(scratch, n, HV_VAR, j), cell(scratch, n, HV_VAR + 1, j), cell(scratch, n, HV_VAR + 2, j), cell(scratch, n, HV_VAR + 3, j),
          load<f64>(R + (<usize>i << 3)), leaving ? load<f64>(R + (<usize>(i - w) << 3)) : 0.0, leaving, i >= wl - 1, nf);
        st1(o, Math.sqrt(vr) * ann * 100.0);
        o += tStride;
      }
    }
  }
}
