// Kernels of the `trend` group. Signature, chunking and lane layout as in ma.ts:
// lane 0 = variant j, lane 1 = variant j + 1 of one f64x2; the SIMD build runs blocks of variants
// along a time chunk, the variants left over (all of them in the scalar build) run through a scalar
// tail with the same operations in the same order; per-variant state survives in scratch between
// chunks, so chunking never changes a bit. Outputs are narrowed to float32 with the canonical NaN.
// Every division whose denominator can be zero is guarded: NaN where it is exactly ±0 (no epsilon).
//
// SIMD across variants: adx, keltner, vortex. linreg_slope runs its per-window sums for four
// consecutive bars at once (one bar per lane, each lane summing its own window in the spec's order).
// Scalar per variant in both builds: the kernels over rolling extremes (aroon, chandelier_exit,
// donchian, ichimoku), which read the extremes of high / low from two tables shared by all variants
// (primitives.ts: two reads per variant and bar, branch-free), and the branchy state machines (psar,
// supertrend). Where variants that differ only in a trailing parameter share a series (the ATR and
// extremes of chandelier_exit and supertrend over `mult`, ichimoku's lines over `displacement`), the
// first variant of each run of equal windows computes it once per chunk into scratch and the others
// of the run read it there.
import { trueRangeAtBar } from './volatility';
import { CANON_NAN, CHUNK, IO_CLOSE, IO_HIGH, IO_LOW, IO_SRC, cell, firstBar, geMask, ioPtr, ldx, narrow4, narrowFinite, outPtr, paramAt, resumed, span, st1, st2, st4, stNaN2, stNaN4, storeLanes, talibProfile, tileStep } from './lanes';
import {
  DQ_AGE_MAX, DQ_AGE_MIN, DQ_MAX, DQ_MIN, RING_MAX, blend2, ewma1, ewma2, ringAt, ringGather2, ringSlots, rollsumStep1, rollsumStep2, xtBytes, xtFill, xtLevels, xtQuery, xtReset,
} from './primitives';
import {
  ADX_A, ADX_ARRAYS, ADX_AS, ADX_B, ADX_BS, ADX_DX, ADX_K, ADX_MDM, ADX_PDM, ADX_TR, ADX_Y, CHANDELIER_ARRAYS, CHANDELIER_ATR, KELTNER_ARRAYS,
  KELTNER_ATR, KELTNER_EMA_A, KELTNER_EMA_B, KELTNER_MID, KELTNER_MULT, KELTNER_RMA_A, KELTNER_RMA_B, PSAR_AF, PSAR_DIR, PSAR_EP, PSAR_PH,
  PSAR_PL, PSAR_SAR, SUPERTREND_ARRAYS, SUPERTREND_ATR, SUPERTREND_DIR, SUPERTREND_FL, SUPERTREND_FU, SUPERTREND_PC, VORTEX_ARRAYS,
  VORTEX_N, VORTEX_TR, VORTEX_VMM, VORTEX_VMP,
} from './scratch';

/** Address of f64 slot k of chunk array a (arrays of CHUNK f64 back to back from `base`). */
@inline function chunkAt(base: usize, a: i32, k: i32): usize {
  return base + ((<usize>a * <usize>CHUNK + <usize>k) << 3);
}

/** Whether variant j starts a new run of equal values in the first `count` parameters (j = 0 always does). */
@inline function leads(params: usize, n: i32, count: i32, j: i32): bool {
  if (j == 0) return true;
  for (let p = 0; p < count; p++) if (paramAt(params, n, p, j) != paramAt(params, n, p, j - 1)) return true;
  return false;
}

/** The largest value of integer parameters p0 … p1 − 1 over the call's variants. */
@inline function maxParams(params: usize, n: i32, p0: i32, p1: i32): i32 {
  let m = 1;
  for (let j = 0; j < n; j++) for (let p = p0; p < p1; p++) m = max(m, <i32>paramAt(params, n, p, j));
  return m;
}

/** Stores canonical NaN at `o` when the output is materialised. */
@inline function stNaN1(o: usize, base: usize): void {
  if (base) store<u32>(o, CANON_NAN);
}

// Resumed calls (docs/kernel-state.md): a call with the frame's resume slot set continues the series
// at bar firstBar(io); its state is the leading scratch arrays, its inputs reach back the registry's
// historyBars rows. Every rule that depends on the bar index uses base + i, base = barBase(io).

/** The bar index of the call's row 0 when the call resumes a series, 0 when it starts one. */
@inline function barBase(io: usize): i32 {
  return resumed(io) ? firstBar(io) : 0;
}

/**
 * trueRangeAt (volatility.ts) at row i of a call whose row 0 is bar `base`: the previous close exists
 * from bar 1 on, so a resumed call reads it at row −1. The same operations, so the same bits.
 */
@inline function trueRangeBar(h: usize, l: usize, c: usize, i: i32, base: i32): f64 {
  return trueRangeAtBar(h, l, c, i, i + base);
}

// ---------------------------------------------------------------- adx
// PDM / MDM per bar (NaN where high or low is NaN, 0 on the first bar of a run), A = RMA(TR, n),
// SP = RMA(PDM, n), SM = RMA(MDM, n); where A is ±0: DI and DX NaN, else plus_di = 100·(SP / A),
// minus_di = 100·(SM / A), DX = 100·(|plus − minus| / (plus + minus)), NaN where that sum is ±0;
// adx = RMA(DX, smoothing), reset by a NaN DX. TR, PDM and MDM are shared by every variant (computed
// once per bar, branch-free). They are NaN on the same bars, so the three window RMAs are seeded iff
// the previous bar had high and low — one fact for all lanes; the adx RMA seeds per lane.
// TIME_MAJOR, SIMD build: bar by bar over all variants (adxRows). Other calls: chunk by chunk, TR and
// DM of the chunk in scratch; SIMD blocks of four variants (two f64x2 per state) in registers along
// the chunk, then a block of two; a scalar loop for the rest (all variants in the scalar build).
// The TIME_MAJOR loop leans on IEEE arithmetic instead of testing DX's guards: where A is ±0, SP/A
// and SM/A are NaN or ±inf (SP, SM ≥ 0), so DX comes out NaN untested (|inf − x| / (inf + x) and
// anything with a NaN are NaN); where plus + minus is ±0, both are ±0 of one sign and 0/0 is NaN.
// Those NaN reach the output through the adx RMA's NaN reset and its canonical narrowing; plus_di
// and minus_di still select NaN where A is ±0 (an inf there must not show; adx-guards.test.ts).
// Slots [adx, plus_di, minus_di], each optional.
// Scratch: ADX_ARRAYS arrays of m f64 (scratch.ts: a, b of window; a, b of smoothing; A, SP, SM, adx;
// |plus − minus| and plus + minus of up to two bars), m = n rounded up to 4 in every path, then
// 3 × CHUNK f64x2 (TR, PDM, MDM of a chunk). The first eight arrays are the state of a resumed call.

/** Address of bar k of per-chunk array a (TR, PDM, MDM), each value stored twice (one f64x2). */
@inline function barAt(bars: usize, a: i32, k: i32): usize {
  return bars + ((<usize>a * <usize>CHUNK + <usize>k) << 4);
}

/** f32x4 lanes [m0 lo, m0 hi, m1 lo, m1 hi] of two f64x2 lane masks: the masks of four narrowed lanes. */
@inline function narrowMask(m0: v128, m1: v128): v128 {
  return i8x16.shuffle(m0, m1, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
}

/** ldx(p, i − 1), NaN at bar 0. `lo` is −1 when the call's row 0 is a later bar (row −1 exists), else 0. */
@inline function prevAt(p: usize, i: i32, lo: i32): f64 {
  return select<f64>(ldx(p, max(i - 1, lo)), NaN, i > lo);
}

/**
 * TR (trueRangeAt) without branches: a NaN high or low makes high − low NaN and every comparison false,
 * a NaN previous close drops out of the comparisons, leaving high − low.
 */
@inline function barTR(h: usize, l: usize, c: usize, i: i32, lo0: i32): f64 {
  const hi = ldx(h, i), lo = ldx(l, i), pc = prevAt(c, i, lo0);
  const a = abs(hi - pc), b = abs(lo - pc);
  let tr = hi - lo;
  tr = select<f64>(a, tr, a > tr);
  return select<f64>(b, tr, b > tr);
}

/** PDM (plus) or MDM without branches, given the bar's TR (NaN exactly where high or low is NaN): a NaN previous high or low fails every comparison, giving 0. */
@inline function barDM(h: usize, l: usize, i: i32, tr: f64, plus: bool, lo0: i32): f64 {
  const up = ldx(h, i) - prevAt(h, i, lo0), dn = prevAt(l, i, lo0) - ldx(l, i);
  const v = plus ? select<f64>(up, 0.0, (up > dn) & (up > 0)) : select<f64>(dn, 0.0, (dn > up) & (dn > 0));
  return select<f64>(NaN, v, tr != tr);
}

/** Stores bar k's TR, PDM and MDM, each in both lanes. */
@inline function storeBar(bars: usize, k: i32, tr: f64, pdm: f64, mdm: f64): void {
  store<f64>(barAt(bars, 0, k), tr); store<f64>(barAt(bars, 0, k) + 8, tr);
  store<f64>(barAt(bars, 1, k), pdm); store<f64>(barAt(bars, 1, k) + 8, pdm);
  store<f64>(barAt(bars, 2, k), mdm); store<f64>(barAt(bars, 2, k) + 8, mdm);
}

/**
 * TIME_MAJOR in the SIMD build: one bar at a time, every variant of it in blocks of four, the state
 * in scratch arrays padded to m = n rounded up to 4 (the padding lanes compute on copies of the last
 * variant's coefficients and are never stored). Consecutive blocks are independent, so the processor
 * overlaps their divisions; splitting the bar into two passes (the window RMAs and DI first, DX and
 * the adx RMA second) keeps the DX divisions from waiting on the DI ones.
 */
function adxRows(h: usize, l: usize, c: usize, o0: usize, o1: usize, o2: usize, t: i32, n: i32, m: i32, tStride: usize, scratch: usize,
  seeded0: bool, lo0: i32): void {
  const zero = f64x2.splat(0.0), hundred = f64x2.splat(100.0), canon = i32x4.splat(CANON_NAN);
  let seeded = seeded0;
  for (let i = 0; i < t; i++) {
    const tr = barTR(h, l, c, i, lo0);
    const row = <usize>i * tStride;
    if (tr != tr) {
      for (let j = 0; j < m; j += 4) {
        const off = row + (<usize>j << 2);
        if (o0) storeLanes(o0 + off, canon, n - j);
        if (o1) storeLanes(o1 + off, canon, n - j);
        if (o2) storeLanes(o2 + off, canon, n - j);
        const cY = cell(scratch, m, ADX_Y, j);
        v128.store(cY, f64x2.splat(NaN)); v128.store(cY, f64x2.splat(NaN), 16);
      }
      seeded = false;
      continue;
    }
    const pdm = barDM(h, l, i, tr, true, lo0), mdm = barDM(h, l, i, tr, false, lo0);
    if (!seeded) {
      adxRow(o1, o2, row, n, m, scratch, tr, pdm, mdm, true, zero, hundred, canon);
      adxRowY(o0, row, tStride, 1, n, m, scratch, hundred);
      seeded = true;
      continue;
    }
    const tr2 = i + 1 < t ? barTR(h, l, c, i + 1, lo0) : NaN;
    if (tr2 == tr2) {
      adxRow2(o1, o2, row, tStride, n, m, scratch, tr, pdm, mdm, tr2, barDM(h, l, i + 1, tr2, true, lo0), barDM(h, l, i + 1, tr2, false, lo0), zero, hundred, canon);
      adxRowY(o0, row, tStride, 2, n, m, scratch, hundred);
      i++;
    } else {
      adxRow(o1, o2, row, n, m, scratch, tr, pdm, mdm, false, zero, hundred, canon);
      adxRowY(o0, row, tStride, 1, n, m, scratch, hundred);
    }
  }
}

/** Pass 1 of a valid bar (see adxRows): the window RMAs (`seed` starts them here), then adxDI. */
@inline function adxRow(o1: usize, o2: usize, row: usize, n: i32, m: i32, scratch: usize, trs: f64, pdms: f64, mdms: f64, seed: bool,
  zero: v128, hundred: v128, canon: v128): void {
  const tr = f64x2.splat(trs), pdm = f64x2.splat(pdms), mdm = f64x2.splat(mdms);
  for (let j = 0; j < m; j += 4) {
    const cA = cell(scratch, m, ADX_TR, j), cP = cell(scratch, m, ADX_PDM, j), cM = cell(scratch, m, ADX_MDM, j);
    let A0 = tr, A1 = tr, P0 = pdm, P1 = pdm, M0 = mdm, M1 = mdm;
    if (!seed) {
      const ca = cell(scratch, m, ADX_A, j), cb = cell(scratch, m, ADX_B, j);
      const a0 = v128.load(ca), a1 = v128.load(ca, 16), b0 = v128.load(cb), b1 = v128.load(cb, 16);
      A0 = blend2(a0, tr, b0, v128.load(cA)); A1 = blend2(a1, tr, b1, v128.load(cA, 16));
      P0 = blend2(a0, pdm, b0, v128.load(cP)); P1 = blend2(a1, pdm, b1, v128.load(cP, 16));
      M0 = blend2(a0, mdm, b0, v128.load(cM)); M1 = blend2(a1, mdm, b1, v128.load(cM, 16));
    }
    v128.store(cA, A0); v128.store(cA, A1, 16); v128.store(cP, P0); v128.store(cP, P1, 16); v128.store(cM, M0); v128.store(cM, M1, 16);
    adxDI(o1, o2, row + (<usize>j << 2), n - j, A0, A1, P0, P1, M0, M1, cell(scratch, m, ADX_DX, j), cell(scratch, m, ADX_DX + 1, j), zero, hundred, canon);
  }
}

/** Pass 1 of two consecutive valid, seeded bars: the window RMAs stay in registers from the first to the second. */
@inline function adxRow2(o1: usize, o2: usize, row: usize, tStride: usize, n: i32, m: i32, scratch: usize, trs: f64, pdms: f64, mdms: f64,
  trs2: f64, pdms2: f64, mdms2: f64, zero: v128, hundred: v128, canon: v128): void {
  for (let j = 0; j < m; j += 4) {
    const ca = cell(scratch, m, ADX_A, j), cb = cell(scratch, m, ADX_B, j);
    const cA = cell(scratch, m, ADX_TR, j), cP = cell(scratch, m, ADX_PDM, j), cM = cell(scratch, m, ADX_MDM, j);
    const a0 = v128.load(ca), a1 = v128.load(ca, 16), b0 = v128.load(cb), b1 = v128.load(cb, 16);
    let tr = f64x2.splat(trs), pdm = f64x2.splat(pdms), mdm = f64x2.splat(mdms);
    let A0 = blend2(a0, tr, b0, v128.load(cA)), A1 = blend2(a1, tr, b1, v128.load(cA, 16));
    let P0 = blend2(a0, pdm, b0, v128.load(cP)), P1 = blend2(a1, pdm, b1, v128.load(cP, 16));
    let M0 = blend2(a0, mdm, b0, v128.load(cM)), M1 = blend2(a1, mdm, b1, v128.load(cM, 16));
    adxDI(o1, o2, row + (<usize>j << 2), n - j, A0, A1, P0, P1, M0, M1, cell(scratch, m, ADX_DX, j), cell(scratch, m, ADX_DX + 1, j), zero, hundred, canon);
    tr = f64x2.splat(trs2); pdm = f64x2.splat(pdms2); mdm = f64x2.splat(mdms2);
    A0 = blend2(a0, tr, b0, A0); A1 = blend2(a1, tr, b1, A1);
    P0 = blend2(a0, pdm, b0, P0); P1 = blend2(a1, pdm, b1, P1);
    M0 = blend2(a0, mdm, b0, M0); M1 = blend2(a1, mdm, b1, M1);
    v128.store(cA, A0); v128.store(cA, A1, 16); v128.store(cP, P0); v128.store(cP, P1, 16); v128.store(cM, M0); v128.store(cM, M1, 16);
    adxDI(o1, o2, row + tStride + (<usize>j << 2), n - j, A0, A1, P0, P1, M0, M1, cell(scratch, m, ADX_DX + 2, j), cell(scratch, m, ADX_DX + 3, j), zero, hundred, canon);
  }
}

/** plus_di and minus_di of four variants (k of them stored) from A, SP, SM; |plus − minus| and plus + minus to cD, cS. */
@inline function adxDI(o1: usize, o2: usize, off: usize, k: i32, A0: v128, A1: v128, P0: v128, P1: v128, M0: v128, M1: v128, cD: usize, cS: usize,
  zero: v128, hundred: v128, canon: v128): void {
  const pd0 = f64x2.mul(hundred, f64x2.div(P0, A0)), pd1 = f64x2.mul(hundred, f64x2.div(P1, A1));
  const md0 = f64x2.mul(hundred, f64x2.div(M0, A0)), md1 = f64x2.mul(hundred, f64x2.div(M1, A1));
  v128.store(cD, f64x2.abs(f64x2.sub(pd0, md0))); v128.store(cD, f64x2.abs(f64x2.sub(pd1, md1)), 16);
  v128.store(cS, f64x2.add(pd0, md0)); v128.store(cS, f64x2.add(pd1, md1), 16);
  const z0 = f64x2.eq(A0, zero), z1 = f64x2.eq(A1, zero);
  let p = narrowFinite(pd0, pd1), q = narrowFinite(md0, md1);
  if (v128.any_true(v128.or(z0, z1))) {
    const az = narrowMask(z0, z1);
    p = v128.bitselect(canon, p, az);
    q = v128.bitselect(canon, q, az);
  }
  if (o1) storeLanes(o1 + off, p, k);
  if (o2) storeLanes(o2 + off, q, k);
}

/** Pass 2 of `rows` (1 or 2) valid bars from `row`: DX from pass 1's terms (ADX_DX, ADX_DX + 1, then ADX_DX + 2, ADX_DX + 3) and the adx RMA (reset by a NaN DX). */
@inline function adxRowY(o0: usize, row: usize, tStride: usize, rows: i32, n: i32, m: i32, scratch: usize, hundred: v128): void {
  for (let j = 0; j < m; j += 4) {
    const cc = cell(scratch, m, ADX_AS, j), cd = cell(scratch, m, ADX_BS, j), cY = cell(scratch, m, ADX_Y, j);
    const c0 = v128.load(cc), c1 = v128.load(cc, 16), d0 = v128.load(cd), d1 = v128.load(cd, 16);
    let Y0 = v128.load(cY), Y1 = v128.load(cY, 16);
    for (let r = 0; r < rows; r++) {
      const cD = cell(scratch, m, ADX_DX + 2 * r, j), cS = cell(scratch, m, ADX_DX + 1 + 2 * r, j);
      Y0 = ewma2(Y0, f64x2.mul(hundred, f64x2.div(v128.load(cD), v128.load(cS))), c0, d0);
      Y1 = ewma2(Y1, f64x2.mul(hundred, f64x2.div(v128.load(cD, 16), v128.load(cS, 16))), c1, d1);
      if (o0) storeLanes(o0 + row + <usize>r * tStride + (<usize>j << 2), narrow4(Y0, Y1), n - j);
    }
    v128.store(cY, Y0); v128.store(cY, Y1, 16);
  }
}

/**
 * Window and smoothing coefficients (ADX_A … ADX_BS) and, unless the call resumes them, NaN states
 * (ADX_TR … ADX_Y) in arrays of stride m ≥ n; lanes n … m − 1 copy variant n − 1.
 */
function adxCoefficients(params: usize, n: i32, m: i32, scratch: usize, resume: bool): void {
  for (let j = 0; j < m; j++) {
    const v = min(j, n - 1);
    const a = 1.0 / paramAt(params, n, 0, v), as = 1.0 / paramAt(params, n, 1, v);
    store<f64>(cell(scratch, m, ADX_A, j), a);
    store<f64>(cell(scratch, m, ADX_B, j), 1.0 - a);
    store<f64>(cell(scratch, m, ADX_AS, j), as);
    store<f64>(cell(scratch, m, ADX_BS, j), 1.0 - as);
    if (!resume) for (let k = ADX_TR; k < ADX_Y + 1; k++) store<f64>(cell(scratch, m, k, j), NaN);
  }
}

export function adx(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2);
  // Every path keeps its state arrays at stride m = n rounded up to 4, so the state is the same bytes
  // in both builds and layouts. A resumed call continues A, SP, SM and the adx RMA; the window RMAs
  // are seeded at its row 0 iff bar −1 had high and low (the fact a NaN TR resets).
  const m = (n + 3) & ~3;
  const resume = resumed(io), base = barBase(io);
  const lo0 = base > 0 ? -1 : 0;
  if (talibProfile(io)) {
    adxTalib(h, l, c, o0, o1, o2, t, n, m, params, tStride, vStride, scratch, resume, lo0);
    return;
  }
  const seededAt0 = base > 0 && ldx(h, -1) == ldx(h, -1) && ldx(l, -1) == ldx(l, -1);
  adxCoefficients(params, n, m, scratch, resume);
  if (ASC_FEATURE_SIMD && vStride == 4) {
    adxRows(h, l, c, o0, o1, o2, t, n, m, tStride, scratch, seededAt0, lo0);
    return;
  }
  const bars = scratch + ((<usize>m * ADX_ARRAYS) << 3);
  let full = 0, pairs = 0;
  if (ASC_FEATURE_SIMD) {
    full = n & ~3;
    pairs = n & ~1;
  }
  for (let t0 = 0, step = tileStep(vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    const seeded0 = t0 > 0 ? ldx(h, t0 - 1) == ldx(h, t0 - 1) && ldx(l, t0 - 1) == ldx(l, t0 - 1) : seededAt0;
    for (let i = t0; i < t1; i++) {
      const tr = barTR(h, l, c, i, lo0);
      storeBar(bars, i - t0, tr, barDM(h, l, i, tr, true, lo0), barDM(h, l, i, tr, false, lo0));
    }
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 4) adxBlock(bars, o0, o1, o2, <usize>j * vStride + <usize>t0 * tStride, t0, t1, tStride, vStride, m, j, scratch, seeded0, true);
      for (let j = full; j < pairs; j += 2) adxBlock(bars, o0, o1, o2, <usize>j * vStride + <usize>t0 * tStride, t0, t1, tStride, vStride, m, j, scratch, seeded0, false);
    }
    for (let j = pairs; j < n; j++) {
      const a = load<f64>(cell(scratch, m, ADX_A, j)), b = load<f64>(cell(scratch, m, ADX_B, j));
      const as = load<f64>(cell(scratch, m, ADX_AS, j)), bs = load<f64>(cell(scratch, m, ADX_BS, j));
      let A = load<f64>(cell(scratch, m, ADX_TR, j)), P = load<f64>(cell(scratch, m, ADX_PDM, j));
      let M = load<f64>(cell(scratch, m, ADX_MDM, j)), Y = load<f64>(cell(scratch, m, ADX_Y, j));
      let off = <usize>j * vStride + <usize>t0 * tStride;
      let seeded = seeded0;
      for (let i = t0; i < t1; i++) {
        const tr = load<f64>(barAt(bars, 0, i - t0));
        let pd: f64 = NaN, md: f64 = NaN;
        if (tr != tr) {
          Y = NaN;
          seeded = false;
        } else {
          const pdm = load<f64>(barAt(bars, 1, i - t0)), mdm = load<f64>(barAt(bars, 2, i - t0));
          if (seeded) {
            A = a * tr + b * A;
            P = a * pdm + b * P;
            M = a * mdm + b * M;
          } else {
            A = tr; P = pdm; M = mdm;
            seeded = true;
          }
          let dx: f64 = NaN;
          if (A != 0) {
            pd = 100.0 * (P / A);
            md = 100.0 * (M / A);
            dx = dx1(pd, md);
          }
          Y = ewma1(Y, dx, as, bs);
        }
        if (o0) st1(o0 + off, Y);
        if (o1) st1(o1 + off, pd);
        if (o2) st1(o2 + off, md);
        off += tStride;
      }
      store<f64>(cell(scratch, m, ADX_TR, j), A); store<f64>(cell(scratch, m, ADX_PDM, j), P);
      store<f64>(cell(scratch, m, ADX_MDM, j), M); store<f64>(cell(scratch, m, ADX_Y, j), Y);
    }
  }
}

/** TA-Lib's TA_IS_ZERO: |v| below 1e-14. */
@inline function talibZero(v: f64): bool {
  return -1e-14 < v && v < 1e-14;
}

/**
 * adx in the talib profile (TA-Lib's ADX, PLUS_DI, MINUS_DI), every build and layout, scalar per
 * variant over the chunk's shared TR, PDM and MDM. Per segment of valid bars (k = 0 at its first
 * bar, which only serves as the previous bar: TR and DM start at k = 1), window n, smoothing s:
 * - k = 1 … n − 1: Wilder's sums of TR, PDM and MDM add the bar (from 0); no output;
 * - k ≥ n: each sum S becomes (S − S/n) + x; plus_di = 100·(SP / STR), minus_di = 100·(SM / STR),
 *   both 0 where STR is zero to TA-Lib (|STR| < 1e-14); DX = 100·(|minus − plus| / (minus + plus)),
 *   undefined where STR or minus + plus is zero to TA-Lib;
 * - k = n … n + s − 1: the defined DX add up (from 0); at k = n + s − 1 the adx is that sum / s;
 * - k ≥ n + s: adx = ((adx·(s − 1)) + DX) / s where DX is defined, else it stays.
 * With s = n this is TA-Lib's ADX (first value at bar 2n − 1); TA-Lib has one period, so for s ≠ n
 * the DX average takes the smoothing as its period (first value at bar n + s − 1).
 * State: ADX_K, the sums ADX_TR … ADX_MDM and ADX_Y (the DX sum, then the adx).
 */
function adxTalib(h: usize, l: usize, c: usize, o0: usize, o1: usize, o2: usize, t: i32, n: i32, m: i32, params: usize, tStride: usize,
  vStride: usize, scratch: usize, resume: bool, lo0: i32): void {
  if (!resume) for (let j = 0; j < m; j++) store<f64>(cell(scratch, m, ADX_K, j), 0.0);
  const bars = scratch + ((<usize>m * ADX_ARRAYS) << 3);
  for (let t0 = 0, step = tileStep(vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    for (let i = t0; i < t1; i++) {
      const tr = barTR(h, l, c, i, lo0);
      storeBar(bars, i - t0, tr, barDM(h, l, i, tr, true, lo0), barDM(h, l, i, tr, false, lo0));
    }
    for (let j = 0; j < n; j++) {
      const w = paramAt(params, n, 0, j), s = paramAt(params, n, 1, j);
      const first = w + s - 1.0;
      let k = load<f64>(cell(scratch, m, ADX_K, j));
      let A = load<f64>(cell(scratch, m, ADX_TR, j)), P = load<f64>(cell(scratch, m, ADX_PDM, j));
      let M = load<f64>(cell(scratch, m, ADX_MDM, j)), Y = load<f64>(cell(scratch, m, ADX_Y, j));
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const tr = load<f64>(barAt(bars, 0, i - t0));
        let adx: f64 = NaN, pd: f64 = NaN, md: f64 = NaN;
        if (tr != tr) {
          k = 0.0;
        } else if (k == 0) {
          A = 0.0; P = 0.0; M = 0.0; Y = 0.0;
          k = 1.0;
        } else {
          const pdm = load<f64>(barAt(bars, 1, i - t0)), mdm = load<f64>(barAt(bars, 2, i - t0));
          if (k < w) {
            A = A + tr; P = P + pdm; M = M + mdm;
          } else {
            A = (A - A / w) + tr; P = (P - P / w) + pdm; M = (M - M / w) + mdm;
            pd = 0.0; md = 0.0;
            let dx: f64 = NaN;
            if (!talibZero(A)) {
              md = 100.0 * (M / A);
              pd = 100.0 * (P / A);
              const sum = md + pd;
              if (!talibZero(sum)) dx = 100.0 * (abs(md - pd) / sum);
            }
            if (k < first) {
              if (dx == dx) Y = Y + dx;
            } else if (k == first) {
              if (dx == dx) Y = Y + dx;
              Y = Y / s;
              adx = Y;
            } else {
              if (dx == dx) Y = ((Y * (s - 1.0)) + dx) / s;
              adx = Y;
            }
          }
          // k counts up to the first adx bar + 1 and stays there (every later bar is alike)
          if (k <= first) k = k + 1.0;
        }
        if (o0) st1(o0 + off, adx);
        if (o1) st1(o1 + off, pd);
        if (o2) st1(o2 + off, md);
        off += tStride;
      }
      store<f64>(cell(scratch, m, ADX_K, j), k);
      store<f64>(cell(scratch, m, ADX_TR, j), A); store<f64>(cell(scratch, m, ADX_PDM, j), P);
      store<f64>(cell(scratch, m, ADX_MDM, j), M); store<f64>(cell(scratch, m, ADX_Y, j), Y);
    }
  }
}

/** DX from plus_di and minus_di: 100·(|pd − md| / (pd + md)), NaN where pd + md == 0. */
@inline function dx1(pd: f64, md: f64): f64 {
  const s = pd + md;
  return s == 0 ? NaN : 100.0 * (abs(pd - md) / s);
}

/** dx1 on lanes, also NaN where the lane's window RMA of TR is zero (`az`: plus_di and minus_di undefined). */
@inline function dx2(pd: v128, md: v128, az: v128, zero: v128, hundred: v128, nan: v128): v128 {
  const s = f64x2.add(pd, md);
  return v128.bitselect(nan, f64x2.mul(hundred, f64x2.div(f64x2.abs(f64x2.sub(pd, md)), s)), v128.or(az, f64x2.eq(s, zero)));
}

/**
 * adx off the TIME_MAJOR rows path, SIMD build: the block of four (`wide`) or two variants from j,
 * bars t0 … t1 − 1 (TR, PDM, MDM of each in `bars`), outputs at offset `off` of bar t0, state in
 * registers. seeded0: whether the RMAs are seeded at t0. `n` here is the stride of the state arrays (m).
 */
@inline function adxBlock(bars: usize, o0: usize, o1: usize, o2: usize, off: usize, t0: i32, t1: i32, tStride: usize, vStride: usize, n: i32, j: i32,
  scratch: usize, seeded0: bool, wide: bool): void {
  const zero = f64x2.splat(0.0), hundred = f64x2.splat(100.0), nan = f64x2.splat(NaN);
  const ca = cell(scratch, n, ADX_A, j), cb = cell(scratch, n, ADX_B, j), cc = cell(scratch, n, ADX_AS, j), cd = cell(scratch, n, ADX_BS, j);
  const cA = cell(scratch, n, ADX_TR, j), cP = cell(scratch, n, ADX_PDM, j), cM = cell(scratch, n, ADX_MDM, j), cY = cell(scratch, n, ADX_Y, j);
  const a0 = v128.load(ca), b0 = v128.load(cb), c0 = v128.load(cc), d0 = v128.load(cd);
  let A0 = v128.load(cA), P0 = v128.load(cP), M0 = v128.load(cM), Y0 = v128.load(cY);
  let a1 = a0, b1 = b0, c1 = c0, d1 = d0, A1 = A0, P1 = P0, M1 = M0, Y1 = Y0;
  if (wide) {
    a1 = v128.load(ca, 16); b1 = v128.load(cb, 16); c1 = v128.load(cc, 16); d1 = v128.load(cd, 16);
    A1 = v128.load(cA, 16); P1 = v128.load(cP, 16); M1 = v128.load(cM, 16); Y1 = v128.load(cY, 16);
  }
  let seeded = seeded0;
  for (let i = t0; i < t1; i++) {
    const trs = load<f64>(barAt(bars, 0, i - t0));
    if (trs != trs) {
      if (wide) {
        if (o0) stNaN4(o0 + off, vStride);
        if (o1) stNaN4(o1 + off, vStride);
        if (o2) stNaN4(o2 + off, vStride);
      } else {
        if (o0) stNaN2(o0 + off, vStride);
        if (o1) stNaN2(o1 + off, vStride);
        if (o2) stNaN2(o2 + off, vStride);
      }
      Y0 = nan; Y1 = nan;
      seeded = false;
    } else {
      const tr = v128.load(barAt(bars, 0, i - t0)), pdm = v128.load(barAt(bars, 1, i - t0)), mdm = v128.load(barAt(bars, 2, i - t0));
      if (seeded) {
        A0 = blend2(a0, tr, b0, A0); P0 = blend2(a0, pdm, b0, P0); M0 = blend2(a0, mdm, b0, M0);
        if (wide) {
          A1 = blend2(a1, tr, b1, A1); P1 = blend2(a1, pdm, b1, P1); M1 = blend2(a1, mdm, b1, M1);
        }
      } else {
        A0 = tr; A1 = tr; P0 = pdm; P1 = pdm; M0 = mdm; M1 = mdm;
        seeded = true;
      }
      const az0 = f64x2.eq(A0, zero), az1 = f64x2.eq(A1, zero);
      const pd0 = f64x2.mul(hundred, f64x2.div(P0, A0)), md0 = f64x2.mul(hundred, f64x2.div(M0, A0));
      Y0 = ewma2(Y0, dx2(pd0, md0, az0, zero, hundred, nan), c0, d0);
      if (wide) {
        const pd1 = f64x2.mul(hundred, f64x2.div(P1, A1)), md1 = f64x2.mul(hundred, f64x2.div(M1, A1));
        Y1 = ewma2(Y1, dx2(pd1, md1, az1, zero, hundred, nan), c1, d1);
        if (o0) st4(o0 + off, vStride, Y0, Y1);
        if (o1) st4(o1 + off, vStride, v128.bitselect(nan, pd0, az0), v128.bitselect(nan, pd1, az1));
        if (o2) st4(o2 + off, vStride, v128.bitselect(nan, md0, az0), v128.bitselect(nan, md1, az1));
      } else {
        if (o0) st2(o0 + off, vStride, Y0);
        if (o1) st2(o1 + off, vStride, v128.bitselect(nan, pd0, az0));
        if (o2) st2(o2 + off, vStride, v128.bitselect(nan, md0, az0));
      }
    }
    off += tStride;
  }
  v128.store(cA, A0); v128.store(cP, P0); v128.store(cM, M0); v128.store(cY, Y0);
  if (wide) {
    v128.store(cA, A1, 16); v128.store(cP, P1, 16); v128.store(cM, M1, 16); v128.store(cY, Y1, 16);
  }
}

// ---------------------------------------------------------------- aroon
// SH = AGE_MAX(high, n), SL = AGE_MIN(low, n) (bars since the newest extreme of the window);
// aroon_up = ((n − SH) / n)·100, aroon_down = ((n − SL) / n)·100, aroon_osc = up − down.
// The talib profile (TA-Lib's AROON and AROONOSC) looks back over n + 1 bars (the ages run 0 … n,
// the first value at bar n of a segment) and computes as TA-Lib does: with f = 100 / n,
// aroon_up = f·(n − SH), aroon_down = f·(n − SL), aroon_osc = f·(SL − SH).
// Scalar per variant over the shared extreme tables (AGE modes).
// Slots [aroon_osc, aroon_up, aroon_down], each optional. Scratch: 2 extreme tables with indices.

/**
 * Starts a shared extreme table (primitives.ts xtFill) for a call: empty for a call that starts the
 * series. A resumed call first adds the wmax − 1 rows before it (from bar 0 on), so every window of
 * the call finds its blocks built from the same values; no window of the call reaches a row before
 * those, so it counts as a NaN (the last NaN row), and where they reach bar 0, row −1 − base does
 * (the window is full from bar w − 1 on). Rows are indexed relative to the call; ring slots and the
 * ages and bar indices of the AGE modes only ever use differences of them.
 */
function xtStart(tab: usize, slots: i32, K: i32, x: usize, base: i32, wmax: i32, mode: i32): void {
  const from = max(-base, 1 - wmax);
  store<i32>(tab, from - 1);
  for (let s = from; s < 0; s += CHUNK) xtFill(tab, slots, K, x, s, min(0, s + CHUNK), mode);
}

/**
 * aroon (`ages`) and donchian: per variant, the window extremes of high and low from the shared
 * tables, as bars since the newest extreme (aroon) or as values (donchian); three optional slots.
 */
@inline function highLowWindows(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize, ages: bool): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2);
  const modeH = ages ? DQ_AGE_MAX : DQ_MAX, modeL = ages ? DQ_AGE_MIN : DQ_MIN;
  // no state: a resumed call rebuilds its tables from the window − 1 rows before it (xtStart)
  const base = barBase(io);
  const slots = base > 0 ? RING_MAX : ringSlots(t);
  const tabH = scratch, tabL = tabH + xtBytes(RING_MAX, ages);
  // the talib profile's aroon windows hold one bar more than the period
  const talib = ages && talibProfile(io);
  const extra = talib ? 1 : 0;
  const wmax = maxParams(params, n, 0, 1) + extra, K = xtLevels(wmax);
  xtStart(tabH, slots, K, h, base, wmax, modeH);
  xtStart(tabL, slots, K, l, base, wmax, modeL);
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    xtFill(tabH, slots, K, h, t0, t1, modeH);
    xtFill(tabL, slots, K, l, t0, t1, modeL);
    for (let j = 0; j < n; j++) {
      const nf = paramAt(params, n, 0, j);
      const w = <i32>nf + extra;
      const k = xtLevels(w), pk = 1 << k;
      let off = <usize>j * vStride + <usize>t0 * tStride;
      if (talib) {
        const f = 100.0 / nf;
        for (let i = t0; i < t1; i++) {
          const H = xtQuery(tabH, slots, k, pk, i, t0, w, modeH);
          const L = xtQuery(tabL, slots, k, pk, i, t0, w, modeL);
          if (o0) st1(o0 + off, f * (L - H));
          if (o1) st1(o1 + off, f * (nf - H));
          if (o2) st1(o2 + off, f * (nf - L));
          off += tStride;
        }
        continue;
      }
      for (let i = t0; i < t1; i++) {
        const H = xtQuery(tabH, slots, k, pk, i, t0, w, modeH);
        const L = xtQuery(tabL, slots, k, pk, i, t0, w, modeL);
        if (ages) {
          const up = ((nf - H) / nf) * 100.0, down = ((nf - L) / nf) * 100.0;
          if (o0) st1(o0 + off, up - down);
          if (o1) st1(o1 + off, up);
          if (o2) st1(o2 + off, down);
        } else {
          if (o0) st1(o0 + off, (H + L) * 0.5);
          if (o1) st1(o1 + off, H);
          if (o2) st1(o2 + off, L);
        }
        off += tStride;
      }
    }
  }
}

export function aroon(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  highLowWindows(io, t, n, params, tStride, vStride, scratch, true);
}

// ---------------------------------------------------------------- chandelier_exit
// chandelier_long = ROLLMAX(high, n) − (mult·ATR(n)), chandelier_short = ROLLMIN(low, n) + (mult·ATR(n)).
// TR is computed once per chunk; the first variant of each run of equal windows reads the extremes
// from the shared tables, runs the ATR and leaves HH, LL and ATR of the chunk in scratch for the run.
// Scalar per variant. Slots [chandelier_long, chandelier_short], each optional.
// Scratch: CHANDELIER_ARRAYS arrays of n f64 (ATR), 4 × CHUNK f64 (TR, HH, LL, ATR of the chunk), 2 extreme tables.

export function chandelier_exit(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1);
  // the ATR (kept by the first variant of each run of equal windows) is the state; a resumed call
  // rebuilds its tables from the window − 1 rows before it (xtStart), the last of which gives TR its close
  const base = barBase(io);
  const slots = base > 0 ? RING_MAX : ringSlots(t);
  const bars = scratch + ((<usize>n * CHANDELIER_ARRAYS) << 3);
  const tabH = bars + ((<usize>CHUNK * 4) << 3), tabL = tabH + xtBytes(RING_MAX, false);
  const wmax = maxParams(params, n, 0, 1), K = xtLevels(wmax);
  xtStart(tabH, slots, K, h, base, wmax, DQ_MAX);
  xtStart(tabL, slots, K, l, base, wmax, DQ_MIN);
  if (!resumed(io)) for (let j = 0; j < n; j++) store<f64>(cell(scratch, n, CHANDELIER_ATR, j), NaN);
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    xtFill(tabH, slots, K, h, t0, t1, DQ_MAX);
    xtFill(tabL, slots, K, l, t0, t1, DQ_MIN);
    for (let i = t0; i < t1; i++) store<f64>(chunkAt(bars, 0, i - t0), trueRangeBar(h, l, c, i, base));
    for (let j = 0; j < n; j++) {
      const nf = paramAt(params, n, 0, j);
      if (leads(params, n, 1, j)) {
        const w = <i32>nf;
        const k = xtLevels(w), pk = 1 << k;
        const a = 1.0 / nf, b = 1.0 - a;
        let A = load<f64>(cell(scratch, n, CHANDELIER_ATR, j));
        for (let i = t0; i < t1; i++) {
          const q = i - t0;
          A = ewma1(A, load<f64>(chunkAt(bars, 0, q)), a, b);
          store<f64>(chunkAt(bars, 1, q), xtQuery(tabH, slots, k, pk, i, t0, w, DQ_MAX));
          store<f64>(chunkAt(bars, 2, q), xtQuery(tabL, slots, k, pk, i, t0, w, DQ_MIN));
          store<f64>(chunkAt(bars, 3, q), A);
        }
        store<f64>(cell(scratch, n, CHANDELIER_ATR, j), A);
      }
      const mult = paramAt(params, n, 1, j);
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const q = i - t0;
        const m = mult * load<f64>(chunkAt(bars, 3, q));
        if (o0) st1(o0 + off, load<f64>(chunkAt(bars, 1, q)) - m);
        if (o1) st1(o1 + off, load<f64>(chunkAt(bars, 2, q)) + m);
        off += tStride;
      }
    }
  }
}

// ---------------------------------------------------------------- donchian
// upper = ROLLMAX(high, n), lower = ROLLMIN(low, n), mid = (upper + lower)·0.5. Scalar per variant
// over the shared extreme tables. Slots [donchian_mid, donchian_upper, donchian_lower], each optional.
// Scratch: 2 extreme tables.

export function donchian(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  highLowWindows(io, t, n, params, tStride, vStride, scratch, false);
}

// ---------------------------------------------------------------- ichimoku
// conversion = (ROLLMAX(high, cw) + ROLLMIN(low, cw))·0.5, base likewise over bw, B0 over sbw;
// A0 = (conversion + base)·0.5; span_a[t] = A0[t + d], span_b[t] = B0[t + d] (look-ahead: the last d
// rows are NaN), lagging[t] = close[t − d]. Bar s of a chunk therefore writes conversion, base and
// lagging at row s and the spans at row s − d; the spans' last d rows are written NaN after the last
// chunk. The extremes come from the shared tables; the first variant of each run of equal (cw, bw,
// sbw) leaves the chunk's conversion, base and B0 in scratch for the run (variants differing only in
// d). Scalar per variant. Slots [span_a, conversion, base, span_b, lagging], each optional.
// Scratch: 3 × CHUNK f64, 2 extreme tables.

export function ichimoku(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2), o3 = outPtr(io, 3), o4 = outPtr(io, 4);
  // no state: a resumed call rebuilds its tables from the window − 1 rows before it (xtStart), and
  // lagging reads the close `displacement` rows back. The spans of row r are the lines of bar
  // r + displacement: a call writes them for its own rows only, so the last `displacement` rows of a
  // call are NaN (as the last rows of the series are) and stay so when a later call resumes
  const base = barBase(io);
  const slots = base > 0 ? RING_MAX : ringSlots(t);
  const bars = scratch;
  const tabH = bars + ((<usize>CHUNK * 3) << 3), tabL = tabH + xtBytes(RING_MAX, false);
  const wmax = maxParams(params, n, 0, 3), K = xtLevels(wmax);
  xtStart(tabH, slots, K, h, base, wmax, DQ_MAX);
  xtStart(tabL, slots, K, l, base, wmax, DQ_MIN);
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    xtFill(tabH, slots, K, h, t0, t1, DQ_MAX);
    xtFill(tabL, slots, K, l, t0, t1, DQ_MIN);
    for (let j = 0; j < n; j++) {
      if (leads(params, n, 3, j)) {
        for (let a = 0; a < 3; a++) {
          const w = <i32>paramAt(params, n, a, j);
          const k = xtLevels(w), pk = 1 << k;
          for (let i = t0; i < t1; i++) {
            const up = xtQuery(tabH, slots, k, pk, i, t0, w, DQ_MAX);
            const lo = xtQuery(tabL, slots, k, pk, i, t0, w, DQ_MIN);
            store<f64>(chunkAt(bars, a, i - t0), (up + lo) * 0.5);
          }
        }
      }
      const d = <i32>paramAt(params, n, 3, j);
      const col = <usize>j * vStride;
      for (let i = t0; i < t1; i++) {
        const k = i - t0;
        const conv = load<f64>(chunkAt(bars, 0, k)), baseLine = load<f64>(chunkAt(bars, 1, k));
        const off = col + <usize>i * tStride;
        if (o1) st1(o1 + off, conv);
        if (o2) st1(o2 + off, baseLine);
        if (o4) st1(o4 + off, i + base >= d ? ldx(c, i - d) : NaN);
        if (i >= d) {
          const back = col + <usize>(i - d) * tStride;
          if (o0) st1(o0 + back, (conv + baseLine) * 0.5);
          if (o3) st1(o3 + back, load<f64>(chunkAt(bars, 2, k)));
        }
      }
    }
  }
  for (let j = 0; j < n; j++) {
    const d = <i32>paramAt(params, n, 3, j);
    const col = <usize>j * vStride;
    for (let i = max(0, t - d); i < t; i++) {
      const off = col + <usize>i * tStride;
      stNaN1(o0 + off, o0);
      stNaN1(o3 + off, o3);
    }
  }
}

// ---------------------------------------------------------------- keltner
// middle = EMA(TP, n), A = ATR(n) = RMA(TR, n), upper = middle + (mult·A), lower = middle − (mult·A).
// TP and TR are shared: computed once per chunk into scratch. EWMA steps per lane.
// SIMD: blocks of four variants in registers along the chunk. Slots [middle, upper, lower], each optional.
// Scratch: KELTNER_ARRAYS arrays of n f64 (aE, bE, aR, bR, mult, middle, ATR), then 2 × CHUNK f64 (TP, TR).

export function keltner(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1), o2 = outPtr(io, 2);
  const bars = scratch + ((<usize>n * KELTNER_ARRAYS) << 3);
  const resume = resumed(io), base = barBase(io);
  for (let j = 0; j < n; j++) {
    const w = paramAt(params, n, 0, j);
    const ae = 2.0 / (w + 1.0), ar = 1.0 / w;
    store<f64>(cell(scratch, n, KELTNER_EMA_A, j), ae);
    store<f64>(cell(scratch, n, KELTNER_EMA_B, j), 1.0 - ae);
    store<f64>(cell(scratch, n, KELTNER_RMA_A, j), ar);
    store<f64>(cell(scratch, n, KELTNER_RMA_B, j), 1.0 - ar);
    store<f64>(cell(scratch, n, KELTNER_MULT, j), paramAt(params, n, 1, j));
    // the middle line and the ATR are the state: a resumed call continues them
    if (!resume) {
      store<f64>(cell(scratch, n, KELTNER_MID, j), NaN);
      store<f64>(cell(scratch, n, KELTNER_ATR, j), NaN);
    }
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~3;
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    for (let i = t0; i < t1; i++) {
      store<f64>(chunkAt(bars, 0, i - t0), (ldx(h, i) + ldx(l, i) + ldx(c, i)) / 3.0);
      store<f64>(chunkAt(bars, 1, i - t0), trueRangeBar(h, l, c, i, base));
    }
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 4) {
        const ae0 = v128.load(cell(scratch, n, KELTNER_EMA_A, j)), ae1 = v128.load(cell(scratch, n, KELTNER_EMA_A, j + 2));
        const be0 = v128.load(cell(scratch, n, KELTNER_EMA_B, j)), be1 = v128.load(cell(scratch, n, KELTNER_EMA_B, j + 2));
        const ar0 = v128.load(cell(scratch, n, KELTNER_RMA_A, j)), ar1 = v128.load(cell(scratch, n, KELTNER_RMA_A, j + 2));
        const br0 = v128.load(cell(scratch, n, KELTNER_RMA_B, j)), br1 = v128.load(cell(scratch, n, KELTNER_RMA_B, j + 2));
        const mu0 = v128.load(cell(scratch, n, KELTNER_MULT, j)), mu1 = v128.load(cell(scratch, n, KELTNER_MULT, j + 2));
        let M0 = v128.load(cell(scratch, n, KELTNER_MID, j)), M1 = v128.load(cell(scratch, n, KELTNER_MID, j + 2));
        let A0 = v128.load(cell(scratch, n, KELTNER_ATR, j)), A1 = v128.load(cell(scratch, n, KELTNER_ATR, j + 2));
        let off = <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const tp = f64x2.splat(load<f64>(chunkAt(bars, 0, i - t0))), tr = f64x2.splat(load<f64>(chunkAt(bars, 1, i - t0)));
          M0 = ewma2(M0, tp, ae0, be0); M1 = ewma2(M1, tp, ae1, be1);
          A0 = ewma2(A0, tr, ar0, br0); A1 = ewma2(A1, tr, ar1, br1);
          if (o0) st4(o0 + off, vStride, M0, M1);
          if (o1) st4(o1 + off, vStride, f64x2.add(M0, f64x2.mul(mu0, A0)), f64x2.add(M1, f64x2.mul(mu1, A1)));
          if (o2) st4(o2 + off, vStride, f64x2.sub(M0, f64x2.mul(mu0, A0)), f64x2.sub(M1, f64x2.mul(mu1, A1)));
          off += tStride;
        }
        v128.store(cell(scratch, n, KELTNER_MID, j), M0); v128.store(cell(scratch, n, KELTNER_MID, j + 2), M1);
        v128.store(cell(scratch, n, KELTNER_ATR, j), A0); v128.store(cell(scratch, n, KELTNER_ATR, j + 2), A1);
      }
    }
    for (let j = full; j < n; j++) {
      const ae = load<f64>(cell(scratch, n, KELTNER_EMA_A, j)), be = load<f64>(cell(scratch, n, KELTNER_EMA_B, j));
      const ar = load<f64>(cell(scratch, n, KELTNER_RMA_A, j)), br = load<f64>(cell(scratch, n, KELTNER_RMA_B, j));
      const mult = load<f64>(cell(scratch, n, KELTNER_MULT, j));
      let M = load<f64>(cell(scratch, n, KELTNER_MID, j)), A = load<f64>(cell(scratch, n, KELTNER_ATR, j));
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        M = ewma1(M, load<f64>(chunkAt(bars, 0, i - t0)), ae, be);
        A = ewma1(A, load<f64>(chunkAt(bars, 1, i - t0)), ar, br);
        if (o0) st1(o0 + off, M);
        if (o1) st1(o1 + off, M + mult * A);
        if (o2) st1(o2 + off, M - mult * A);
        off += tStride;
      }
      store<f64>(cell(scratch, n, KELTNER_MID, j), M); store<f64>(cell(scratch, n, KELTNER_ATR, j), A);
    }
  }
}

// ---------------------------------------------------------------- linreg_slope
// For t >= n − 1, over y = src[t−n+1+k], k = 0 … n−1: SY = Σy, SXY = Σ(k·y) (sequential, from 0),
// slope = ((N·SXY) − (SX·SY)) / DEN with SX = (N·(N − 1))·0.5, SXX = (((N − 1)·N)·((2·N) − 1)) / 6,
// DEN = (N·SXX) − (SX·SX) > 0; a NaN y makes the sums and the slope NaN. Direct per-window sums.
// SIMD: four consecutive bars per step (two f64x2, lane = bar); the scalar tail does one bar. No scratch.
// No state either: a resumed call reads the n − 1 rows before it, and a window is full from bar
// n − 1 on (row n − 1 − base).

export function linreg_slope(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const x = ioPtr(io, IO_SRC);
  const out = outPtr(io, 0);
  const bar0 = barBase(io);
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    for (let j = 0; j < n; j++) {
      const N = paramAt(params, n, 0, j);
      const w = <i32>N;
      const SX = (N * (N - 1.0)) * 0.5;
      const SXX = (((N - 1.0) * N) * ((2.0 * N) - 1.0)) / 6.0;
      const DEN = (N * SXX) - (SX * SX);
      const base = out + <usize>j * vStride;
      let i = t0;
      const first = min(t1, max(t0, w - 1 - bar0));
      for (; i < first; i++) store<u32>(base + <usize>i * tStride, CANON_NAN);
      if (ASC_FEATURE_SIMD) {
        const zero = f64x2.splat(0.0), one = f64x2.splat(1.0);
        const Nv = f64x2.splat(N), SXv = f64x2.splat(SX), DENv = f64x2.splat(DEN);
        for (; i + 4 <= t1; i += 4) {
          const p0 = x + (<usize>(i - w + 1) << 2);
          let yA = zero, yB = zero, xyA = zero, xyB = zero, kv = zero;
          for (let k = 0; k < w; k++) {
            const p = p0 + (<usize>k << 2);
            const a = f64x2.promote_low_f32x4(v128.load64_zero(p)), b = f64x2.promote_low_f32x4(v128.load64_zero(p, 8));
            yA = f64x2.add(yA, a); yB = f64x2.add(yB, b);
            xyA = f64x2.add(xyA, f64x2.mul(kv, a)); xyB = f64x2.add(xyB, f64x2.mul(kv, b));
            kv = f64x2.add(kv, one);
          }
          const rA = f64x2.div(f64x2.sub(f64x2.mul(Nv, xyA), f64x2.mul(SXv, yA)), DENv);
          const rB = f64x2.div(f64x2.sub(f64x2.mul(Nv, xyB), f64x2.mul(SXv, yB)), DENv);
          const o = base + <usize>i * tStride;
          st1(o, f64x2.extract_lane(rA, 0));
          st1(o + tStride, f64x2.extract_lane(rA, 1));
          st1(o + (tStride << 1), f64x2.extract_lane(rB, 0));
          st1(o + tStride * 3, f64x2.extract_lane(rB, 1));
        }
      }
      for (; i < t1; i++) {
        const p0 = x + (<usize>(i - w + 1) << 2);
        let SY = 0.0, SXY = 0.0;
        for (let k = 0; k < w; k++) {
          const y = <f64>load<f32>(p0 + (<usize>k << 2));
          SY = SY + y;
          SXY = SXY + <f64>k * y;
        }
        st1(base + <usize>i * tStride, (N * SXY - SX * SY) / DEN);
      }
    }
  }
}

// ---------------------------------------------------------------- psar
// Wilder's parabolic SAR as the spec's state machine (starts long at the first valid bar of a run,
// clamps against the previous bar only, af = min(accel_max, af + accel_step) by comparison). The
// branches depend on each variant's own path, so it runs scalar per variant in both builds.
// The talib profile follows TA-Lib's SAR / SAREXT (start value 0, no offset) instead: the first bar
// of a segment has no output; the second picks the direction from the two bars' directional movement
// (short iff the low fell by more than 0 and by more than the high rose, else long) and starts the
// SAR at the first bar's low (long) or high (short) with the second bar's high (long) or low (short)
// as extreme point, the first bar's "previous" bar being itself. Each bar then reverses when its low
// touches the SAR (long: low ≤ sar; short: high ≥ sar), the reversed SAR being the extreme point
// pushed out of the previous and the current bar's range; it outputs the SAR and computes the next
// bar's SAR, clamped against the previous and the current bar (the state keeps that next SAR).
// Slots [psar, psar_dir], each optional. Scratch: PSAR_ARRAYS arrays of n f64: dir, sar, ep, af, ph, pl.

export function psar(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1);
  // the machine's six arrays are the whole state: a resumed call continues them as they are
  if (!resumed(io)) {
    for (let j = 0; j < n; j++) {
      store<f64>(cell(scratch, n, PSAR_DIR, j), 0.0);
      for (let k = 1; k < 6; k++) store<f64>(cell(scratch, n, k, j), NaN);
      store<f64>(cell(scratch, n, PSAR_AF, j), paramAt(params, n, 0, j));
    }
  }
  const talib = talibProfile(io);
  for (let t0 = 0, step = span(t, vStride); t0 < t; t0 += step) {
    const t1 = min(t, t0 + step);
    for (let j = 0; j < n; j++) {
      const start = paramAt(params, n, 0, j), step = paramAt(params, n, 1, j), amax = paramAt(params, n, 2, j);
      let dir = load<f64>(cell(scratch, n, PSAR_DIR, j)), sar = load<f64>(cell(scratch, n, PSAR_SAR, j)), ep = load<f64>(cell(scratch, n, PSAR_EP, j));
      let af = load<f64>(cell(scratch, n, PSAR_AF, j)), ph = load<f64>(cell(scratch, n, PSAR_PH, j)), pl = load<f64>(cell(scratch, n, PSAR_PL, j));
      let off = <usize>j * vStride + <usize>t0 * tStride;
      if (talib) {
        for (let i = t0; i < t1; i++) {
          const hi = ldx(h, i), lo = ldx(l, i);
          if (hi != hi || lo != lo || (dir == 0 && ph != ph)) {
            // a hole resets the machine; the first bar of a segment only becomes the previous bar
            const hole = hi != hi || lo != lo;
            dir = 0.0; af = start; sar = NaN; ep = NaN;
            ph = hole ? NaN : hi;
            pl = hole ? NaN : lo;
            stNaN1(o0 + off, o0);
            stNaN1(o1 + off, o1);
            off += tStride;
            continue;
          }
          if (dir == 0) {
            const up = hi - ph, dn = pl - lo;
            if (dn > 0 && up < dn) {
              dir = -1.0; sar = ph; ep = lo;
            } else {
              dir = 1.0; sar = pl; ep = hi;
            }
            af = start;
            ph = hi;
            pl = lo;
          }
          let v: f64;
          if (dir > 0) {
            if (lo <= sar) {
              dir = -1.0;
              sar = ep;
              if (sar < ph) sar = ph;
              if (sar < hi) sar = hi;
              v = sar;
              af = start;
              ep = lo;
              sar = sar + af * (ep - sar);
              if (sar < ph) sar = ph;
              if (sar < hi) sar = hi;
            } else {
              v = sar;
              if (hi > ep) {
                ep = hi;
                const a = af + step;
                af = amax < a ? amax : a;
              }
              sar = sar + af * (ep - sar);
              if (sar > pl) sar = pl;
              if (sar > lo) sar = lo;
            }
          } else {
            if (hi >= sar) {
              dir = 1.0;
              sar = ep;
              if (sar > pl) sar = pl;
              if (sar > lo) sar = lo;
              v = sar;
              af = start;
              ep = hi;
              sar = sar + af * (ep - sar);
              if (sar > pl) sar = pl;
              if (sar > lo) sar = lo;
            } else {
              v = sar;
              if (lo < ep) {
                ep = lo;
                const a = af + step;
                af = amax < a ? amax : a;
              }
              sar = sar + af * (ep - sar);
              if (sar < ph) sar = ph;
              if (sar < hi) sar = hi;
            }
          }
          if (o0) st1(o0 + off, v);
          if (o1) st1(o1 + off, dir);
          ph = hi;
          pl = lo;
          off += tStride;
        }
      }
      for (let i = talib ? t1 : t0; i < t1; i++) {
        const hi = ldx(h, i), lo = ldx(l, i);
        if (hi != hi || lo != lo) {
          dir = 0.0; af = start; sar = NaN; ep = NaN; ph = NaN; pl = NaN;
          stNaN1(o0 + off, o0);
          stNaN1(o1 + off, o1);
          off += tStride;
          continue;
        }
        if (dir == 0) {
          dir = 1.0; sar = lo; ep = hi; af = start;
        } else {
          sar = sar + af * (ep - sar);
          if (dir > 0) {
            if (sar > pl) sar = pl;
            if (lo < sar) {
              dir = -1.0; sar = ep; ep = lo; af = start;
            } else if (hi > ep) {
              ep = hi;
              const a = af + step;
              af = amax < a ? amax : a;
            }
          } else {
            if (sar < ph) sar = ph;
            if (hi > sar) {
              dir = 1.0; sar = ep; ep = hi; af = start;
            } else if (lo < ep) {
              ep = lo;
              const a = af + step;
              af = amax < a ? amax : a;
            }
          }
        }
        if (o0) st1(o0 + off, sar);
        if (o1) st1(o1 + off, dir);
        ph = hi;
        pl = lo;
        off += tStride;
      }
      store<f64>(cell(scratch, n, PSAR_DIR, j), dir); store<f64>(cell(scratch, n, PSAR_SAR, j), sar); store<f64>(cell(scratch, n, PSAR_EP, j), ep);
      store<f64>(cell(scratch, n, PSAR_AF, j), af); store<f64>(cell(scratch, n, PSAR_PH, j), ph); store<f64>(cell(scratch, n, PSAR_PL, j), pl);
    }
  }
}

// ---------------------------------------------------------------- supertrend
// A = ATR(n); NaN bars (high, low, close or A) output NaN and reset the machine; m = (high + low)·0.5,
// BU = m + (mult·A), BL = m − (mult·A); the first bar of a run sets dir by close >= m and the final
// bands to BU / BL; later bars tighten FU / FL (or follow a crossed previous close) and flip dir when
// the close crosses the active band; the output is FL in an up-trend, FU in a down-trend.
// TR is computed once per chunk; the first variant of each run of equal windows runs the ATR and
// leaves it in scratch for the run. The machine branches per variant: scalar per variant.
// Slots [supertrend, supertrend_dir], each optional.
// Scratch: SUPERTREND_ARRAYS arrays of n f64 (ATR, dir, FU, FL, previous close), then 2 × CHUNK f64 (TR, ATR).

export function supertrend(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1);
  const bars = scratch + ((<usize>n * SUPERTREND_ARRAYS) << 3);
  const base = barBase(io);
  // the ATR (kept by the first variant of each run of equal windows), dir, FU, FL and the previous
  // close are the whole state: a resumed call continues them, reading only the close of bar −1 (TR)
  if (!resumed(io)) {
    for (let j = 0; j < n; j++) {
      store<f64>(cell(scratch, n, SUPERTREND_ATR, j), NaN);
      store<f64>(cell(scratch, n, SUPERTREND_DIR, j), 0.0);
      for (let k = 2; k < 5; k++) store<f64>(cell(scratch, n, k, j), NaN);
    }
  }
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    for (let i = t0; i < t1; i++) store<f64>(chunkAt(bars, 0, i - t0), trueRangeBar(h, l, c, i, base));
    for (let j = 0; j < n; j++) {
      if (leads(params, n, 1, j)) {
        const a = 1.0 / paramAt(params, n, 0, j), b = 1.0 - a;
        let A = load<f64>(cell(scratch, n, SUPERTREND_ATR, j));
        for (let i = t0; i < t1; i++) {
          A = ewma1(A, load<f64>(chunkAt(bars, 0, i - t0)), a, b);
          store<f64>(chunkAt(bars, 1, i - t0), A);
        }
        store<f64>(cell(scratch, n, SUPERTREND_ATR, j), A);
      }
      const mult = paramAt(params, n, 1, j);
      let dir = load<f64>(cell(scratch, n, SUPERTREND_DIR, j)), FU = load<f64>(cell(scratch, n, SUPERTREND_FU, j));
      let FL = load<f64>(cell(scratch, n, SUPERTREND_FL, j)), pc = load<f64>(cell(scratch, n, SUPERTREND_PC, j));
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const hi = ldx(h, i), lo = ldx(l, i), cl = ldx(c, i), A = load<f64>(chunkAt(bars, 1, i - t0));
        if (hi != hi || lo != lo || cl != cl || A != A) {
          dir = 0.0; FU = NaN; FL = NaN; pc = NaN;
          stNaN1(o0 + off, o0);
          stNaN1(o1 + off, o1);
          off += tStride;
          continue;
        }
        const m = (hi + lo) * 0.5;
        const BU = m + mult * A, BL = m - mult * A;
        let v: f64;
        if (dir == 0) {
          dir = cl >= m ? 1.0 : -1.0;
          FU = BU;
          FL = BL;
          v = dir > 0 ? FL : FU;
        } else {
          if (BU < FU || pc > FU) FU = BU;
          if (BL > FL || pc < FL) FL = BL;
          if (dir > 0) {
            if (cl < FL) { dir = -1.0; v = FU; } else v = FL;
          } else {
            if (cl > FU) { dir = 1.0; v = FL; } else v = FU;
          }
        }
        pc = cl;
        if (o0) st1(o0 + off, v);
        if (o1) st1(o1 + off, dir);
        off += tStride;
      }
      store<f64>(cell(scratch, n, SUPERTREND_DIR, j), dir); store<f64>(cell(scratch, n, SUPERTREND_FU, j), FU);
      store<f64>(cell(scratch, n, SUPERTREND_FL, j), FL); store<f64>(cell(scratch, n, SUPERTREND_PC, j), pc);
    }
  }
}

// ---------------------------------------------------------------- vortex
// VMP = |high − low[t−1]|, VMM = |low − high[t−1]| (NaN at 0 or with a NaN operand), ST = ROLLSUM(TR, n);
// vi_plus = ROLLSUM(VMP, n) / ST, vi_minus = ROLLSUM(VMM, n) / ST, NaN where ST == 0 (ROLLSUM per lane).
// TR, VMP and VMM are shared: computed once per chunk into rings (primitives.ts), so every lane reads
// the same bits for the incoming and the outgoing term. SIMD: pairs of variants.
// Slots [vi_plus, vi_minus], each optional.
// Scratch: VORTEX_ARRAYS arrays of n f64 (S, k, z of the TR, VMP and VMM sums; n), then 3 rings of
// ringSlots(t) f64 (RING_MAX in a resumed call).

/** TR, VMP and VMM of rows i0 … i1 − 1 (bar base + i) into the rings; VMP and VMM are NaN at bar 0. */
@inline function vortexTerms(h: usize, l: usize, c: usize, trR: usize, vpR: usize, vmR: usize, mask: i32, i0: i32, i1: i32, base: i32): void {
  for (let i = i0; i < i1; i++) {
    const first = i + base == 0;
    store<f64>(ringAt(trR, mask, i), trueRangeBar(h, l, c, i, base));
    store<f64>(ringAt(vpR, mask, i), first ? NaN : abs(ldx(h, i) - ldx(l, i - 1)));
    store<f64>(ringAt(vmR, mask, i), first ? NaN : abs(ldx(l, i) - ldx(h, i - 1)));
  }
}

@inline function ratio2(num: v128, den: v128): v128 {
  return v128.bitselect(f64x2.splat(NaN), f64x2.div(num, den), f64x2.eq(den, f64x2.splat(0.0)));
}

export function vortex(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE);
  const o0 = outPtr(io, 0), o1 = outPtr(io, 1);
  // The rolling sums are the state of a resumed call (S, k, z of each). Its outgoing terms are those of
  // bars base − wmax … base − 1: recomputed from the history rows into the rings (indexed by row,
  // bar base − 1 at row −1) before the first chunk, the same operations giving the same bits. A
  // resumed call's rings hold RING_MAX ≥ CHUNK + 2000 slots, so no slot still needed is overwritten.
  const resume = resumed(io), base = barBase(io);
  const R = resume ? RING_MAX : ringSlots(t), mask = R - 1;
  const trR = scratch + ((<usize>n * VORTEX_ARRAYS) << 3);
  const vpR = trR + (<usize>R << 3);
  const vmR = vpR + (<usize>R << 3);
  for (let j = 0; j < n; j++) {
    if (!resume) for (let k = 0; k < 9; k++) store<f64>(cell(scratch, n, k, j), 0.0);
    store<f64>(cell(scratch, n, VORTEX_N, j), paramAt(params, n, 0, j));
  }
  if (resume) vortexTerms(h, l, c, trR, vpR, vmR, mask, max(-base, -maxParams(params, n, 0, 1)), 0, base);
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = 0; t0 < t; t0 += CHUNK) {
    const t1 = min(t, t0 + CHUNK);
    vortexTerms(h, l, c, trR, vpR, vmR, mask, t0, t1, base);
    if (ASC_FEATURE_SIMD) {
      // the window rules t >= n (a term leaves) and t >= n − 1 (the window is full) on the bar index
      // base + i, as i >= n − base: exact in binary64
      const bf = f64x2.splat(<f64>base);
      for (let j = 0; j < full; j += 2) {
        const nw = v128.load(cell(scratch, n, VORTEX_N, j));
        const nf = f64x2.sub(nw, bf);
        const nm1 = f64x2.sub(nf, f64x2.splat(1.0));
        const w0 = <i32>f64x2.extract_lane(nw, 0), w1 = <i32>f64x2.extract_lane(nw, 1);
        let off = <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const leave = geMask(i, nf), valid = geMask(i, nm1);
          const st = rollsumStep2(cell(scratch, n, VORTEX_TR, j), cell(scratch, n, VORTEX_TR + 1, j), cell(scratch, n, VORTEX_TR + 2, j),
            f64x2.splat(load<f64>(ringAt(trR, mask, i))), ringGather2(trR, mask, i, w0, w1), leave, valid);
          const sp = rollsumStep2(cell(scratch, n, VORTEX_VMP, j), cell(scratch, n, VORTEX_VMP + 1, j), cell(scratch, n, VORTEX_VMP + 2, j),
            f64x2.splat(load<f64>(ringAt(vpR, mask, i))), ringGather2(vpR, mask, i, w0, w1), leave, valid);
          const sm = rollsumStep2(cell(scratch, n, VORTEX_VMM, j), cell(scratch, n, VORTEX_VMM + 1, j), cell(scratch, n, VORTEX_VMM + 2, j),
            f64x2.splat(load<f64>(ringAt(vmR, mask, i))), ringGather2(vmR, mask, i, w0, w1), leave, valid);
          if (o0) st2(o0 + off, vStride, ratio2(sp, st));
          if (o1) st2(o1 + off, vStride, ratio2(sm, st));
          off += tStride;
        }
      }
    }
    for (let j = full; j < n; j++) {
      const w = <i32>load<f64>(cell(scratch, n, VORTEX_N, j));
      const wb = w - base;
      let off = <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const leaving = i >= wb, valid = i >= wb - 1;
        const st = rollsumStep1(cell(scratch, n, VORTEX_TR, j), cell(scratch, n, VORTEX_TR + 1, j), cell(scratch, n, VORTEX_TR + 2, j),
          load<f64>(ringAt(trR, mask, i)), leaving ? load<f64>(ringAt(trR, mask, i - w)) : 0.0, leaving, valid);
        const sp = rollsumStep1(cell(scratch, n, VORTEX_VMP, j), cell(scratch, n, VORTEX_VMP + 1, j), cell(scratch, n, VORTEX_VMP + 2, j),
          load<f64>(ringAt(vpR, mask, i)), leaving ? load<f64>(ringAt(vpR, mask, i - w)) : 0.0, leaving, valid);
        const sm = rollsumStep1(cell(scratch, n, VORTEX_VMM, j), cell(scratch, n, VORTEX_VMM + 1, j), cell(scratch, n, VORTEX_VMM + 2, j),
          load<f64>(ringAt(vmR, mask, i)), leaving ? load<f64>(ringAt(vmR, mask, i - w)) : 0.0, leaving, valid);
        if (o0) st1(o0 + off, st == 0 ? NaN : sp / st);
        if (o1) st1(o1 + off, st == 0 ? NaN : sm / st);
        off += tStride;
      }
    }
  }
}
