// Kernels of the `ma` group (moving averages).
//
// Every kernel has the same signature:
//   (io, t, n, params, tStride, vStride, scratch)
//   io       call frame: input series pointers and output base pointers (lanes.ts)
//   t        bars; n variants in this call, written at out + j·vStride + i·tStride (bytes)
//   params   per-variant f64 parameter arrays, param-major: params[p·n + j]
//   scratch  host-owned scratch, sized by the kernel's scratchBytes on the host side
// Work is split into time chunks of CHUNK bars. Inside a chunk, the SIMD build runs blocks of four
// variants (two f64x2) along time with the state in registers; the variants left over (all of them in
// the scalar build) run through the scalar tail, which performs the same operations in the same order.
// Per-variant state survives between chunks in scratch, so chunking never changes a bit.
import { CHUNK, claimRows, dryBase, talibProfile, dryRows, firstBar, resumed, span, spanTile, IO_CLOSE, IO_SRC, IO_VOLUME, back, cell, gather2, geMask, ioPtr, ldx, outgoingA, outgoingB, outPtr, MID_ADD, MID_LIM, nearMidpoint4, paramAt, smallQuotient, st1, st2, st4, st4finite, st8finite, stNaN4, stNaN8, store4, narrowFinite, CANON_NAN } from './lanes';
import {
  EWMA_A, EWMA_ARRAYS, EWMA_B, EWMA_K, EWMA_Y1, EWMA_Y2, EWMA_Y3, HMA_ARRAYS, HMA_FULL, HMA_FULL_N, HMA_HALF, HMA_HALF_N, HMA_RING, HMA_SMOOTH,
  HMA_SMOOTH_N, SMA_ARRAYS, SMA_N, SMA_RECIP, SMA_SUM, VWMA_DEN, VWMA_N, VWMA_NUM, WMA_ACC, WMA_N, ZLEMA_A, ZLEMA_B, ZLEMA_LAG, ZLEMA_Y,
} from './scratch';
import { blend2, emaTalib2, emaTalibStep, ewma1, ewma2, rollsumStep1, rollsumStep2, wmaStep1, wmaStep2 } from './primitives';

// ---------------------------------------------------------------- EWMA chains: ema, rma, dema, tema
// Scratch: EWMA_ARRAYS arrays of n f64 (scratch.ts: a, b = 1 − a, y1, y2, y3), then the sink of a
// dry call. Warm-up 0; a NaN input gives NaN and discards the state, the next valid input seeds it.
// The talib profile (ema, dema, tema; rma ignores it) runs ewmaTalib instead.

/**
 * A dry stretch of a time-split call (lanes.ts IO_SKIP), single-stage chain, SIMD build: the states
 * of variants 0 … full − 1 advance over bars t0 … t1 − 1 and nothing is stored. The hot loop has one
 * path (seeded, valid bar); a NaN bar leaves it, and the next valid bar re-seeds. Same operations
 * in the same order as the stored path, so the state at t1 is bit for bit the same (about 0.47 of the
 * stored rows' time: the dryCost of src/registry/ma.ts). Eight variants a pass: more do not fit V8's
 * sixteen vector registers and spill their states.
 */
function ewmaDry(x: usize, t0: i32, t1: i32, n: i32, full: i32, scratch: usize, seeded0: bool): void {
  let j = 0;
  for (; j + 8 <= full; j += 8) ewmaDryBlock(x, t0, t1, cell(scratch, n, EWMA_A, j), cell(scratch, n, EWMA_B, j), cell(scratch, n, EWMA_Y1, j), seeded0, true);
  for (; j < full; j += 4) ewmaDryBlock(x, t0, t1, cell(scratch, n, EWMA_A, j), cell(scratch, n, EWMA_B, j), cell(scratch, n, EWMA_Y1, j), seeded0, false);
}

/** ewmaDry for the block of eight (`wide`) or four variants whose coefficients and states start at ca, cb, cp. */
@inline function ewmaDryBlock(x: usize, t0: i32, t1: i32, ca: usize, cb: usize, cp: usize, seeded0: bool, wide: bool): void {
  const a0 = v128.load(ca), a1 = v128.load(ca, 16), b0 = v128.load(cb), b1 = v128.load(cb, 16);
  let a2 = a0, a3 = a0, b2 = b0, b3 = b0;
  let p0 = v128.load(cp), p1 = v128.load(cp, 16), p2 = p0, p3 = p0;
  if (wide) {
    a2 = v128.load(ca, 32); a3 = v128.load(ca, 48); b2 = v128.load(cb, 32); b3 = v128.load(cb, 48);
    p2 = v128.load(cp, 32); p3 = v128.load(cp, 48);
  }
  let i = t0, seeded = seeded0;
  while (i < t1) {
    if (!seeded) {
      // seed at the next valid bar
      while (i < t1 && ldx(x, i) != ldx(x, i)) i++;
      if (i >= t1) break;
      p0 = f64x2.splat(ldx(x, i)); p1 = p0; p2 = p0; p3 = p0;
      i++;
    }
    seeded = false;
    for (; i < t1; i++) {
      const xs = ldx(x, i);
      if (xs != xs) break;
      const xi = f64x2.splat(xs);
      p0 = blend2(a0, xi, b0, p0);
      p1 = blend2(a1, xi, b1, p1);
      if (wide) {
        p2 = blend2(a2, xi, b2, p2);
        p3 = blend2(a3, xi, b3, p3);
      }
    }
  }
  v128.store(cp, p0); v128.store(cp, p1, 16);
  if (wide) {
    v128.store(cp, p2, 32); v128.store(cp, p3, 48);
  }
}

/**
 * The EWMA chains. Per time chunk, the SIMD build takes the variants in the first path that fits
 * (dry stretch, TIME_MAJOR rows, blocks of eight for a single stage, blocks of four), the variants
 * left over (all of them in the scalar build) go through the scalar tail. Every path performs the
 * same operations in the same order, so which one runs never changes a bit.
 */
@inline function ewmaChain(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize, stages: i32, wilder: bool): void {
  const x = ioPtr(io, IO_SRC);
  const stored = outPtr(io, 0);
  const skip = dryRows(io);
  const sink = scratch + ((<usize>n * EWMA_ARRAYS) << 3);
  const resume = resumed(io);
  // a resumed call finds the coefficients in its state (a stream's one-bar calls skip 2n divisions)
  if (!resume) {
    for (let j = 0; j < n; j++) {
      const w = paramAt(params, n, 0, j);
      const a = wilder ? 1.0 / w : 2.0 / (w + 1.0);
      store<f64>(cell(scratch, n, EWMA_A, j), a);
      store<f64>(cell(scratch, n, EWMA_B, j), 1.0 - a);
      store<f64>(cell(scratch, n, EWMA_Y1, j), NaN);
      store<f64>(cell(scratch, n, EWMA_Y2, j), NaN);
      store<f64>(cell(scratch, n, EWMA_Y3, j), NaN);
    }
  }
  if (!wilder && talibProfile(io)) {
    ewmaTalib(x, stored, sink, skip, t, n, params, tStride, vStride, scratch, stages, resume);
    return;
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0, step = spanTile(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    const out = dryBase(stored, sink, t0, t1, skip, tStride);
    // the single-stage TIME_MAJOR loop writes rows front to back and gains nothing from claiming them
    if (out == stored && stages > 1) claimRows(out, t0, t1, tStride, vStride, n);
    if (ASC_FEATURE_SIMD) {
      // Every variant of a call reads the same series, so whether the states are seeded at bar i is
      // one fact for all lanes: seeded iff x[i − 1] is valid (a NaN resets). The lanes then run branch-free
      // a·x + b·y, which is finite, and only the NaN bars store the canonical NaN.
      const seeded0 = (t0 > 0 || resume) && ldx(x, t0 - 1) == ldx(x, t0 - 1);
      let j = 0;
      if (stages == 1 && out != stored) {
        // the whole dry stretch in one pass at its first chunk (long loops, no per-chunk state traffic)
        if (t0 == 0) ewmaDry(x, 0, skip, n, full, scratch, seeded0);
        j = full;
      } else if (stages == 1 && vStride == 4 && full >= 16) {
        j = ewmaRows(x, out + <usize>t0 * tStride, t0, t1, tStride, n, full & ~7, scratch, seeded0);
      } else if (stages == 1) {
        for (; j + 8 <= full; j += 8) {
          const o = out + <usize>j * vStride + <usize>t0 * tStride;
          const ca = cell(scratch, n, EWMA_A, j), cb = cell(scratch, n, EWMA_B, j), cp = cell(scratch, n, EWMA_Y1, j);
          // TIME_MAJOR with the literal stride 4: the block's eight values of a bar are adjacent, two 16-byte stores
          if (vStride == 4) ewmaBlock8(x, o, t0, t1, tStride, 4, ca, cb, cp, seeded0);
          else ewmaBlock8(x, o, t0, t1, tStride, vStride, ca, cb, cp, seeded0);
        }
      }
      for (; j < full; j += 4) ewmaBlock4(x, out + <usize>j * vStride + <usize>t0 * tStride, t0, t1, tStride, vStride, n, j, scratch, stages, seeded0);
    }
    ewmaTail(x, out, t0, t1, tStride, vStride, n, full, scratch, stages);
  }
}

/**
 * TIME_MAJOR rows of a single-stage chain, SIMD build: bar by bar over the blocks of eight variants
 * 0 … full8 − 1, states in scratch, the row of bar t0 at `row`. Whole rows in order stream out of
 * the core and let time pieces run side by side (compute/plan.ts TimePiece). Returns full8.
 */
@inline function ewmaRows(x: usize, row: usize, t0: i32, t1: i32, tStride: usize, n: i32, full8: i32, scratch: usize, seeded0: bool): i32 {
  let seeded = seeded0;
  for (let i = t0; i < t1; i++) {
    const xs = ldx(x, i);
    const xi = f64x2.splat(xs);
    if (xs != xs) {
      for (let k = 0; k < full8; k += 4) v128.store(row + (<usize>k << 2), i32x4.splat(CANON_NAN));
      seeded = false;
    } else if (seeded) {
      for (let k = 0; k < full8; k += 8) {
        const ca = cell(scratch, n, EWMA_A, k), cb = cell(scratch, n, EWMA_B, k), cp = cell(scratch, n, EWMA_Y1, k);
        const p0 = blend2(v128.load(ca), xi, v128.load(cb), v128.load(cp));
        const p1 = blend2(v128.load(ca, 16), xi, v128.load(cb, 16), v128.load(cp, 16));
        const p2 = blend2(v128.load(ca, 32), xi, v128.load(cb, 32), v128.load(cp, 32));
        const p3 = blend2(v128.load(ca, 48), xi, v128.load(cb, 48), v128.load(cp, 48));
        v128.store(cp, p0); v128.store(cp, p1, 16); v128.store(cp, p2, 32); v128.store(cp, p3, 48);
        const o = row + (<usize>k << 2);
        v128.store(o, narrowFinite(p0, p1));
        v128.store(o, narrowFinite(p2, p3), 16);
      }
    } else {
      for (let k = 0; k < full8; k += 2) v128.store(cell(scratch, n, EWMA_Y1, k), xi);
      const v = narrowFinite(xi, xi);
      for (let k = 0; k < full8; k += 4) v128.store(row + (<usize>k << 2), v);
      seeded = true;
    }
    row += tStride;
  }
  return full8;
}

/**
 * A single-stage chain over the block of eight variants whose coefficients and states start at
 * ca, cb, cp, bars t0 … t1 − 1, the block's first value of bar t0 at `o`, states in registers.
 * `vs` is the variant stride: callers pass the literal 4 for TIME_MAJOR, so the stores inline to
 * two 16-byte stores with no test per bar.
 */
@inline function ewmaBlock8(x: usize, o: usize, t0: i32, t1: i32, tStride: usize, vs: usize, ca: usize, cb: usize, cp: usize, seeded0: bool): void {
  const a0 = v128.load(ca), a1 = v128.load(ca, 16), a2 = v128.load(ca, 32), a3 = v128.load(ca, 48);
  const b0 = v128.load(cb), b1 = v128.load(cb, 16), b2 = v128.load(cb, 32), b3 = v128.load(cb, 48);
  let p0 = v128.load(cp), p1 = v128.load(cp, 16), p2 = v128.load(cp, 32), p3 = v128.load(cp, 48);
  let seeded = seeded0;
  for (let i = t0; i < t1; i++) {
    const xs = ldx(x, i);
    const xi = f64x2.splat(xs);
    if (xs != xs) {
      stNaN8(o, vs);
      seeded = false;
    } else {
      if (seeded) {
        p0 = blend2(a0, xi, b0, p0);
        p1 = blend2(a1, xi, b1, p1);
        p2 = blend2(a2, xi, b2, p2);
        p3 = blend2(a3, xi, b3, p3);
      } else {
        p0 = xi; p1 = xi; p2 = xi; p3 = xi;
        seeded = true;
      }
      st8finite(o, vs, p0, p1, p2, p3);
    }
    o += tStride;
  }
  v128.store(cp, p0); v128.store(cp, p1, 16); v128.store(cp, p2, 32); v128.store(cp, p3, 48);
}

/** The chain of 1 … 3 stages over the block of four variants j … j + 3, bars t0 … t1 − 1 at `o`, states in registers. */
@inline function ewmaBlock4(x: usize, o: usize, t0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, j: i32, scratch: usize, stages: i32, seeded0: bool): void {
  const two = 2.0, three = 3.0;
  const a0 = v128.load(cell(scratch, n, EWMA_A, j)), a1 = v128.load(cell(scratch, n, EWMA_A, j + 2));
  const b0 = v128.load(cell(scratch, n, EWMA_B, j)), b1 = v128.load(cell(scratch, n, EWMA_B, j + 2));
  let p0 = v128.load(cell(scratch, n, EWMA_Y1, j)), p1 = v128.load(cell(scratch, n, EWMA_Y1, j + 2));
  let q0 = v128.load(cell(scratch, n, EWMA_Y2, j)), q1 = v128.load(cell(scratch, n, EWMA_Y2, j + 2));
  let r0 = v128.load(cell(scratch, n, EWMA_Y3, j)), r1 = v128.load(cell(scratch, n, EWMA_Y3, j + 2));
  let seeded = seeded0;
  for (let i = t0; i < t1; i++) {
    const xs = ldx(x, i);
    const xi = f64x2.splat(xs);
    if (xs != xs) {
      stNaN4(o, vStride);
      seeded = false;
      o += tStride;
      continue;
    }
    if (seeded) {
      p0 = blend2(a0, xi, b0, p0);
      p1 = blend2(a1, xi, b1, p1);
    } else {
      p0 = xi; p1 = xi;
    }
    let v0 = p0, v1 = p1;
    if (stages >= 2) {
      if (seeded) {
        q0 = blend2(a0, p0, b0, q0);
        q1 = blend2(a1, p1, b1, q1);
      } else {
        q0 = p0; q1 = p1;
      }
      if (stages == 2) {
        v0 = f64x2.sub(f64x2.mul(f64x2.splat(two), p0), q0);
        v1 = f64x2.sub(f64x2.mul(f64x2.splat(two), p1), q1);
      } else {
        if (seeded) {
          r0 = blend2(a0, q0, b0, r0);
          r1 = blend2(a1, q1, b1, r1);
        } else {
          r0 = q0; r1 = q1;
        }
        v0 = f64x2.add(f64x2.sub(f64x2.mul(f64x2.splat(three), p0), f64x2.mul(f64x2.splat(three), q0)), r0);
        v1 = f64x2.add(f64x2.sub(f64x2.mul(f64x2.splat(three), p1), f64x2.mul(f64x2.splat(three), q1)), r1);
      }
    }
    seeded = true;
    st4finite(o, vStride, v0, v1);
    o += tStride;
  }
  v128.store(cell(scratch, n, EWMA_Y1, j), p0); v128.store(cell(scratch, n, EWMA_Y1, j + 2), p1);
  v128.store(cell(scratch, n, EWMA_Y2, j), q0); v128.store(cell(scratch, n, EWMA_Y2, j + 2), q1);
  v128.store(cell(scratch, n, EWMA_Y3, j), r0); v128.store(cell(scratch, n, EWMA_Y3, j + 2), r1);
}

/** The chain of 1 … 3 stages one variant at a time (variants full … n − 1), bars t0 … t1 − 1; both builds. */
@inline function ewmaTail(x: usize, out: usize, t0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, full: i32, scratch: usize, stages: i32): void {
  const two = 2.0, three = 3.0;
  for (let j = full; j < n; j++) {
    const a = load<f64>(cell(scratch, n, EWMA_A, j)), b = load<f64>(cell(scratch, n, EWMA_B, j));
    let p = load<f64>(cell(scratch, n, EWMA_Y1, j)), q = load<f64>(cell(scratch, n, EWMA_Y2, j)), r = load<f64>(cell(scratch, n, EWMA_Y3, j));
    let o = out + <usize>j * vStride + <usize>t0 * tStride;
    for (let i = t0; i < t1; i++) {
      p = ewma1(p, ldx(x, i), a, b);
      let v = p;
      if (stages >= 2) {
        q = ewma1(q, p, a, b);
        if (stages == 2) {
          v = two * p - q;
        } else {
          r = ewma1(r, q, a, b);
          v = three * p - three * q + r;
        }
      }
      st1(o, v);
      o += tStride;
    }
    store<f64>(cell(scratch, n, EWMA_Y1, j), p); store<f64>(cell(scratch, n, EWMA_Y2, j), q); store<f64>(cell(scratch, n, EWMA_Y3, j), r);
  }
}

/**
 * The chain of 1 … 3 stages in the talib profile: TA-Lib's EMA (emaTalibStep) on every segment of
 * valid values. Stage s + 1 runs on stage s's values from the bar stage s has its seed (w − 1 valid
 * bars later each), so the chain's first value is stages·(w − 1) valid bars into a segment, NaN
 * before; a NaN bar gives NaN and restarts the segment. The count of valid bars (EWMA_K, the cells
 * of b) stops at stages·(w − 1) + 1, where every stage is past its seed, so the state stays bounded
 * and a warm start reaches the same one. Dry chunks go to the sink as in ewmaChain. The SIMD build
 * runs a block of four variants whose stages are all past their seeds in registers until a NaN bar
 * (ewmaTalibSteady4); every other stretch runs one variant at a time (ewmaTalibRun), with the same
 * operations in the same order.
 */
function ewmaTalib(x: usize, stored: usize, sink: usize, skip: i32, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize, stages: i32, resume: bool): void {
  // the count takes the place of b (the step uses a alone), which time pieces save with a and y1
  if (!resume) for (let j = 0; j < n; j++) store<f64>(cell(scratch, n, EWMA_K, j), 0.0);
  for (let t0 = 0, step = spanTile(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    const out = dryBase(stored, sink, t0, t1, skip, tStride);
    if (out == stored) claimRows(out, t0, t1, tStride, vStride, n);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= n; j += 4) {
        let steady = true;
        for (let l = j; l < j + 4; l++) steady = steady && load<f64>(cell(scratch, n, EWMA_K, l)) > <f64>(stages * (<i32>paramAt(params, n, 0, l) - 1));
        let i = t0;
        if (steady) i = ewmaTalibSteady4(x, out + <usize>j * vStride + <usize>t0 * tStride, t0, t1, tStride, vStride, n, j, scratch, stages);
        if (i < t1) for (let l = j; l < j + 4; l++) ewmaTalibRun(x, out, i, t1, tStride, vStride, n, l, params, scratch, stages);
      }
    }
    for (; j < n; j++) ewmaTalibRun(x, out, t0, t1, tStride, vStride, n, j, params, scratch, stages);
  }
}

/** The talib chain of variant j over bars i0 … t1 − 1 (rows at out), state in scratch; both builds. */
@inline function ewmaTalibRun(x: usize, out: usize, i0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, j: i32, params: usize, scratch: usize, stages: i32): void {
  const two = 2.0, three = 3.0;
  const w = <i32>paramAt(params, n, 0, j);
  const wf = <f64>w, k = load<f64>(cell(scratch, n, EWMA_A, j));
  const first = stages * (w - 1);
  let p = load<f64>(cell(scratch, n, EWMA_Y1, j)), q = load<f64>(cell(scratch, n, EWMA_Y2, j)), r = load<f64>(cell(scratch, n, EWMA_Y3, j));
  let c = <i32>load<f64>(cell(scratch, n, EWMA_K, j));
  let o = out + <usize>j * vStride + <usize>i0 * tStride;
  for (let i = i0; i < t1; i++) {
    const xs = ldx(x, i);
    let v = NaN;
    if (xs != xs) {
      c = 0;
    } else {
      p = emaTalibStep(p, xs, c, w, wf, k);
      if (stages >= 2 && c >= w - 1) {
        q = emaTalibStep(q, p, c - (w - 1), w, wf, k);
        if (stages == 3 && c >= 2 * (w - 1)) r = emaTalibStep(r, q, c - 2 * (w - 1), w, wf, k);
      }
      if (c >= first) v = stages == 1 ? p : stages == 2 ? two * p - q : three * p - three * q + r;
      if (c <= first) c++;
    }
    st1(o, v);
    o += tStride;
  }
  store<f64>(cell(scratch, n, EWMA_Y1, j), p); store<f64>(cell(scratch, n, EWMA_Y2, j), q); store<f64>(cell(scratch, n, EWMA_Y3, j), r);
  store<f64>(cell(scratch, n, EWMA_K, j), <f64>c);
}

/**
 * The talib chain of the block of four variants j … j + 3, every stage past its seed, from bar i0
 * (at `o`) until t1 or the first NaN bar, which it leaves to ewmaTalibRun; returns that bar. The
 * step ((x − y)·k) + y per stage and the outputs as in ewmaTalibRun, two lanes per f64x2. SIMD build.
 */
@inline function ewmaTalibSteady4(x: usize, o: usize, i0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, j: i32, scratch: usize, stages: i32): i32 {
  const two = f64x2.splat(2.0), three = f64x2.splat(3.0);
  const k0 = v128.load(cell(scratch, n, EWMA_A, j)), k1 = v128.load(cell(scratch, n, EWMA_A, j + 2));
  let p0 = v128.load(cell(scratch, n, EWMA_Y1, j)), p1 = v128.load(cell(scratch, n, EWMA_Y1, j + 2));
  let q0 = v128.load(cell(scratch, n, EWMA_Y2, j)), q1 = v128.load(cell(scratch, n, EWMA_Y2, j + 2));
  let r0 = v128.load(cell(scratch, n, EWMA_Y3, j)), r1 = v128.load(cell(scratch, n, EWMA_Y3, j + 2));
  let i = i0;
  for (; i < t1; i++) {
    const xs = ldx(x, i);
    if (xs != xs) break;
    const xi = f64x2.splat(xs);
    p0 = emaTalib2(p0, xi, k0);
    p1 = emaTalib2(p1, xi, k1);
    let v0 = p0, v1 = p1;
    if (stages >= 2) {
      q0 = emaTalib2(q0, p0, k0);
      q1 = emaTalib2(q1, p1, k1);
      if (stages == 2) {
        v0 = f64x2.sub(f64x2.mul(two, p0), q0);
        v1 = f64x2.sub(f64x2.mul(two, p1), q1);
      } else {
        r0 = emaTalib2(r0, q0, k0);
        r1 = emaTalib2(r1, q1, k1);
        v0 = f64x2.add(f64x2.sub(f64x2.mul(three, p0), f64x2.mul(three, q0)), r0);
        v1 = f64x2.add(f64x2.sub(f64x2.mul(three, p1), f64x2.mul(three, q1)), r1);
      }
    }
    st4finite(o, vStride, v0, v1);
    o += tStride;
  }
  v128.store(cell(scratch, n, EWMA_Y1, j), p0); v128.store(cell(scratch, n, EWMA_Y1, j + 2), p1);
  v128.store(cell(scratch, n, EWMA_Y2, j), q0); v128.store(cell(scratch, n, EWMA_Y2, j + 2), q1);
  v128.store(cell(scratch, n, EWMA_Y3, j), r0); v128.store(cell(scratch, n, EWMA_Y3, j + 2), r1);
  return i;
}

export function ema(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  ewmaChain(io, t, n, params, tStride, vStride, scratch, 1, false);
}
export function rma(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  ewmaChain(io, t, n, params, tStride, vStride, scratch, 1, true);
}
export function dema(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  ewmaChain(io, t, n, params, tStride, vStride, scratch, 2, false);
}
export function tema(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  ewmaChain(io, t, n, params, tStride, vStride, scratch, 3, false);
}

/**
 * The pointer p moved back by `base` rows of `stride` bytes: row index i (a bar index of the whole
 * series) then addresses the call's row i − base. Resumable kernels loop over bar indices with
 * it, so every rule on the bar index (a window is full, a term leaves, a ring slot) reads as in an
 * unsplit call. The address wraps as wasm32 addresses do; only the call's rows and its history are read.
 */
@inline function barBase(p: usize, base: i32, stride: usize): usize {
  return p - <usize>base * stride;
}

// ---------------------------------------------------------------- zlema
// A[t] = src[t] + (src[t] − src[t − L]) (NaN before L; A = src when L = 0), value = EMA(A, n).
// Scratch: ZLEMA_ARRAYS arrays of n f64: a, b, y, L (as f64). Lanes gather src[t − L] per variant.

export function zlema(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // bar indices: the loops run over the bars of the whole series (base … base + t − 1), with the
  // pointers moved so that index i addresses bar i (lag reads reach back L bars, never before bar 0)
  const base = firstBar(io);
  const x = barBase(ioPtr(io, IO_SRC), base, 4);
  const out = barBase(outPtr(io, 0), base, tStride);
  const resume = resumed(io);
  for (let j = 0; j < n; j++) {
    const w = paramAt(params, n, 0, j);
    const a = 2.0 / (w + 1.0);
    store<f64>(cell(scratch, n, ZLEMA_A, j), a);
    store<f64>(cell(scratch, n, ZLEMA_B, j), 1.0 - a);
    if (!resume) store<f64>(cell(scratch, n, ZLEMA_Y, j), NaN);
    store<f64>(cell(scratch, n, ZLEMA_LAG, j), <f64>((<i32>w - 1) / 2));
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = base, tEnd = base + t, step = span(t, vStride); t0 < tEnd; t0 += step) {
    const t1 = min(tEnd, t0 + step);
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 2) {
        const a = v128.load(cell(scratch, n, ZLEMA_A, j)), b = v128.load(cell(scratch, n, ZLEMA_B, j));
        let y = v128.load(cell(scratch, n, ZLEMA_Y, j));
        const L0 = <i32>load<f64>(cell(scratch, n, ZLEMA_LAG, j)), L1 = <i32>load<f64>(cell(scratch, n, ZLEMA_LAG, j + 1));
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const xi = f64x2.splat(ldx(x, i));
          const lag = gather2(x + (<usize>max(i - L0, 0) << 2), x + (<usize>max(i - L1, 0) << 2));
          let A = f64x2.add(xi, f64x2.sub(xi, lag));
          A = f64x2.replace_lane(A, 0, L0 == 0 ? f64x2.extract_lane(xi, 0) : (i < L0 ? NaN : f64x2.extract_lane(A, 0)));
          A = f64x2.replace_lane(A, 1, L1 == 0 ? f64x2.extract_lane(xi, 1) : (i < L1 ? NaN : f64x2.extract_lane(A, 1)));
          y = ewma2(y, A, a, b);
          st2(o, vStride, y);
          o += tStride;
        }
        v128.store(cell(scratch, n, ZLEMA_Y, j), y);
      }
    }
    for (let j = full; j < n; j++) {
      const a = load<f64>(cell(scratch, n, ZLEMA_A, j)), b = load<f64>(cell(scratch, n, ZLEMA_B, j));
      let y = load<f64>(cell(scratch, n, ZLEMA_Y, j));
      const L = <i32>load<f64>(cell(scratch, n, ZLEMA_LAG, j));
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const xi = ldx(x, i);
        const A = L == 0 ? xi : (i < L ? NaN : xi + (xi - ldx(x, i - L)));
        y = ewma1(y, A, a, b);
        st1(o, y);
        o += tStride;
      }
      store<f64>(cell(scratch, n, ZLEMA_Y, j), y);
    }
  }
}

// ---------------------------------------------------------------- sma: ROLLMEAN(src, n)
// Scratch: SMA_ARRAYS arrays of n f64 (scratch.ts: S, k, z, n; 1/n in SMA_RECIP on the exact path
// below); then two arrays of t + 1 + SMA_NMAX f64: prefix sums P and NaN counts K of src, newest first.
//
// Exact path (SIMD build). ROLLSUM's additions are exact when every valid value is a multiple of
// the grid g = 2^(emin − 23) of the smallest exponent in the series and no partial sum reaches
// 2^53·g: then each S is the exact sum of its window, and so is P[i + 1] − P[i + 1 − n] for the exact
// prefix sums P (a window of zeros sums to +0 either way, as the z reset gives). `exactPrefix`
// checks that once per call from the exponent range (emax − emin plus the bits of t + nmax + 2
// within 29) and builds P and K. The lanes then need no carried state: S is one subtraction, the
// window holds a NaN where the K difference is non-zero, and S / n is taken as the product with
// 1/n where that narrows to the same float32 (`nearMidpoint4`; the check also keeps every non-zero
// |S| / n float32-normal), dividing exactly otherwise. TIME_MAJOR calls only (VARIANT_MAJOR rows
// stream well through the recursion); consecutive windows run row by row (each output row written
// in order), others block by block.
// Otherwise the recursion: lanes gather the outgoing src[t − n] per variant; on a clean stretch
// (no NaN or zero the loop reads) only S moves, with the same product-or-quotient narrowing.

@inline const SMA_NMAX: i32 = 2000; // the window bound of ma.sma / volume.volume_sma

/** Builds P and K (newest first, zero past the start) when every ROLLSUM of windows ≤ nmax is exact. */
function exactPrefix(x: usize, t: i32, nmax: i32, P: usize, K: usize): bool {
  if (nmax > SMA_NMAX) return false;
  let emin: i32 = 255, emax: i32 = 0;
  for (let i = 0; i < t; i++) {
    const u = load<u32>(x + (<usize>i << 2));
    const e = <i32>((u >> 23) & 0xff);
    if (e == 255) {
      if ((u & 0x7fffff) == 0) return false; // ±inf
      continue;                               // NaN: skipped
    }
    if ((u & 0x7fffffff) == 0) continue;      // ±0 adds nothing
    const ee = max(e, 1);
    emin = min(emin, ee); emax = max(emax, ee);
  }
  if (emin > emax) { emin = 127; emax = 127; }
  if ((emax - emin) + (32 - <i32>clz<u32>(<u32>(t + nmax + 2))) > 29) return false;
  // the smallest non-zero |S| / n is at least g / nmax = 2^(emin − 150 − bits(nmax)): keep it float32-normal
  if (emin - 150 - (32 - <i32>clz<u32>(<u32>nmax)) < -125) return false;
  let acc = 0.0, nans = 0.0;
  store<f64>(P + (<usize>t << 3), 0.0); store<f64>(K + (<usize>t << 3), 0.0);
  for (let i = 0; i < t; i++) {
    const v = ldx(x, i);
    if (v == v) acc += v; else nans += 1.0;
    store<f64>(P + (<usize>(t - 1 - i) << 3), acc);
    store<f64>(K + (<usize>(t - 1 - i) << 3), nans);
  }
  for (let k = t + 1; k <= t + nmax; k++) { store<f64>(P + (<usize>k << 3), 0.0); store<f64>(K + (<usize>k << 3), 0.0); }
  return true;
}

/** One bar of a block on the exact path where the window may hold a NaN or be short: exact division, NaN mask. */
@inline function smaExactCareful(o: usize, vStride: usize, i: i32, pi: v128, ki: v128, uA: v128, uB: v128, kA: v128, kB: v128, nfA: v128, nfB: v128): void {
  const one = f64x2.splat(1.0), zero = f64x2.splat(0.0), nan = f64x2.splat(NaN);
  const badA = v128.or(f64x2.gt(f64x2.sub(ki, kA), zero), f64x2.lt(f64x2.splat(<f64>i), f64x2.sub(nfA, one)));
  const badB = v128.or(f64x2.gt(f64x2.sub(ki, kB), zero), f64x2.lt(f64x2.splat(<f64>i), f64x2.sub(nfB, one)));
  st4(o, vStride, v128.bitselect(nan, f64x2.div(f64x2.sub(pi, uA), nfA), badA), v128.bitselect(nan, f64x2.div(f64x2.sub(pi, uB), nfB), badB));
}

/** The exact path for variant blocks [0, full): every bar, no carried state. */
function smaExact(t: i32, n: i32, full: i32, nmax: i32, out: usize, tStride: usize, vStride: usize, scratch: usize, P: usize, K: usize): void {
  const w00 = <i32>load<f64>(cell(scratch, n, SMA_N, 0));
  let consecutive = true;
  for (let j = 0; j < full; j++) {
    const nf = load<f64>(cell(scratch, n, SMA_N, j));
    store<f64>(cell(scratch, n, SMA_RECIP, j), 1.0 / nf);
    if (<i32>nf != w00 + j) consecutive = false;
  }
  const midAdd = i32x4.splat(MID_ADD), midLim = i32x4.splat(MID_LIM);
  if (consecutive) {
    // row by row: P[i + 1 − n] of variants j, j + 1, … are adjacent (P newest first)
    for (let i = 0; i < t; i++) {
      const b = P + (<usize>(t - 1 - i) << 3), kb = K + (<usize>(t - 1 - i) << 3);
      const pi = v128.load64_splat(b);
      const row = out + <usize>i * tStride;
      if (i >= nmax - 1 && load<f64>(kb) == load<f64>(kb + (<usize>nmax << 3))) {
        let pb = b + (<usize>w00 << 3), rb = cell(scratch, n, SMA_RECIP, 0), o = row;
        let j = 0;
        // eight variants a step, one midpoint test for them (the test is rarely true)
        for (; j + 8 <= full; j += 8) {
          const sA = f64x2.sub(pi, v128.load(pb)), sB = f64x2.sub(pi, v128.load(pb, 16));
          const sC = f64x2.sub(pi, v128.load(pb, 32)), sD = f64x2.sub(pi, v128.load(pb, 48));
          let qA = f64x2.mul(sA, v128.load(rb)), qB = f64x2.mul(sB, v128.load(rb, 16));
          let qC = f64x2.mul(sC, v128.load(rb, 32)), qD = f64x2.mul(sD, v128.load(rb, 48));
          if (v128.any_true(v128.or(nearMidpoint4(qA, qB, midAdd, midLim), nearMidpoint4(qC, qD, midAdd, midLim)))) {
            const nb = cell(scratch, n, SMA_N, j);
            qA = f64x2.div(sA, v128.load(nb)); qB = f64x2.div(sB, v128.load(nb, 16));
            qC = f64x2.div(sC, v128.load(nb, 32)); qD = f64x2.div(sD, v128.load(nb, 48));
          }
          v128.store(o, narrowFinite(qA, qB)); v128.store(o, narrowFinite(qC, qD), 16);
          pb += 64; rb += 64; o += 32;
        }
        if (j < full) {
          const sA = f64x2.sub(pi, v128.load(pb)), sB = f64x2.sub(pi, v128.load(pb, 16));
          let qA = f64x2.mul(sA, v128.load(rb)), qB = f64x2.mul(sB, v128.load(rb, 16));
          if (v128.any_true(nearMidpoint4(qA, qB, midAdd, midLim))) {
            qA = f64x2.div(sA, v128.load(cell(scratch, n, SMA_N, j))); qB = f64x2.div(sB, v128.load(cell(scratch, n, SMA_N, j + 2)));
          }
          v128.store(o, narrowFinite(qA, qB));
        }
      } else {
        const ki = v128.load64_splat(kb);
        let pb = b + (<usize>w00 << 3), kk = kb + (<usize>w00 << 3), o = row;
        for (let j = 0; j < full; j += 4) {
          smaExactCareful(o, vStride, i, pi, ki, v128.load(pb), v128.load(pb, 16), v128.load(kk), v128.load(kk, 16),
            v128.load(cell(scratch, n, SMA_N, j)), v128.load(cell(scratch, n, SMA_N, j + 2)));
          pb += 32; kk += 32; o += 16;
        }
      }
    }
    return;
  }
  for (let j = 0; j < full; j += 4) {
    const nfA = v128.load(cell(scratch, n, SMA_N, j)), nfB = v128.load(cell(scratch, n, SMA_N, j + 2));
    const rA = v128.load(cell(scratch, n, SMA_RECIP, j)), rB = v128.load(cell(scratch, n, SMA_RECIP, j + 2));
    const o0 = <usize>(<i32>f64x2.extract_lane(nfA, 0)) << 3, o1 = <usize>(<i32>f64x2.extract_lane(nfA, 1)) << 3;
    const o2 = <usize>(<i32>f64x2.extract_lane(nfB, 0)) << 3, o3 = <usize>(<i32>f64x2.extract_lane(nfB, 1)) << 3;
    const wb = <i32>max(max(o0, o1), max(o2, o3)) >> 3;
    let o = out + <usize>j * vStride;
    for (let i = 0; i < t; i++) {
      const b = P + (<usize>(t - 1 - i) << 3), kb = K + (<usize>(t - 1 - i) << 3);
      const pi = v128.load64_splat(b);
      const uA = f64x2.replace_lane(v128.load64_splat(b + o0), 1, load<f64>(b + o1));
      const uB = f64x2.replace_lane(v128.load64_splat(b + o2), 1, load<f64>(b + o3));
      if (i >= wb - 1 && load<f64>(kb) == load<f64>(kb + (<usize>wb << 3))) {
        const sA = f64x2.sub(pi, uA), sB = f64x2.sub(pi, uB);
        let qA = f64x2.mul(sA, rA), qB = f64x2.mul(sB, rB);
        if (v128.any_true(nearMidpoint4(qA, qB, midAdd, midLim))) {
          qA = f64x2.div(sA, nfA); qB = f64x2.div(sB, nfB);
        }
        store4(o, vStride, narrowFinite(qA, qB));
      } else {
        smaExactCareful(o, vStride, i, pi, v128.load64_splat(kb),
          uA, uB, f64x2.replace_lane(v128.load64_splat(kb + o0), 1, load<f64>(kb + o1)), f64x2.replace_lane(v128.load64_splat(kb + o2), 1, load<f64>(kb + o3)), nfA, nfB);
      }
      o += tStride;
    }
  }
}

/**
 * After the exact path, the recursion's state at the call's last bar for variants [0, full), for a
 * resumed call to continue. The recursion's S is then the exact sum of its window, which is the
 * difference of the prefix sums (+0 for a zero sum, as the recursion gives: its S is never −0);
 * k is the difference of the NaN counts; z, the valid non-zero terms of the window, comes from
 * counts Z[d] over bars t − d … t − 1 (none before bar 0), written over P, no longer needed.
 * SMA_RECIP shared the k array: it is overwritten here.
 */
function smaExactState(x: usize, t: i32, n: i32, full: i32, nmax: i32, scratch: usize, P: usize, K: usize): void {
  for (let j = 0; j < full; j++) {
    const wb = <usize>(<i32>load<f64>(cell(scratch, n, SMA_N, j))) << 3;
    store<f64>(cell(scratch, n, SMA_SUM, j), load<f64>(P) - load<f64>(P + wb));
    store<f64>(cell(scratch, n, SMA_SUM + 1, j), load<f64>(K) - load<f64>(K + wb));
  }
  let c = 0.0;
  store<f64>(P, 0.0);
  for (let d = 1; d <= nmax; d++) {
    if (d <= t) {
      const v = ldx(x, t - d);
      if (v == v && v != 0) c += 1.0;
    }
    store<f64>(P + (<usize>d << 3), c);
  }
  for (let j = 0; j < full; j++) {
    const wb = <usize>(<i32>load<f64>(cell(scratch, n, SMA_N, j))) << 3;
    store<f64>(cell(scratch, n, SMA_SUM + 2, j), load<f64>(P + wb));
  }
}

export function sma(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // The state between calls is the recursion's S, k, z. A call that starts the series may take the
  // exact path and then derives that state from its tables; a resumed call runs the recursion.
  // The recursion loops over bar indices (barBase): the first window and the outgoing src[i − n]
  // follow the bar index.
  const base = firstBar(io);
  const resume = resumed(io);
  const x = barBase(ioPtr(io, IO_SRC), base, 4);
  const out = barBase(outPtr(io, 0), base, tStride);
  for (let j = 0; j < n; j++) {
    if (!resume) {
      store<f64>(cell(scratch, n, SMA_SUM, j), 0.0);
      store<f64>(cell(scratch, n, SMA_SUM + 1, j), 0.0);
      store<f64>(cell(scratch, n, SMA_SUM + 2, j), 0.0);
    }
    store<f64>(cell(scratch, n, SMA_N, j), paramAt(params, n, 0, j));
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  let blocks = full; // variants the SIMD blocks of the recursion cover
  // The last bar before t1 whose value is NaN or ±0 (it moves k or leaves z alone). A resumed call
  // takes the bar before it as such a bar, so that the clean stretch reads only the call's bars.
  let lastBad = base - 1;
  if (ASC_FEATURE_SIMD && full > 0 && !resume) {
    let nmax = 1;
    for (let j = 0; j < full; j++) nmax = max(nmax, <i32>paramAt(params, n, 0, j));
    const P = scratch + ((<usize>n * SMA_ARRAYS) << 3);
    const K = P + ((<usize>(t + 1 + SMA_NMAX)) << 3);
    if (vStride == 4 && exactPrefix(x, t, nmax, P, K)) {
      smaExact(t, n, full, nmax, out, tStride, vStride, scratch, P, K);
      smaExactState(x, t, n, full, nmax, scratch, P, K);
      blocks = 0; // the blocks are done; the recursion below runs the scalar tail only
    }
  }
  for (let t0 = base, tEnd = base + t, step = span(t, vStride); t0 < tEnd; t0 += step) {
    const t1 = min(tEnd, t0 + step);
    if (ASC_FEATURE_SIMD && blocks > 0) {
      for (let i = t0; i < t1; i++) {
        const xs = ldx(x, i);
        if (xs != xs || xs == 0) lastBad = i;
      }
      for (let j = 0; j < blocks; j += 4) {
        // Blocks of four variants. Until every window of the block is full (i < nmax) the masked
        // step runs with its state in scratch; from then on the steady-state loop keeps S, k, z in
        // registers: the incoming value is shared by all lanes (one branch), only the outgoing
        // src[i − n] differs per lane. Same operations per lane as rollsumStep1.
        // Clean stretch: when no bar the steady loop reads (i − nmax … t1 − 1) is NaN or zero, k
        // stays 0 and z stays n, so only S moves: S + v − u and the quotient S / n, taken as a
        // product with 1/n where that narrows to the same float32 (quotientUnsafe).
        const nfA = v128.load(cell(scratch, n, SMA_N, j)), nfB = v128.load(cell(scratch, n, SMA_N, j + 2));
        const nm1A = f64x2.sub(nfA, f64x2.splat(1.0)), nm1B = f64x2.sub(nfB, f64x2.splat(1.0));
        const w0 = <i32>f64x2.extract_lane(nfA, 0), w1 = <i32>f64x2.extract_lane(nfA, 1);
        const w2 = <i32>f64x2.extract_lane(nfB, 0), w3 = <i32>f64x2.extract_lane(nfB, 1);
        const nmax = max(max(w0, w1), max(w2, w3));
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        let i = t0;
        const slowEnd = min(t1, nmax);
        for (; i < slowEnd; i++) {
          const v = f64x2.splat(ldx(x, i));
          const sA = rollsumStep2(cell(scratch, n, SMA_SUM, j), cell(scratch, n, SMA_SUM + 1, j), cell(scratch, n, SMA_SUM + 2, j), v, gather2(back(x, i, w0), back(x, i, w1)), geMask(i, nfA), geMask(i, nm1A));
          const sB = rollsumStep2(cell(scratch, n, SMA_SUM, j + 2), cell(scratch, n, SMA_SUM + 1, j + 2), cell(scratch, n, SMA_SUM + 2, j + 2), v, gather2(back(x, i, w2), back(x, i, w3)), geMask(i, nfB), geMask(i, nm1B));
          st4(o, vStride, f64x2.div(sA, nfA), f64x2.div(sB, nfB));
          o += tStride;
        }
        if (i < t1 && lastBad < i - nmax) {
          let SA = v128.load(cell(scratch, n, SMA_SUM, j)), SB = v128.load(cell(scratch, n, SMA_SUM, j + 2));
          const one = f64x2.splat(1.0);
          const rA = f64x2.div(one, nfA), rB = f64x2.div(one, nfB);
          const consec = w1 == w0 + 1 && w2 == w0 + 2 && w3 == w0 + 3;
          const midAdd = i32x4.splat(MID_ADD), midLim = i32x4.splat(MID_LIM);
          const absMask = i64x2.splat(0x7fffffffffffffff), smallest = i64x2.splat(0x3820000000000000);
          for (; i < t1; i++) {
            const v = f64x2.splat(ldx(x, i));
            const uA = outgoingA(consec, x, i, w0, w1, w3), uB = outgoingB(consec, x, i, w2, w3);
            SA = f64x2.sub(f64x2.add(SA, v), uA); SB = f64x2.sub(f64x2.add(SB, v), uB);
            let qA = f64x2.mul(SA, rA), qB = f64x2.mul(SB, rB);
            if (v128.any_true(v128.or(nearMidpoint4(qA, qB, midAdd, midLim), v128.or(smallQuotient(qA, absMask, smallest), smallQuotient(qB, absMask, smallest))))) {
              qA = f64x2.div(SA, nfA); qB = f64x2.div(SB, nfB);
            }
            store4(o, vStride, narrowFinite(qA, qB));
            o += tStride;
          }
          v128.store(cell(scratch, n, SMA_SUM, j), SA); v128.store(cell(scratch, n, SMA_SUM, j + 2), SB);
        }
        if (i < t1) {
          let SA = v128.load(cell(scratch, n, SMA_SUM, j)), SB = v128.load(cell(scratch, n, SMA_SUM, j + 2));
          let kA = v128.load(cell(scratch, n, SMA_SUM + 1, j)), kB = v128.load(cell(scratch, n, SMA_SUM + 1, j + 2));
          let zA = v128.load(cell(scratch, n, SMA_SUM + 2, j)), zB = v128.load(cell(scratch, n, SMA_SUM + 2, j + 2));
          const zero = f64x2.splat(0.0), one = f64x2.splat(1.0), nan = f64x2.splat(NaN);
          for (; i < t1; i++) {
            const xs = ldx(x, i);
            if (xs != xs) {
              kA = f64x2.add(kA, one); kB = f64x2.add(kB, one);
            } else {
              const v = f64x2.splat(xs);
              if (xs != 0) { zA = f64x2.add(zA, one); zB = f64x2.add(zB, one); }
              SA = f64x2.add(SA, v); SB = f64x2.add(SB, v);
            }
            const uA = gather2(x + (<usize>(i - w0) << 2), x + (<usize>(i - w1) << 2));
            const uB = gather2(x + (<usize>(i - w2) << 2), x + (<usize>(i - w3) << 2));
            const unA = f64x2.ne(uA, uA), unB = f64x2.ne(uB, uB);
            kA = f64x2.sub(kA, v128.and(unA, one)); kB = f64x2.sub(kB, v128.and(unB, one));
            zA = f64x2.sub(zA, v128.and(v128.andnot(f64x2.ne(uA, zero), unA), one));
            zB = f64x2.sub(zB, v128.and(v128.andnot(f64x2.ne(uB, zero), unB), one));
            SA = v128.bitselect(SA, f64x2.sub(SA, uA), unA); SB = v128.bitselect(SB, f64x2.sub(SB, uB), unB);
            SA = v128.bitselect(zero, SA, f64x2.eq(zA, zero)); SB = v128.bitselect(zero, SB, f64x2.eq(zB, zero));
            const rA = v128.bitselect(nan, f64x2.div(SA, nfA), f64x2.gt(kA, zero));
            const rB = v128.bitselect(nan, f64x2.div(SB, nfB), f64x2.gt(kB, zero));
            st4(o, vStride, rA, rB);
            o += tStride;
          }
          v128.store(cell(scratch, n, SMA_SUM, j), SA); v128.store(cell(scratch, n, SMA_SUM, j + 2), SB);
          v128.store(cell(scratch, n, SMA_SUM + 1, j), kA); v128.store(cell(scratch, n, SMA_SUM + 1, j + 2), kB);
          v128.store(cell(scratch, n, SMA_SUM + 2, j), zA); v128.store(cell(scratch, n, SMA_SUM + 2, j + 2), zB);
        }
      }
    }
    for (let j = full; j < n; j++) {
      const nf = load<f64>(cell(scratch, n, SMA_N, j));
      const w = <i32>nf;
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const s = rollsumStep1(cell(scratch, n, SMA_SUM, j), cell(scratch, n, SMA_SUM + 1, j), cell(scratch, n, SMA_SUM + 2, j), ldx(x, i), i >= w ? ldx(x, i - w) : 0.0, i >= w, i >= w - 1);
        st1(o, s / nf);
        o += tStride;
      }
    }
  }
}

// ---------------------------------------------------------------- wma / lwma: WMA(src, n) (primitives.ts)
// Scratch: WMA_ARRAYS arrays of n f64: A, B, k, n.

export function wma(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // loops over bar indices (barBase): the first window and the outgoing src[i − n] follow the bar index
  const base = firstBar(io);
  const x = barBase(ioPtr(io, IO_SRC), base, 4);
  const out = barBase(outPtr(io, 0), base, tStride);
  const resume = resumed(io);
  for (let j = 0; j < n; j++) {
    if (!resume) {
      store<f64>(cell(scratch, n, WMA_ACC, j), 0.0);
      store<f64>(cell(scratch, n, WMA_ACC + 1, j), 0.0);
      store<f64>(cell(scratch, n, WMA_ACC + 2, j), 0.0);
    }
    store<f64>(cell(scratch, n, WMA_N, j), paramAt(params, n, 0, j));
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = base, tEnd = base + t, step = span(t, vStride); t0 < tEnd; t0 += step) {
    const t1 = min(tEnd, t0 + step);
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 2) {
        const nf = v128.load(cell(scratch, n, WMA_N, j));
        const nm1 = f64x2.sub(nf, f64x2.splat(1.0));
        const D = f64x2.div(f64x2.mul(nf, f64x2.add(nf, f64x2.splat(1.0))), f64x2.splat(2.0));
        const w0 = <i32>f64x2.extract_lane(nf, 0), w1 = <i32>f64x2.extract_lane(nf, 1);
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const v = f64x2.splat(ldx(x, i));
          const u = gather2(back(x, i, w0), back(x, i, w1));
          const r = wmaStep2(cell(scratch, n, WMA_ACC, j), cell(scratch, n, WMA_ACC + 1, j), cell(scratch, n, WMA_ACC + 2, j), v, u, f64x2.splat(<f64>i), nf, D, geMask(i, nf), geMask(i, nm1));
          st2(o, vStride, r);
          o += tStride;
        }
      }
    }
    for (let j = full; j < n; j++) {
      const nf = load<f64>(cell(scratch, n, WMA_N, j));
      const D = (nf * (nf + 1.0)) / 2.0;
      const w = <i32>nf;
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const r = wmaStep1(cell(scratch, n, WMA_ACC, j), cell(scratch, n, WMA_ACC + 1, j), cell(scratch, n, WMA_ACC + 2, j), ldx(x, i), i >= w ? ldx(x, i - w) : 0.0, <f64>i, nf, D, i >= w, i >= w - 1);
        st1(o, r);
        o += tStride;
      }
    }
  }
}

// ---------------------------------------------------------------- hma
// D = (2·WMA(src, h)) − WMA(src, n), value = WMA(D, s), h = max(1, ⌊n/2⌋), s = max(1, ⌊√n⌋).
// Per variant: three WMA states and a 64-slot ring of D (s <= 44 for n <= 2000), D of bar t in slot
// t mod 64, so D[t − s] is read back exactly as computed, also by a later call. Scratch: HMA_ARRAYS
// arrays of n f64 (scratch.ts: A, B, k, w for h, n, s) + n·HMA_RING f64 ring, all of it the state.
// SIMD: two variants per block along the whole call (no time chunks: the ring carries the state).

@inline const RING: i32 = HMA_RING;

export function hma(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // loops over bar indices (barBase): the first windows, the outgoing bars and the ring slot of
  // D (bar mod 64) follow the bar index, so the ring carries D across calls
  const base = firstBar(io), tEnd = base + t;
  const x = barBase(ioPtr(io, IO_SRC), base, 4);
  const out = outPtr(io, 0);
  const resume = resumed(io);
  const ring = scratch + ((<usize>n * HMA_ARRAYS) << 3);
  for (let j = 0; j < n; j++) {
    const w = paramAt(params, n, 0, j);
    const h = max(1, <i32>w / 2);
    const s = max(1, <i32>Math.floor(Math.sqrt(w)));
    if (!resume) for (let a = 0; a < HMA_ARRAYS; a++) store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, HMA_HALF_N, j), <f64>h);
    store<f64>(cell(scratch, n, HMA_FULL_N, j), w);
    store<f64>(cell(scratch, n, HMA_SMOOTH_N, j), <f64>s);
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  if (ASC_FEATURE_SIMD) {
    // two variants per block: three WMA states each (scratch), D kept in each lane's own ring
    for (let j = 0; j < full; j += 2) {
      const hv = v128.load(cell(scratch, n, HMA_HALF_N, j)), nv = v128.load(cell(scratch, n, HMA_FULL_N, j)), sv = v128.load(cell(scratch, n, HMA_SMOOTH_N, j));
      const one = f64x2.splat(1.0), two = f64x2.splat(2.0);
      const Dh = f64x2.div(f64x2.mul(hv, f64x2.add(hv, one)), two);
      const Dn = f64x2.div(f64x2.mul(nv, f64x2.add(nv, one)), two);
      const Ds = f64x2.div(f64x2.mul(sv, f64x2.add(sv, one)), two);
      const hm1 = f64x2.sub(hv, one), nm1 = f64x2.sub(nv, one), sm1 = f64x2.sub(sv, one);
      const h0 = <i32>f64x2.extract_lane(hv, 0), h1 = <i32>f64x2.extract_lane(hv, 1);
      const n0 = <i32>f64x2.extract_lane(nv, 0), n1 = <i32>f64x2.extract_lane(nv, 1);
      const s0 = <i32>f64x2.extract_lane(sv, 0), s1 = <i32>f64x2.extract_lane(sv, 1);
      const r0 = ring + ((<usize>j * RING) << 3), r1 = ring + ((<usize>(j + 1) * RING) << 3);
      let o = out + <usize>j * vStride;
      for (let i = base; i < tEnd; i++) {
        const v = f64x2.splat(ldx(x, i));
        const tf = f64x2.splat(<f64>i);
        const a = wmaStep2(cell(scratch, n, HMA_HALF, j), cell(scratch, n, HMA_HALF + 1, j), cell(scratch, n, HMA_HALF + 2, j), v, gather2(back(x, i, h0), back(x, i, h1)), tf, hv, Dh, geMask(i, hv), geMask(i, hm1));
        const b = wmaStep2(cell(scratch, n, HMA_FULL, j), cell(scratch, n, HMA_FULL + 1, j), cell(scratch, n, HMA_FULL + 2, j), v, gather2(back(x, i, n0), back(x, i, n1)), tf, nv, Dn, geMask(i, nv), geMask(i, nm1));
        const d = f64x2.sub(f64x2.mul(two, a), b);
        const slot = <usize>(i & (RING - 1)) << 3;
        store<f64>(r0 + slot, f64x2.extract_lane(d, 0));
        store<f64>(r1 + slot, f64x2.extract_lane(d, 1));
        const dOut = f64x2.replace_lane(f64x2.splat(load<f64>(r0 + (<usize>((i - s0) & (RING - 1)) << 3))), 1, load<f64>(r1 + (<usize>((i - s1) & (RING - 1)) << 3)));
        const r = wmaStep2(cell(scratch, n, HMA_SMOOTH, j), cell(scratch, n, HMA_SMOOTH + 1, j), cell(scratch, n, HMA_SMOOTH + 2, j), d, dOut, tf, sv, Ds, geMask(i, sv), geMask(i, sm1));
        st2(o, vStride, r);
        o += tStride;
      }
    }
  }
  for (let j = full; j < n; j++) {
    const w = <i32>load<f64>(cell(scratch, n, HMA_HALF_N, j));
    const nn = <i32>load<f64>(cell(scratch, n, HMA_FULL_N, j));
    const s = <i32>load<f64>(cell(scratch, n, HMA_SMOOTH_N, j));
    const hf = <f64>w, nf = <f64>nn, sf = <f64>s;
    const Dh = (hf * (hf + 1.0)) / 2.0, Dn = (nf * (nf + 1.0)) / 2.0, Ds = (sf * (sf + 1.0)) / 2.0;
    const rj = ring + ((<usize>j * RING) << 3);
    let o = out + <usize>j * vStride;
    for (let i = base; i < tEnd; i++) {
      const xi = ldx(x, i);
      const a = wmaStep1(cell(scratch, n, HMA_HALF, j), cell(scratch, n, HMA_HALF + 1, j), cell(scratch, n, HMA_HALF + 2, j), xi, i >= w ? ldx(x, i - w) : 0.0, <f64>i, hf, Dh, i >= w, i >= w - 1);
      const b = wmaStep1(cell(scratch, n, HMA_FULL, j), cell(scratch, n, HMA_FULL + 1, j), cell(scratch, n, HMA_FULL + 2, j), xi, i >= nn ? ldx(x, i - nn) : 0.0, <f64>i, nf, Dn, i >= nn, i >= nn - 1);
      const d = 2.0 * a - b;
      store<f64>(rj + ((<usize>(i & (RING - 1))) << 3), d);
      const dOut = i >= s ? load<f64>(rj + ((<usize>((i - s) & (RING - 1))) << 3)) : 0.0;
      const r = wmaStep1(cell(scratch, n, HMA_SMOOTH, j), cell(scratch, n, HMA_SMOOTH + 1, j), cell(scratch, n, HMA_SMOOTH + 2, j), d, dOut, <f64>i, sf, Ds, i >= s, i >= s - 1);
      st1(o, r);
      o += tStride;
    }
  }
}

// ---------------------------------------------------------------- vwma
// num = ROLLSUM(close·volume, n), den = ROLLSUM(volume, n), value = num / den (NaN where den == 0).
// Scratch: VWMA_ARRAYS arrays of n f64 (scratch.ts): S, k, z for num; S, k, z for den; n.

export function vwma(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  // loops over bar indices (barBase): the outgoing bar i − n follows the bar index
  const base = firstBar(io);
  const c = barBase(ioPtr(io, IO_CLOSE), base, 4), vol = barBase(ioPtr(io, IO_VOLUME), base, 4);
  const out = barBase(outPtr(io, 0), base, tStride);
  const resume = resumed(io);
  for (let j = 0; j < n; j++) {
    if (!resume) for (let a = 0; a < 6; a++) store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, VWMA_N, j), paramAt(params, n, 0, j));
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = base, tEnd = base + t, step = span(t, vStride); t0 < tEnd; t0 += step) {
    const t1 = min(tEnd, t0 + step);
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 2) {
        const nf = v128.load(cell(scratch, n, VWMA_N, j));
        const nm1 = f64x2.sub(nf, f64x2.splat(1.0));
        const w0 = <i32>f64x2.extract_lane(nf, 0), w1 = <i32>f64x2.extract_lane(nf, 1);
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const vv = f64x2.splat(ldx(vol, i));
          const pv = f64x2.mul(f64x2.splat(ldx(c, i)), vv);
          const uv = gather2(back(vol, i, w0), back(vol, i, w1));
          const upv = f64x2.mul(gather2(back(c, i, w0), back(c, i, w1)), uv);
          const leave = geMask(i, nf), valid = geMask(i, nm1);
          const num = rollsumStep2(cell(scratch, n, VWMA_NUM, j), cell(scratch, n, VWMA_NUM + 1, j), cell(scratch, n, VWMA_NUM + 2, j), pv, upv, leave, valid);
          const den = rollsumStep2(cell(scratch, n, VWMA_DEN, j), cell(scratch, n, VWMA_DEN + 1, j), cell(scratch, n, VWMA_DEN + 2, j), vv, uv, leave, valid);
          const r = v128.bitselect(f64x2.splat(NaN), f64x2.div(num, den), f64x2.eq(den, f64x2.splat(0.0)));
          st2(o, vStride, r);
          o += tStride;
        }
      }
    }
    for (let j = full; j < n; j++) {
      const w = <i32>load<f64>(cell(scratch, n, VWMA_N, j));
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const vv = ldx(vol, i);
        const pv = ldx(c, i) * vv;
        const leaving = i >= w;
        const uv = leaving ? ldx(vol, i - w) : 0.0;
        const upv = leaving ? ldx(c, i - w) * uv : 0.0;
        const num = rollsumStep1(cell(scratch, n, VWMA_NUM, j), cell(scratch, n, VWMA_NUM + 1, j), cell(scratch, n, VWMA_NUM + 2, j), pv, upv, leaving, i >= w - 1);
        const den = rollsumStep1(cell(scratch, n, VWMA_DEN, j), cell(scratch, n, VWMA_DEN + 1, j), cell(scratch, n, VWMA_DEN + 2, j), vv, uv, leaving, i >= w - 1);
        st1(o, den == 0 ? NaN : num / den);
        o += tStride;
      }
    }
  }
}
