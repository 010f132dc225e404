// The one natural-log algorithm of gridta (hv, fisher): kernel and reference must share one ln, since
// a library log may differ in the last bit. The table-free musl/FreeBSD `log`
// (as in AssemblyScript's std/assembly/math.ts at shrink level >= 1), written out here so that no
// build option can switch algorithms. Ported verbatim to TypeScript in src/reference/primitives.ts.
// Accuracy: < 1 ulp (musl).
//
// ====================================================
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
// Developed at SunSoft, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this software is freely granted, provided that
// this notice is preserved.
// ====================================================

export function lnShared(x: f64): f64 {
  const
    ln2_hi = reinterpret<f64>(0x3FE62E42FEE00000),
    ln2_lo = reinterpret<f64>(0x3DEA39EF35793C76),
    Lg1    = reinterpret<f64>(0x3FE5555555555593),
    Lg2    = reinterpret<f64>(0x3FD999999997FA04),
    Lg3    = reinterpret<f64>(0x3FD2492494229359),
    Lg4    = reinterpret<f64>(0x3FCC71C51D8E78AF),
    Lg5    = reinterpret<f64>(0x3FC7466496CB03DE),
    Lg6    = reinterpret<f64>(0x3FC39A09D078C69F),
    Lg7    = reinterpret<f64>(0x3FC2F112DF3E5244),
    Ox1p54 = reinterpret<f64>(0x4350000000000000);
  let u = reinterpret<u64>(x);
  let hx = <u32>(u >> 32);
  let k = 0;
  let sign = hx >> 31;
  if (sign || hx < 0x00100000) {
    if (u << 1 == 0) return -1 / (x * x);
    if (sign) return (x - x) / 0.0;
    k -= 54;
    x *= Ox1p54;
    u = reinterpret<u64>(x);
    hx = <u32>(u >> 32);
  } else if (hx >= 0x7FF00000) {
    return x;
  } else if (hx == 0x3FF00000 && u << 32 == 0) {
    return 0;
  }
  hx += 0x3FF00000 - 0x3FE6A09E;
  k += (<i32>hx >> 20) - 0x3FF;
  hx = (hx & 0x000FFFFF) + 0x3FE6A09E;
  u = <u64>hx << 32 | (u & 0xFFFFFFFF);
  x = reinterpret<f64>(u);
  let f = x - 1.0;
  let hfsq = 0.5 * f * f;
  let s = f / (2.0 + f);
  let z = s * s;
  let w = z * z;
  let t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  let t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  let r = t2 + t1;
  let dk = <f64>k;
  return s * (hfsq + r) + dk * ln2_lo - hfsq + f + dk * ln2_hi;
}

/**
 * The kernel's ln of one value, exported from the module (index.ts) to compare it with the reference's
 * `log` directly. No test calls it yet: the oracle suites check the shared log through hv and fisher.
 */
export function ln_f64(x: f64): f64 {
  return lnShared(x);
}
