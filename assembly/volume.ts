// Kernels of the `volume` group. Signature, chunking and lane layout as in ma.ts:
// lane 0 = variant j, lane 1 = variant j + 1 of one f64x2; blocks of variants walk a time chunk with
// their state in registers or scratch, the variants left over (all of them in the scalar build) run
// through a scalar tail with the same operations in the same order; state survives in scratch between
// chunks. Series shared by every variant of a call (TP·volume, money flows, DIFF(AD)) are computed
// once per chunk into rings (primitives.ts), so every lane reads the same bits.
// All divisions with a denominator that can be zero are guarded: NaN where it is exactly ±0 (no epsilon).
//
// Resuming (docs/kernel-state.md): every kernel keeps its whole state in the leading arrays and rings
// of its scratch, and counts bars in the whole series: the input and output bases are shifted back
// by the call's first bar B, so that index i of the loops is bar i of the series (the call's rows are
// B … B + t − 1). Every rule on the bar index (the first bar has no previous one, a window is full
// from bar n − 1 on, x[i − n] leaves from bar n on, ring slot i mod size) then holds across calls,
// and a call from bar 0 runs exactly as an unsplit one. Shared-series rings have RING_MAX slots and
// the rings of E 2048, whatever the call's length, so their slots stay where a later call looks.
import { CHUNK, IO_CLOSE, IO_HIGH, IO_LOW, IO_VOLUME, back, cell, firstBar, gather2, geMask, ioPtr, ldx, outPtr, paramAt, resumed, st1, st2, talibProfile, tileStep } from './lanes';
import {
  AD_LINE_R, CMF_ARRAYS, CMF_DEN, CMF_N, CMF_NUM, MFI_ARRAYS, MFI_N, MFI_NEG, MFI_POS, MFI_W, OBV_R, VOLUME_SMA_N, VOLUME_SMA_SUM,
  VWAP_ARRAYS, VWAP_DEN, VWAP_MULT, VWAP_N, VWAP_NUM, VWAP_VAR,
} from './scratch';
import {
  FIN_MFI, NO_NZ, RING_MAX, one2, ringAt, ringGather2, rollsumStep1, rollsumStep2, rollvarStep1, rollvarStep2, twoWindowSums,
} from './primitives';

/** The bar index of the call's row 0 in the whole series (a call that starts the series has bar 0 there). */
@inline function barBase(io: usize): i32 {
  return resumed(io) ? firstBar(io) : 0;
}

/** An f32 input series shifted so that index b reads bar b of the whole series (B = the call's first bar). */
@inline function seriesAt(io: usize, slot: usize, B: i32): usize {
  return ioPtr(io, slot) - (<usize>B << 2);
}

/** Typical price: ((high + low) + close) / 3 in binary64; NaN if any is NaN. */
@inline function tpAt(h: usize, l: usize, c: usize, i: i32): f64 {
  return (ldx(h, i) + ldx(l, i) + ldx(c, i)) / 3.0;
}

/** Guarded ratio: NaN where den == ±0, else num / den (NaN operands give NaN). */
@inline function ratio1(num: f64, den: f64): f64 {
  return den == 0 ? NaN : num / den;
}
@inline function ratio2(num: v128, den: v128): v128 {
  return v128.bitselect(f64x2.splat(NaN), f64x2.div(num, den), f64x2.eq(den, f64x2.splat(0.0)));
}

// ---------------------------------------------------------------- ad_line (one variant)
// r = NaN; a NaN or zero-range bar outputs NaN and resets r; else r = mfv (r NaN) or r + mfv.
// Scalar: a single running sum has no variants to spread across lanes.

/** One AD step: returns the new running value (NaN = broken line). */
@inline function adStep(r: f64, h: f64, l: f64, c: f64, v: f64): f64 {
  if (h != h || l != l || c != c || v != v) return NaN;
  const den = h - l;
  if (den == 0) return NaN;
  const mfv = (((c - l) - (h - c)) / den) * v;
  return r != r ? mfv : r + mfv;
}

/**
 * One step of TA-Lib's AD (the talib profile): a NaN bar gives NaN; else a NaN r (the first bar,
 * after a NaN bar) restarts from 0, and a bar whose range is positive adds its money-flow volume.
 */
@inline function adStepTalib(r: f64, h: f64, l: f64, c: f64, v: f64): f64 {
  if (h != h || l != l || c != c || v != v) return NaN;
  const den = h - l;
  if (r != r) r = 0.0;
  return den > 0 ? r + (((c - l) - (h - c)) / den) * v : r;
}

// State: the running value of each variant (AD_LINE_R); no rule depends on the bar index, no history.

export function ad_line(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const h = ioPtr(io, IO_HIGH), l = ioPtr(io, IO_LOW), c = ioPtr(io, IO_CLOSE), vol = ioPtr(io, IO_VOLUME);
  const out = outPtr(io, 0);
  const resume = resumed(io), talib = talibProfile(io);
  for (let j = 0; j < n; j++) {
    const cr = cell(scratch, n, AD_LINE_R, j);
    let o = out + <usize>j * vStride;
    let r: f64 = resume ? load<f64>(cr) : NaN;
    if (talib) {
      for (let i = 0; i < t; i++) {
        r = adStepTalib(r, ldx(h, i), ldx(l, i), ldx(c, i), ldx(vol, i));
        st1(o, r);
        o += tStride;
      }
    } else {
      for (let i = 0; i < t; i++) {
        r = adStep(r, ldx(h, i), ldx(l, i), ldx(c, i), ldx(vol, i));
        st1(o, r);
        o += tStride;
      }
    }
    store<f64>(cr, r);
  }
}

// ---------------------------------------------------------------- obv (one variant)
// SV = sign(DIFF(close))·volume (±1.0·v, 0.0·v on a tie; NaN if either is NaN), obv = CUMSUM(SV).
// Warm-up 1 (DIFF is NaN at t = 0). Scalar: one variant.
// The talib profile (TA-Lib's OBV): a NaN close or volume gives NaN; else a NaN r (bar 0, after such
// a bar) restarts from the bar's volume, and a number r takes the signed volume.
// State: the running value of each variant (OBV_R); a resumed call reads the close of the bar before it.

export function obv(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const resume = resumed(io), B = barBase(io);
  const c = seriesAt(io, IO_CLOSE, B), vol = seriesAt(io, IO_VOLUME, B);
  const out = outPtr(io, 0);
  if (talibProfile(io)) {
    for (let j = 0; j < n; j++) {
      const cr = cell(scratch, n, OBV_R, j);
      let o = out + <usize>j * vStride;
      let r: f64 = resume ? load<f64>(cr) : NaN;
      for (let i = B, end = B + t; i < end; i++) {
        const x = ldx(c, i), v = ldx(vol, i);
        if (x != x || v != v) {
          r = NaN;
        } else if (r != r) {
          r = v;
        } else {
          const d = x - ldx(c, i - 1);   // r is a number: bar i − 1 has a close
          r = r + (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0) * v;
        }
        st1(o, r);
        o += tStride;
      }
      store<f64>(cr, r);
    }
    return;
  }
  for (let j = 0; j < n; j++) {
    const cr = cell(scratch, n, OBV_R, j);
    let o = out + <usize>j * vStride;
    let r: f64 = resume ? load<f64>(cr) : NaN;
    for (let i = B, end = B + t; i < end; i++) {
      const d = i == 0 ? NaN : ldx(c, i) - ldx(c, i - 1);
      const v = ldx(vol, i);
      if (d != d || v != v) {
        r = NaN;
      } else {
        const sv = (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0) * v;
        r = r != r ? sv : r + sv;
      }
      st1(o, r);
      o += tStride;
    }
    store<f64>(cr, r);
  }
}

// ---------------------------------------------------------------- volume_sma: ROLLMEAN(volume, n)
// Scratch: VOLUME_SMA_ARRAYS arrays of n f64: S, k, z, n. Lanes gather the outgoing volume[t − n] per variant.
// State: S, k, z; a resumed call reads the n bars of volume before it (the terms that leave).

export function volume_sma(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const resume = resumed(io), B = barBase(io);
  const x = seriesAt(io, IO_VOLUME, B);
  const out = outPtr(io, 0) - <usize>B * tStride;
  for (let j = 0; j < n; j++) {
    if (!resume) for (let a = 0; a < 3; a++) store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, VOLUME_SMA_N, j), paramAt(params, n, 0, j));
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = B, end = B + t; t0 < end; t0 += CHUNK) {
    const t1 = min(end, t0 + CHUNK);
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 2) {
        const nf = v128.load(cell(scratch, n, VOLUME_SMA_N, j));
        const nm1 = f64x2.sub(nf, one2());
        const w0 = <i32>f64x2.extract_lane(nf, 0), w1 = <i32>f64x2.extract_lane(nf, 1);
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const s = rollsumStep2(cell(scratch, n, VOLUME_SMA_SUM, j), cell(scratch, n, VOLUME_SMA_SUM + 1, j), cell(scratch, n, VOLUME_SMA_SUM + 2, j),
            f64x2.splat(ldx(x, i)), gather2(back(x, i, w0), back(x, i, w1)), geMask(i, nf), geMask(i, nm1));
          st2(o, vStride, f64x2.div(s, nf));
          o += tStride;
        }
      }
    }
    for (let j = full; j < n; j++) {
      const nf = load<f64>(cell(scratch, n, VOLUME_SMA_N, j));
      const w = <i32>nf;
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const s = rollsumStep1(cell(scratch, n, VOLUME_SMA_SUM, j), cell(scratch, n, VOLUME_SMA_SUM + 1, j), cell(scratch, n, VOLUME_SMA_SUM + 2, j), ldx(x, i), i >= w ? ldx(x, i - w) : 0.0, i >= w, i >= w - 1);
        st1(o, s / nf);
        o += tStride;
      }
    }
  }
}

// ---------------------------------------------------------------- cmf: ROLLSUM(DIFF(AD), n) / ROLLSUM(volume, n)
// The AD line and its difference M are shared: computed once per chunk into a ring of M (the running
// AD value and the previous bar's AD survive in two scratch cells). NaN where the volume sum is ±0.
// Scratch: CMF_ARRAYS arrays of n f64 (S, k, z of the M sum; S, k, z of the volume sum; n), 2 cells, ring of M.
// State: all of it (the ring of RING_MAX slots holds M of the last bars by bar index); a resumed call
// reads the n bars of volume before it.

export function cmf(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const resume = resumed(io), B = barBase(io);
  const h = seriesAt(io, IO_HIGH, B), l = seriesAt(io, IO_LOW, B), c = seriesAt(io, IO_CLOSE, B), vol = seriesAt(io, IO_VOLUME, B);
  const out = outPtr(io, 0) - <usize>B * tStride;
  const state = scratch + ((<usize>n * CMF_ARRAYS) << 3);   // [0] running AD, [1] AD of the previous bar
  const ring = state + 16;
  const mask = RING_MAX - 1;
  for (let j = 0; j < n; j++) {
    if (!resume) for (let a = 0; a < 6; a++) store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, CMF_N, j), paramAt(params, n, 0, j));
  }
  if (!resume) {
    store<f64>(state, NaN);
    store<f64>(state + 8, NaN);
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = B, end = B + t; t0 < end; t0 += CHUNK) {
    const t1 = min(end, t0 + CHUNK);
    let r = load<f64>(state), prev = load<f64>(state + 8);
    for (let i = t0; i < t1; i++) {
      r = adStep(r, ldx(h, i), ldx(l, i), ldx(c, i), ldx(vol, i));
      store<f64>(ringAt(ring, mask, i), r - prev);   // DIFF(AD): NaN at t = 0 (prev NaN) and around breaks
      prev = r;
    }
    store<f64>(state, r);
    store<f64>(state + 8, prev);
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 2) {
        const nf = v128.load(cell(scratch, n, CMF_N, j));
        const nm1 = f64x2.sub(nf, one2());
        const w0 = <i32>f64x2.extract_lane(nf, 0), w1 = <i32>f64x2.extract_lane(nf, 1);
        let o = out + <usize>j * vStride + <usize>t0 * tStride;
        for (let i = t0; i < t1; i++) {
          const leave = geMask(i, nf), valid = geMask(i, nm1);
          const num = rollsumStep2(cell(scratch, n, CMF_NUM, j), cell(scratch, n, CMF_NUM + 1, j), cell(scratch, n, CMF_NUM + 2, j),
            f64x2.splat(load<f64>(ringAt(ring, mask, i))), ringGather2(ring, mask, i, w0, w1), leave, valid);
          const den = rollsumStep2(cell(scratch, n, CMF_DEN, j), cell(scratch, n, CMF_DEN + 1, j), cell(scratch, n, CMF_DEN + 2, j),
            f64x2.splat(ldx(vol, i)), gather2(back(vol, i, w0), back(vol, i, w1)), leave, valid);
          st2(o, vStride, ratio2(num, den));
          o += tStride;
        }
      }
    }
    for (let j = full; j < n; j++) {
      const w = <i32>load<f64>(cell(scratch, n, CMF_N, j));
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      for (let i = t0; i < t1; i++) {
        const leaving = i >= w, valid = i >= w - 1;
        const num = rollsumStep1(cell(scratch, n, CMF_NUM, j), cell(scratch, n, CMF_NUM + 1, j), cell(scratch, n, CMF_NUM + 2, j),
          load<f64>(ringAt(ring, mask, i)), leaving ? load<f64>(ringAt(ring, mask, i - w)) : 0.0, leaving, valid);
        const den = rollsumStep1(cell(scratch, n, CMF_DEN, j), cell(scratch, n, CMF_DEN + 1, j), cell(scratch, n, CMF_DEN + 2, j),
          ldx(vol, i), leaving ? ldx(vol, i - w) : 0.0, leaving, valid);
        st1(o, ratio1(num, den));
        o += tStride;
      }
    }
  }
}

// ---------------------------------------------------------------- mfi
// POS / NEG = TP·volume by the sign of TP − TP[t−1] (both NaN where TP, TP[t−1] or volume is NaN).
// SP = ROLLSUM(POS, n), SN = ROLLSUM(NEG, n); mfi = 100 where SN == 0, else
// 100 − (100 / (1 + (SP / SN))); NaN where either sum is NaN (POS and NEG are NaN on the same bars).
// The flows are shared by every variant: once per chunk they go into two rings (NaN as +0.0) with
// their ages (primitives.ts, shared-series ROLLSUM), so a lane keeps only SP and SN. The bar loop
// over the variants is twoWindowSums (primitives.ts, FIN_MFI): blocks of four variants (two f64x2 per
// sum), state in registers along the chunk; the scalar tail performs the same operations per variant.
// Warm-up n (no flow on the first bar).
// Scratch: MFI_ARRAYS arrays of n f64 (SP, SN, n, n as i32), the last NaN bar and the last bars of a
// non-zero POS and NEG (three i32 in 16 bytes), the POS and NEG rings (RING_MAX slots each), then
// 3 × CHUNK f64 of ages (NaN, non-zero POS, non-zero NEG) of the chunk's bars. The integer windows are
// stored, not converted in the loop: V8 would sink the conversion into the time loop, and its
// cvtsi2sd merges a register the loop writes last, chaining the steps.
// State: everything before the ages; a resumed call reads the bar before it (TP[t−1]).
// The talib profile (TA-Lib's MFI, mfiTalibChunk) keeps its running sums in SP and SN and reads
// the count of flows since the last NaN one from the NaN ages.

/**
 * TA-Lib's MFI over bars t0 … t1 − 1, variant by variant: k = the NaN age (the flows since the last
 * NaN one, counting this bar's). A NaN flow (k = 0) gives NaN; the first flow after it (k = 1)
 * clears SP and SN; from k > n the flows of bar i − n leave (SP then SN) before bar i's enter; from
 * k = n on the output is 0 where SP + SN < 1, else 100 · (SP / (SP + SN)).
 */
function mfiTalibChunk(scratch: usize, n: i32, posR: usize, negR: usize, mask: i32, ageNaN: usize, out: usize,
  t0: i32, t1: i32, tStride: usize, vStride: usize): void {
  for (let j = 0; j < n; j++) {
    const nf = load<f64>(cell(scratch, n, MFI_N, j)), w = load<i32>(cell(scratch, n, MFI_W, j));
    let sp = load<f64>(cell(scratch, n, MFI_POS, j)), sn = load<f64>(cell(scratch, n, MFI_NEG, j));
    let o = out + <usize>j * vStride + <usize>t0 * tStride;
    for (let i = t0; i < t1; i++) {
      const k = load<f64>(ageNaN + (<usize>(i - t0) << 3));
      let y = NaN;
      if (k > 0) {
        if (k == 1) { sp = 0.0; sn = 0.0; }
        if (k > nf) {
          sp -= load<f64>(ringAt(posR, mask, i - w));
          sn -= load<f64>(ringAt(negR, mask, i - w));
        }
        sp += load<f64>(ringAt(posR, mask, i));
        sn += load<f64>(ringAt(negR, mask, i));
        if (k >= nf) {
          const s = sp + sn;
          y = s < 1.0 ? 0.0 : 100.0 * (sp / s);
        }
      }
      st1(o, y);
      o += tStride;
    }
    store<f64>(cell(scratch, n, MFI_POS, j), sp);
    store<f64>(cell(scratch, n, MFI_NEG, j), sn);
  }
}

export function mfi(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  const resume = resumed(io), B = barBase(io), talib = talibProfile(io);
  const h = seriesAt(io, IO_HIGH, B), l = seriesAt(io, IO_LOW, B), c = seriesAt(io, IO_CLOSE, B), vol = seriesAt(io, IO_VOLUME, B);
  const out = outPtr(io, 0) - <usize>B * tStride;
  const R = RING_MAX, mask = R - 1;
  const lasts = scratch + ((<usize>n * MFI_ARRAYS) << 3);   // the last NaN bar, the last non-zero POS and NEG bars
  const posR = lasts + 16;
  const negR = posR + (<usize>R << 3);
  const ageNaN = negR + (<usize>R << 3), ageP = ageNaN + (<usize>CHUNK << 3), ageN = ageP + (<usize>CHUNK << 3);
  for (let j = 0; j < n; j++) {
    const win = paramAt(params, n, 0, j);
    if (!resume) {
      store<f64>(cell(scratch, n, MFI_POS, j), 0.0);
      store<f64>(cell(scratch, n, MFI_NEG, j), 0.0);
    }
    store<f64>(cell(scratch, n, MFI_N, j), win);
    store<i32>(cell(scratch, n, MFI_W, j), <i32>win);
  }
  let lastNaN = -1, lastP = NO_NZ, lastN = NO_NZ;
  if (resume) {
    lastNaN = load<i32>(lasts);
    lastP = load<i32>(lasts, 4);
    lastN = load<i32>(lasts, 8);
  }
  for (let t0 = B, end = B + t, step = tileStep(vStride); t0 < end; t0 += step) {
    const t1 = min(end, t0 + step);
    for (let i = t0; i < t1; i++) {
      const x = tpAt(h, l, c, i), pt = i == 0 ? NaN : tpAt(h, l, c, i - 1), v = ldx(vol, i);
      let pos = 0.0, neg = 0.0;
      if (x != x || pt != pt || v != v) {
        lastNaN = i;
      } else {
        const rmf = x * v;
        if (x > pt) pos = rmf;
        else if (x < pt) neg = rmf;
        if (pos != 0) lastP = i;
        if (neg != 0) lastN = i;
      }
      store<f64>(ringAt(posR, mask, i), pos);
      store<f64>(ringAt(negR, mask, i), neg);
      const at = <usize>(i - t0) << 3;
      store<f64>(ageNaN + at, <f64>(i - lastNaN));
      store<f64>(ageP + at, <f64>(i - lastP));
      store<f64>(ageN + at, <f64>(i - lastN));
    }
    if (talib) mfiTalibChunk(scratch, n, posR, negR, mask, ageNaN, out, t0, t1, tStride, vStride);
    else twoWindowSums(scratch, n, MFI_POS, MFI_NEG, MFI_N, MFI_W, posR, negR, mask, ageNaN, ageP, ageN, out, t0, t1, tStride, vStride, FIN_MFI);
  }
  store<i32>(lasts, lastNaN);
  store<i32>(lasts, lastP, 4);
  store<i32>(lasts, lastN, 8);
}

// ---------------------------------------------------------------- vwap and vwap_deviation
// vwap = ROLLSUM(TP·volume, n) / ROLLSUM(volume, n), NaN where the volume sum is ±0. TP and TP·volume
// are shared: computed once per chunk into rings. The deviation form adds E = TP − vwap (per variant,
// kept in a per-variant ring so E[t − n] is read back exactly), sd = ROLLSTD(E, n),
// upper / lower = vwap ± (mult·sd). Slots: vwap alone, or [upper, vwap, lower, stdev].
// Scratch: VWAP_ARRAYS arrays of n f64 (S, k, z of TP·volume; S, k, z of volume; n; mult; S, Q, k, z of E),
// the TP·volume ring (RING_MAX slots), (deviation only) n rings of E (E_RING slots each), then the TP ring.
// State: everything before the TP ring (TP is read only at its own bar); a resumed call reads the n
// bars of volume before it.

@inline const E_RING: i32 = 2048;   // > 2000, the window bound: E[t − n] is never overwritten

@inline function vwapFamily(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize, dev: bool): void {
  const resume = resumed(io), B = barBase(io);
  const h = seriesAt(io, IO_HIGH, B), l = seriesAt(io, IO_LOW, B), c = seriesAt(io, IO_CLOSE, B), vol = seriesAt(io, IO_VOLUME, B);
  const oUp = dev ? outPtr(io, 0) : 0, oV = outPtr(io, dev ? 1 : 0), oLo = dev ? outPtr(io, 2) : 0, oSd = dev ? outPtr(io, 3) : 0;
  const rowB = <usize>B * tStride;   // the outputs' offsets of bar i are j·vStride + i·tStride − rowB (0 stays "not materialised")
  const R = RING_MAX, mask = R - 1;
  const pvR = scratch + ((<usize>n * VWAP_ARRAYS) << 3);
  const ER = E_RING, emask = ER - 1;
  const eR = pvR + (<usize>R << 3);
  const tpR = eR + (dev ? (<usize>n * <usize>ER) << 3 : 0);
  for (let j = 0; j < n; j++) {
    if (!resume) for (let a = 0; a < 12; a++) store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, VWAP_N, j), paramAt(params, n, 0, j));
    store<f64>(cell(scratch, n, VWAP_MULT, j), dev ? paramAt(params, n, 1, j) : 0.0);
  }
  let full = 0;
  if (ASC_FEATURE_SIMD) full = n & ~1;
  for (let t0 = B, end = B + t; t0 < end; t0 += CHUNK) {
    const t1 = min(end, t0 + CHUNK);
    for (let i = t0; i < t1; i++) {
      const x = tpAt(h, l, c, i);
      store<f64>(ringAt(tpR, mask, i), x);
      store<f64>(ringAt(pvR, mask, i), x * ldx(vol, i));
    }
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < full; j += 2) {
        const nf = v128.load(cell(scratch, n, VWAP_N, j));
        const mult = v128.load(cell(scratch, n, VWAP_MULT, j));
        const nm1 = f64x2.sub(nf, one2());
        const w0 = <i32>f64x2.extract_lane(nf, 0), w1 = <i32>f64x2.extract_lane(nf, 1);
        const e0 = eR + ((<usize>j * <usize>ER) << 3), e1 = e0 + (<usize>ER << 3);
        const base = <usize>j * vStride - rowB;
        for (let i = t0; i < t1; i++) {
          const off = base + <usize>i * tStride;
          const leave = geMask(i, nf), valid = geMask(i, nm1);
          const num = rollsumStep2(cell(scratch, n, VWAP_NUM, j), cell(scratch, n, VWAP_NUM + 1, j), cell(scratch, n, VWAP_NUM + 2, j),
            f64x2.splat(load<f64>(ringAt(pvR, mask, i))), ringGather2(pvR, mask, i, w0, w1), leave, valid);
          const den = rollsumStep2(cell(scratch, n, VWAP_DEN, j), cell(scratch, n, VWAP_DEN + 1, j), cell(scratch, n, VWAP_DEN + 2, j),
            f64x2.splat(ldx(vol, i)), gather2(back(vol, i, w0), back(vol, i, w1)), leave, valid);
          const vw = ratio2(num, den);
          if (oV) st2(oV + off, vStride, vw);
          if (dev) {
            const e = f64x2.sub(f64x2.splat(load<f64>(ringAt(tpR, mask, i))), vw);
            const eOut = f64x2.replace_lane(f64x2.splat(load<f64>(ringAt(e0, emask, i - w0))), 1, load<f64>(ringAt(e1, emask, i - w1)));
            store<f64>(ringAt(e0, emask, i), f64x2.extract_lane(e, 0));
            store<f64>(ringAt(e1, emask, i), f64x2.extract_lane(e, 1));
            const vr = rollvarStep2(cell(scratch, n, VWAP_VAR, j), cell(scratch, n, VWAP_VAR + 1, j), cell(scratch, n, VWAP_VAR + 2, j), cell(scratch, n, VWAP_VAR + 3, j), e, eOut, leave, valid, nf);
            const sd = f64x2.sqrt(vr);
            if (oUp) st2(oUp + off, vStride, f64x2.add(vw, f64x2.mul(mult, sd)));
            if (oLo) st2(oLo + off, vStride, f64x2.sub(vw, f64x2.mul(mult, sd)));
            if (oSd) st2(oSd + off, vStride, sd);
          }
        }
      }
    }
    for (let j = full; j < n; j++) {
      const nf = load<f64>(cell(scratch, n, VWAP_N, j));
      const mult = load<f64>(cell(scratch, n, VWAP_MULT, j));
      const w = <i32>nf;
      const e0 = eR + ((<usize>j * <usize>ER) << 3);
      const base = <usize>j * vStride - rowB;
      for (let i = t0; i < t1; i++) {
        const off = base + <usize>i * tStride;
        const leaving = i >= w, valid = i >= w - 1;
        const num = rollsumStep1(cell(scratch, n, VWAP_NUM, j), cell(scratch, n, VWAP_NUM + 1, j), cell(scratch, n, VWAP_NUM + 2, j),
          load<f64>(ringAt(pvR, mask, i)), leaving ? load<f64>(ringAt(pvR, mask, i - w)) : 0.0, leaving, valid);
        const den = rollsumStep1(cell(scratch, n, VWAP_DEN, j), cell(scratch, n, VWAP_DEN + 1, j), cell(scratch, n, VWAP_DEN + 2, j),
          ldx(vol, i), leaving ? ldx(vol, i - w) : 0.0, leaving, valid);
        const vw = ratio1(num, den);
        if (oV) st1(oV + off, vw);
        if (dev) {
          const e = load<f64>(ringAt(tpR, mask, i)) - vw;
          const eOut = leaving ? load<f64>(ringAt(e0, emask, i - w)) : 0.0;
          store<f64>(ringAt(e0, emask, i), e);
          const vr = rollvarStep1(cell(scratch, n, VWAP_VAR, j), cell(scratch, n, VWAP_VAR + 1, j), cell(scratch, n, VWAP_VAR + 2, j), cell(scratch, n, VWAP_VAR + 3, j), e, eOut, leaving, valid, nf);
          const sd = Math.sqrt(vr);
          if (oUp) st1(oUp + off, vw + mult * sd);
          if (oLo) st1(oLo + off, vw - mult * sd);
          if (oSd) st1(oSd + off, sd);
        }
      }
    }
  }
}

export function vwap(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  vwapFamily(io, t, n, params, tStride, vStride, scratch, false);
}

export function vwap_deviation(io: usize, t: i32, n: i32, params: usize, tStride: usize, vStride: usize, scratch: usize): void {
  vwapFamily(io, t, n, params, tStride, vStride, scratch, true);
}
