/**
 * Plain-JS baselines: hand-written Float64Array loops computing the same outputs as gridta with the
 * spec's formulas, the way a careful JavaScript developer would write them for a whole grid (time
 * outermost, per-variant state in a typed array, writing the TIME_MAJOR output row by row).
 */

/** EMA grid (indicators.md §2.5), TIME_MAJOR output. */
export function plainEma(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length, T = close.length;
  const a = new Float64Array(V), b = new Float64Array(V), y = new Float64Array(V).fill(NaN);
  for (let j = 0; j < V; j++) { a[j] = 2 / (windows[j]! + 1); b[j] = 1 - a[j]!; }
  for (let i = 0; i < T; i++) {
    const x = close[i]!;
    const row = i * V;
    if (x !== x) { for (let j = 0; j < V; j++) { y[j] = NaN; out[row + j] = NaN; } continue; }
    for (let j = 0; j < V; j++) {
      const yy = y[j]!;
      const v = yy !== yy ? x : a[j]! * x + b[j]! * yy;
      y[j] = v;
      out[row + j] = v;
    }
  }
}

/** SMA grid (ROLLSUM / n, §2.1–2.2), TIME_MAJOR output. */
export function plainSma(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length, T = close.length;
  const S = new Float64Array(V), k = new Int32Array(V), z = new Int32Array(V);
  for (let i = 0; i < T; i++) {
    const v = close[i]!;
    const row = i * V;
    for (let j = 0; j < V; j++) {
      const n = windows[j]!;
      let s = S[j]!;
      if (v !== v) k[j]!++; else { if (v !== 0) z[j]!++; s += v; }
      if (i >= n) { const u = close[i - n]!; if (u !== u) k[j]!--; else { if (u !== 0) z[j]!--; s -= u; } }
      if (z[j] === 0) s = 0;
      S[j] = s;
      out[row + j] = i < n - 1 || k[j]! > 0 ? NaN : s / n;
    }
  }
}
