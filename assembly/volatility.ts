// Kernels of the `volatility` group (indicators.md §5). Signature and chunking as in ma.ts.
import { CHUNK, span, IO_CLOSE, IO_HIGH, IO_LOW, IO_SRC, back, cell, gather2, geMask, ioPtr, ldx, outPtr, paramAt, st1, st2, st4 } from './lanes';
import { ewma1, ewma2, rollvarStep1, rollvarStep2 } from './primitives';
import { lnShared } from './mathlog';

/** TR (§2.9) at bar i; the current close is not used, a missing previous close falls back to high − low. */
@inline export function trueRangeAt(h: usize, l: usize, c: usize, i: i32): f64 {
  const hi = ldx(h, i), lo = ldx(l, i);
  if (hi != hi || lo != lo) return NaN;
  const r = hi - lo;
  const pc = i == 0 ? NaN : ldx(c, i - 1);
  if (pc != pc) return r;
  const a = abs(hi - pc), b = abs(lo - pc);
  let tr = r;
  if (a > tr) tr = a;
  if (b > tr) tr = b;
  return tr;
}

// ---------------------------------------------------------------- tr (one variant)

export function tr(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const out = outPtr(io, 0);
  for (let j = 0; j < n; j++) {
    let o = out + <usize>j * vStride;
    for (let i = 0; i < t; i++) {
      st1(o, trueRangeAt(h, l, c, i));
      o += tStride;
    }
  }
}

// ---------------------------------------------------------------- atr: RMA(TR, n)
// Scratch: 3 arrays of n f64 (a, b, y), then CHUNK f64 of the chunk's TR, shared by every variant.

export function atr(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const out = outPtr(io, 0);
  const trs = scratch + ((<usize>n * 3) << 3);
  for (let j = 0; j < n; j++) {
    const a = 1.0 / paramAt(params, n, 0, j);
    store<f64>(cell(scratch, n, 0, j), a);
    store<f64>(cell(scratch, n, 1, j), 1.0 - a);
    store<f64>(cell(scratch, n, 2, j), NaN);
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    for (let i = t0; i < t1; i++) store<f64>(trs + (<usize>(i - t0) << 3), trueRangeAt(h, l, c, i));
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 4) {
        const a0 = v128.load(cell(scratch, n, 0, j)), a1 = v128.load(cell(scratch, n, 0, j + 2));
        const b0 = v128.load(cell(scratch, n, 1, j)), b1 = v128.load(cell(scratch, n, 1, j + 2));
        let y0 = v128.load(cell(scratch, n, 2, j)), y1 = v128.load(cell(scratch, n, 2, j + 2));
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const x = f64x2.splat(load<f64>(trs + (<usize>(i - t0) << 3)));
          y0 = ewma2(y0, x, a0, b0);
          y1 = ewma2(y1, x, a1, b1);
          st4(o, vStride, y0, y1);
          o += tStride;
        }
        v128.store(cell(scratch, n, 2, j), y0); v128.store(cell(scratch, n, 2, j + 2), y1);
      }
    }
    for (let j = full; j < n; j++) {
      const a = load<f64>(cell(scratch, n, 0, j)), b = load<f64>(cell(scratch, n, 1, j));
      let y = load<f64>(cell(scratch, n, 2, j));
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        y = ewma1(y, load<f64>(trs + (<usize>(i - t0) << 3)), a, b);
        st1(o, y);
        o += tStride;
      }
      store<f64>(cell(scratch, n, 2, j), y);
    }
  }
}

// ---------------------------------------------------------------- rolling variance family
// One engine for bbands (basis, upper, lower, bandwidth, percent_b), variance/stddev and hv.
// Scratch: 6 arrays of n f64 (S, Q, k, z, n, mult-or-annualization factor).

@inline const MODE_BB: i32 = 0;
@inline const MODE_VAR: i32 = 1;

/**
 * Stores the outputs of four variants (lanes A = j, j+1 and B = j+2, j+3) at one bar: variance and
 * stddev, or basis/upper/lower/bandwidth/percent_b. `m` is S/n, which is also the basis where `ok`.
 */
@inline function emitRollvar4(mode: i32, o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, off: usize, vStride: usize,
  vrA: v128, vrB: v128, okA: v128, okB: v128, mA: v128, mB: v128, multA: v128, multB: v128, v: v128): void {
  if (mode == MODE_VAR) {
    if (o0) st4(o0 + off, vStride, vrA, vrB);
    if (o1) st4(o1 + off, vStride, f64x2.sqrt(vrA), f64x2.sqrt(vrB));
  } else {
    const nan = f64x2.splat(NaN), zero = f64x2.splat(0.0);
    const bA = v128.bitselect(mA, nan, okA), bB = v128.bitselect(mB, nan, okB);
    const dA = f64x2.mul(multA, f64x2.sqrt(vrA)), dB = f64x2.mul(multB, f64x2.sqrt(vrB));
    const upA = f64x2.add(bA, dA), upB = f64x2.add(bB, dB);
    const loA = f64x2.sub(bA, dA), loB = f64x2.sub(bB, dB);
    if (o0) st4(o0 + off, vStride, bA, bB);
    if (o1) st4(o1 + off, vStride, upA, upB);
    if (o2) st4(o2 + off, vStride, loA, loB);
    if (o3 || o4) {
      const wA = f64x2.sub(upA, loA), wB = f64x2.sub(upB, loB);
      if (o3) st4(o3 + off, vStride,
        v128.bitselect(nan, f64x2.div(wA, bA), f64x2.eq(bA, zero)), v128.bitselect(nan, f64x2.div(wB, bB), f64x2.eq(bB, zero)));
      if (o4) st4(o4 + off, vStride,
        v128.bitselect(nan, f64x2.div(f64x2.sub(v, loA), wA), f64x2.eq(wA, zero)), v128.bitselect(nan, f64x2.div(f64x2.sub(v, loB), wB), f64x2.eq(wB, zero)));
    }
  }
}

@inline function rollvarFamily(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize, mode: i32): void {
  const x = ioPtr(io, IO_SRC);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2), o3 = outPtr(io, 3), o4 = outPtr(io, 4);
  for (let j = 0; j < n; j++) {
    for (let a = 0; a < 4; a++) store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, 4, j), paramAt(params, n, 0, j));
    store<f64>(cell(scratch, n, 5, j), mode == MODE_BB ? paramAt(params, n, 1, j) : 0.0);
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 4) {
        const nfA = v128.load(cell(scratch, n, 4, j)), nfB = v128.load(cell(scratch, n, 4, j + 2));
        const multA = v128.load(cell(scratch, n, 5, j)), multB = v128.load(cell(scratch, n, 5, j + 2));
        const nm1A = f64x2.sub(nfA, f64x2.splat(1.0)), nm1B = f64x2.sub(nfB, f64x2.splat(1.0));
        const w0 = <i32>f64x2.extract_lane(nfA, 0), w1 = <i32>f64x2.extract_lane(nfA, 1);
        const w2 = <i32>f64x2.extract_lane(nfB, 0), w3 = <i32>f64x2.extract_lane(nfB, 1);
        const base = <usize>j * vStride;
        let i = t0;
        // until every window of the block is full: the masked step with state in scratch
        const slowEnd = min(t1, max(max(w0, w1), max(w2, w3)));
        for (; i < slowEnd; i++) {
          const off = base + <usize>i * tStride;
          const v = f64x2.splat(ldx(x, i));
          const validA = geMask(i, nm1A), validB = geMask(i, nm1B);
          const vrA = rollvarStep2(cell(scratch, n, 0, j), cell(scratch, n, 1, j), cell(scratch, n, 2, j), cell(scratch, n, 3, j), v, gather2(back(x, i, w0), back(x, i, w1)), geMask(i, nfA), validA, nfA);
          const vrB = rollvarStep2(cell(scratch, n, 0, j + 2), cell(scratch, n, 1, j + 2), cell(scratch, n, 2, j + 2), cell(scratch, n, 3, j + 2), v, gather2(back(x, i, w2), back(x, i, w3)), geMask(i, nfB), validB, nfB);
          const okA = v128.andnot(validA, f64x2.gt(v128.load(cell(scratch, n, 2, j)), f64x2.splat(0.0)));
          const okB = v128.andnot(validB, f64x2.gt(v128.load(cell(scratch, n, 2, j + 2)), f64x2.splat(0.0)));
          emitRollvar4(mode, o0, o1, o2, o3, o4, off, vStride, vrA, vrB, okA, okB,
            f64x2.div(v128.load(cell(scratch, n, 0, j)), nfA), f64x2.div(v128.load(cell(scratch, n, 0, j + 2)), nfB), multA, multB, v);
        }
        if (i < t1) {
          // steady state: S, Q, k, z in registers; the incoming value is shared (one branch), the
          // outgoing src[i − n] is gathered per lane. Same operations per lane as rollvarStep1.
          let SA = v128.load(cell(scratch, n, 0, j)), QA = v128.load(cell(scratch, n, 1, j));
          let kA = v128.load(cell(scratch, n, 2, j)), zA = v128.load(cell(scratch, n, 3, j));
          let SB = v128.load(cell(scratch, n, 0, j + 2)), QB = v128.load(cell(scratch, n, 1, j + 2));
          let kB = v128.load(cell(scratch, n, 2, j + 2)), zB = v128.load(cell(scratch, n, 3, j + 2));
          const zero = f64x2.splat(0.0), one = f64x2.splat(1.0), nan = f64x2.splat(NaN), tiny = f64x2.splat(-1e-12);
          for (; i < t1; i++) {
            const off = base + <usize>i * tStride;
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
            emitRollvar4(mode, o0, o1, o2, o3, o4, off, vStride, vrA, vrB, okA, okB, mA, mB, multA, multB, v);
          }
          v128.store(cell(scratch, n, 0, j), SA); v128.store(cell(scratch, n, 1, j), QA);
          v128.store(cell(scratch, n, 2, j), kA); v128.store(cell(scratch, n, 3, j), zA);
          v128.store(cell(scratch, n, 0, j + 2), SB); v128.store(cell(scratch, n, 1, j + 2), QB);
          v128.store(cell(scratch, n, 2, j + 2), kB); v128.store(cell(scratch, n, 3, j + 2), zB);
        }
      }
    }
    for (let j = full; j < n; j++) {
      const nf = load<f64>(cell(scratch, n, 4, j));
      const mult = load<f64>(cell(scratch, n, 5, j));
      const w = <i32>nf;
      const base = <usize>j * vStride;
      for (let i = t0; i < t1; i++) {
        const off = base + <usize>i * tStride;
        const xs = ldx(x, i);
        const leaving = i >= w, valid = i >= w - 1;
        const vr = rollvarStep1(cell(scratch, n, 0, j), cell(scratch, n, 1, j), cell(scratch, n, 2, j), cell(scratch, n, 3, j), xs, leaving ? ldx(x, i - w) : 0.0, leaving, valid, nf);
        if (mode == MODE_VAR) {
          if (o0) st1(o0 + off, vr);
          if (o1) st1(o1 + off, Math.sqrt(vr));
        } else {
          const basis = (!valid || load<f64>(cell(scratch, n, 2, j)) > 0) ? NaN : load<f64>(cell(scratch, n, 0, j)) / nf;
          const sd = Math.sqrt(vr);
          const up = basis + mult * sd;
          const lo = basis - mult * sd;
          if (o0) st1(o0 + off, basis);
          if (o1) st1(o1 + off, up);
          if (o2) st1(o2 + off, lo);
          const wdt = up - lo;
          if (o3) st1(o3 + off, basis == 0 ? NaN : wdt / basis);
          if (o4) st1(o4 + off, wdt == 0 ? NaN : (xs - lo) / wdt);
        }
      }
    }
  }
}

export function bbands(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  rollvarFamily(io, t, n, params, tStride, vStride, scratch, MODE_BB);
}

export function rollvar(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  rollvarFamily(io, t, n, params, tStride, vStride, scratch, MODE_VAR);
}

// ---------------------------------------------------------------- hv
// R[t] = ln(src[t] / src[t−1]) (NaN at 0, for NaN or non-positive prices), hv = (sqrt(ROLLVAR(R, n))·sqrt(ann))·100.
// Scratch: 6 arrays of n f64 (S, Q, k, z, n, sqrt(ann)), then T f64 of R, computed once per call.

export function hv(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const x = ioPtr(io, IO_SRC);
  const out = outPtr(io, 0);
  const R = scratch + ((<usize>n * 6) << 3);
  store<f64>(R, NaN);
  for (let i = 1; i < t; i++) {
    const a = ldx(x, i), b = ldx(x, i - 1);
    store<f64>(R + (<usize>i << 3), (a != a || b != b || a <= 0 || b <= 0) ? NaN : lnShared(a / b));
  }
  for (let j = 0; j < n; j++) {
    for (let a = 0; a < 4; a++) store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, 4, j), paramAt(params, n, 0, j));
    store<f64>(cell(scratch, n, 5, j), Math.sqrt(paramAt(params, n, 1, j)));
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 2) {
        const nf = v128.load(cell(scratch, n, 4, j));
        const ann = v128.load(cell(scratch, n, 5, j));
        const nm1 = f64x2.sub(nf, f64x2.splat(1.0));
        const w0 = <i32>f64x2.extract_lane(nf, 0), w1 = <i32>f64x2.extract_lane(nf, 1);
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const v = f64x2.splat(load<f64>(R + (<usize>i << 3)));
          const u = f64x2.replace_lane(f64x2.splat(load<f64>(R + (<usize>max(i - w0, 0) << 3))), 1, load<f64>(R + (<usize>max(i - w1, 0) << 3)));
          const vr = rollvarStep2(cell(scratch, n, 0, j), cell(scratch, n, 1, j), cell(scratch, n, 2, j), cell(scratch, n, 3, j), v, u, geMask(i, nf), geMask(i, nm1), nf);
          st2(o, vStride, f64x2.mul(f64x2.mul(f64x2.sqrt(vr), ann), f64x2.splat(100.0)));
          o += tStride;
        }
      }
    }
    for (let j = full; j < n; j++) {
      const nf = load<f64>(cell(scratch, n, 4, j));
      const ann = load<f64>(cell(scratch, n, 5, j));
      const w = <i32>nf;
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const leaving = i >= w;
        const vr = rollvarStep1(cell(scratch, n, 0, j), cell(scratch, n, 1, j), cell(scratch, n, 2, j), cell(scratch, n, 3, j),
          load<f64>(R + (<usize>i << 3)), leaving ? load<f64>(R + (<usize>(i - w) << 3)) : 0.0, leaving, i >= w - 1, nf);
        st1(o, Math.sqrt(vr) * ann * 100.0);
        o += tStride;
      }
    }
  }
}
